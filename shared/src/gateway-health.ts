/**
 * The gateway's own state, carried upstream in every telemetry batch (event-carried state
 * transfer): the cloud learns a site's health from the data path it already has, with no
 * second channel and no polling. Added in batch format 1.1 (codec/format.ts key `h`).
 *
 * Forward compatible by construction: a newer gateway may add fields, and an older cloud
 * keeps the ones it knows (`pickGatewayHealth`), so neither side needs a lockstep upgrade.
 */
import Type, { type Static } from 'typebox';
import { compileChecker } from './validation.ts';

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** Reason labels are the gateway's rejection reasons (bad_topic, oversize, ...). */
export const REJECTION_REASON_PATTERN = '^[a-z][a-z0-9_]{0,31}$';
export const MAX_REJECTION_REASONS = 64;

export const GatewayHealthSchema = Type.Object({
  /** Gateway clock when the snapshot was taken. */
  reportedAtMs: Count,
  uptimeS: Type.Number({ minimum: 0, maximum: 1e10 }),
  rssBytes: Count,
  clientsConnected: Count,
  outboxRecords: Count,
  outboxBytes: Count,
  /** Age of the oldest reading not yet acknowledged by Pub/Sub; 0 when nothing is pending. */
  oldestUnsentAgeMs: Count,
  /** Readings evicted by the outbox's byte cap since the outbox was created. */
  evictedReadings: Count,
  /** Rejected input since start, by reason. */
  rejectedByReason: Type.Record(Type.String({ pattern: REJECTION_REASON_PATTERN }), Count, {
    maxProperties: MAX_REJECTION_REASONS,
    // Without it TypeBox's record is patternProperties only, and any key would pass.
    additionalProperties: false,
  }),
  /** The fleet-config rules version the gateway runs; null while it runs its local YAML only. */
  rulesVersion: Type.Union([Count, Type.Null()]),
});
export type GatewayHealth = Static<typeof GatewayHealthSchema>;

export const gatewayHealthChecker = compileChecker<GatewayHealth>(GatewayHealthSchema, 'gateway health');

/** The known fields of a valid health map (unknown ones from newer gateways are dropped), else undefined. */
export function pickGatewayHealth(value: unknown): GatewayHealth | undefined {
  if (!gatewayHealthChecker.check(value)) return undefined;
  return {
    reportedAtMs: value.reportedAtMs,
    uptimeS: value.uptimeS,
    rssBytes: value.rssBytes,
    clientsConnected: value.clientsConnected,
    outboxRecords: value.outboxRecords,
    outboxBytes: value.outboxBytes,
    oldestUnsentAgeMs: value.oldestUnsentAgeMs,
    evictedReadings: value.evictedReadings,
    rejectedByReason: { ...value.rejectedByReason },
    rulesVersion: value.rulesVersion,
  };
}
