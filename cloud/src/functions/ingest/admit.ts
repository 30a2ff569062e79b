/**
 * Trust checks between decoding a batch and writing it. The sending gateway is known from
 * the transport (the telemetry topic only it may publish to, see shared/src/topology.ts);
 * everything in the payload is its claim, checked here against what the cloud knows:
 *  - the batch's `gatewayId` must be the transport's, else the whole batch is dead-lettered
 *    (nothing in it can be attributed: readings, alerts and sequence numbers all claim to
 *    be another gateway's) — `transportGateway`, `payloadMismatch`;
 *  - each reading and alert must be of a device that belongs to the gateway (its profile's
 *    `gatewayId`; for an unregistered device, the first gateway that reported it);
 *  - an alert naming another gateway than the batch is dropped. Dropped, not dead-lettered:
 *    the batch itself is the transport's gateway's own, so its valid readings are kept, the
 *    same way one invalid reading does not cost the others;
 *  - a reading whose sequence is more than `maxSeqJump` past the gateway's last seen one (or
 *    the batch's first, when lower) is dropped: once applied it would freeze the series, since
 *    the cloud ignores a reading at or below a series' last sequence.
 * Dropped items are counted by reason and sampled for one log line per batch.
 */
import { type AlertEvent, gatewayOfTelemetryTopic, type Reading } from '@edgeflow/shared';
import { CloudErrorCodes } from '../../adapters/errors.ts';
import type { PreparedBatch } from './prepare.ts';

export type TransportCheck =
  | { readonly ok: true; readonly gatewayId: string; readonly topic: string }
  | { readonly ok: false; readonly code: string; readonly reason: string };

/** The sending gateway, from the topic the message arrived on. */
export function transportGateway(topic: string | undefined): TransportCheck {
  const gatewayId = topic === undefined ? undefined : gatewayOfTelemetryTopic(topic);
  if (topic === undefined || gatewayId === undefined) {
    return {
      ok: false,
      code: CloudErrorCodes.NO_TRANSPORT_IDENTITY,
      reason: `message did not arrive on a gateway's telemetry topic (source topic ${topic ?? 'unknown'})`,
    };
  }
  return { ok: true, gatewayId, topic };
}

/** Why a batch naming another gateway than its transport is refused; undefined when it does not. */
export function payloadMismatch(
  batchGatewayId: string,
  transport: string,
): { readonly code: string; readonly reason: string } | undefined {
  if (batchGatewayId === transport) return undefined;
  return {
    code: CloudErrorCodes.GATEWAY_MISMATCH,
    reason: `batch names gateway ${batchGatewayId} but arrived on the telemetry topic of ${transport}`,
  };
}

export interface AdmitContext {
  readonly gatewayId: string;
  /** The gateway each device of the batch belongs to (see ProfileCache.lookup). */
  readonly owners: ReadonlyMap<string, string | undefined>;
  /** Highest sequence applied for this gateway so far; undefined when none yet. */
  readonly highestSeq: number | undefined;
  readonly maxSeqJump: number;
}

export interface Admitted {
  readonly readings: Reading[];
  readonly alerts: AlertEvent[];
  readonly foreignDeviceReadings: number;
  readonly foreignAlerts: number;
  readonly seqJumpReadings: number;
  /** First few reasons, each starting with its code. */
  readonly samples: string[];
}

const MAX_SAMPLES = 5;

/** The highest sequence a reading of `prepared` may have; higher ones are dropped (SEQ_JUMP). */
export function seqCeiling(
  prepared: Pick<PreparedBatch, 'firstSeq'>,
  ctx: Pick<AdmitContext, 'highestSeq' | 'maxSeqJump'>,
): number {
  // From the batch's own first sequence when that is lower: a redelivery then drops what its
  // first delivery dropped, although the first one raised the gateway's highest sequence; a
  // gateway without history gets its bound from its first batch.
  const base = ctx.highestSeq === undefined ? prepared.firstSeq : Math.min(ctx.highestSeq, prepared.firstSeq);
  return base + ctx.maxSeqJump;
}

export function admitBatch(prepared: PreparedBatch, ctx: AdmitContext): Admitted {
  const samples: string[] = [];
  const sample = (s: string) => {
    if (samples.length < MAX_SAMPLES) samples.push(s);
  };
  const ceiling = seqCeiling(prepared, ctx);
  const readings: Reading[] = [];
  let foreignDeviceReadings = 0;
  let seqJumpReadings = 0;
  for (const r of prepared.readings) {
    if (ctx.owners.get(r.deviceId) !== ctx.gatewayId) {
      foreignDeviceReadings++;
      sample(
        `${CloudErrorCodes.DEVICE_NOT_OF_GATEWAY}: reading of ${r.deviceId}, which is not ${ctx.gatewayId}'s`,
      );
    } else if (r.seq > ceiling) {
      seqJumpReadings++;
      sample(
        `${CloudErrorCodes.SEQ_JUMP}: reading seq ${r.seq} is more than ${ctx.maxSeqJump} past ${ctx.highestSeq}`,
      );
    } else {
      readings.push(r);
    }
  }
  const alerts: AlertEvent[] = [];
  let foreignAlerts = 0;
  for (const a of prepared.alerts) {
    if (a.gatewayId !== undefined && a.gatewayId !== ctx.gatewayId) {
      foreignAlerts++;
      sample(`${CloudErrorCodes.ALERT_GATEWAY_MISMATCH}: alert ${a.alertId} names gateway ${a.gatewayId}`);
    } else if (ctx.owners.get(a.deviceId) !== ctx.gatewayId) {
      foreignAlerts++;
      sample(
        `${CloudErrorCodes.DEVICE_NOT_OF_GATEWAY}: alert ${a.alertId} of ${a.deviceId}, which is not ${ctx.gatewayId}'s`,
      );
    } else {
      alerts.push(a);
    }
  }
  return { readings, alerts, foreignDeviceReadings, foreignAlerts, seqJumpReadings, samples };
}
