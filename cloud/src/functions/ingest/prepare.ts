/**
 * Decode + validate, pure and synchronous (the part the ingest benchmark measures): the
 * batch as the shared codec returns it, with invalid readings and alerts set aside.
 */
import type { AlertEvent, Reading } from '@edgeflow/shared';
import { alertEventChecker, metricSpec, readingChecker } from '@edgeflow/shared';
import type { GatewayHealth } from './gateway-state.ts';

/** What the shared codec returns (shared/src/codec): structurally typed to keep this pure. */
export interface TelemetryBatch {
  readonly gatewayId: string;
  readonly createdAtMs: number;
  readonly readings: readonly Reading[];
  readonly alerts: readonly AlertEvent[];
  /** The gateway's health (format 1.1); absent in 1.0 batches and when it did not validate. */
  readonly health?: GatewayHealth;
  /** Set when the batch carried a health map that did not validate. */
  readonly healthRejected?: true;
}

export interface PreparedBatch {
  readonly batch: TelemetryBatch;
  readonly batchId: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly readings: Reading[];
  readonly alerts: AlertEvent[];
  readonly rejectedReadings: number;
  readonly rejectedAlerts: number;
  /** First few rejection reasons, for one bounded log line per batch. */
  readonly rejectionSamples: string[];
  readonly deviceIds: Set<string>;
}

export const MAX_REJECTION_SAMPLES = 5;

/** Decode + validate: pure and synchronous (the part the benchmark measures). Throws codec errors. */
export function prepareBatch(bytes: Uint8Array, decode: (b: Uint8Array) => TelemetryBatch): PreparedBatch {
  const batch = decode(bytes);
  const readings: Reading[] = [];
  const samples: string[] = [];
  const deviceIds = new Set<string>();
  let firstSeq = Number.POSITIVE_INFINITY;
  let lastSeq = -1;
  let rejectedReadings = 0;
  let lastDevice = '';
  for (const r of batch.readings) {
    const reason = readingProblem(r);
    if (reason !== undefined) {
      rejectedReadings++;
      if (samples.length < MAX_REJECTION_SAMPLES) samples.push(reason);
      continue;
    }
    readings.push(r);
    if (r.deviceId !== lastDevice) {
      deviceIds.add(r.deviceId);
      lastDevice = r.deviceId;
    }
    if (r.seq < firstSeq) firstSeq = r.seq;
    if (r.seq > lastSeq) lastSeq = r.seq;
  }
  const alerts: AlertEvent[] = [];
  let rejectedAlerts = 0;
  for (const a of batch.alerts) {
    if (alertEventChecker.check(a)) {
      alerts.push(a);
      deviceIds.add(a.deviceId);
      if (a.seq < firstSeq) firstSeq = a.seq;
      if (a.seq > lastSeq) lastSeq = a.seq;
    } else {
      rejectedAlerts++;
      if (samples.length < MAX_REJECTION_SAMPLES)
        samples.push(`alert: ${alertEventChecker.problems(a)[0]?.message}`);
    }
  }
  if (lastSeq < 0) firstSeq = 0;
  return {
    batch,
    batchId: `${batch.gatewayId}:${firstSeq}-${Math.max(lastSeq, 0)}`,
    firstSeq,
    lastSeq: Math.max(lastSeq, 0),
    readings,
    alerts,
    rejectedReadings,
    rejectedAlerts,
    rejectionSamples: samples,
    deviceIds,
  };
}

function readingProblem(r: Reading): string | undefined {
  if (!readingChecker.check(r)) {
    const p = readingChecker.problems(r)[0];
    return `reading ${p?.path ?? '/'} ${p?.message ?? 'invalid'}`;
  }
  const spec = metricSpec(r.metric);
  if (spec && (r.value < spec.min || r.value > spec.max)) {
    return `reading ${r.deviceId}/${r.metric} value ${r.value} outside [${spec.min}, ${spec.max}]`;
  }
  return undefined;
}
