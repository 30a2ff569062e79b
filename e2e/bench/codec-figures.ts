/**
 * Upstream size figures: bytes per reading of our batch codec against one JSON message per
 * reading, raw and as Pub/Sub bills them. Pure (data in, numbers out), so the real batches
 * the tap saw and the standard mix go through the same arithmetic.
 */
import { encodeBatch, type Reading } from '@edgeflow/shared';
import { standardMix } from '../../shared/bench/standard-mix.ts';
import { billedRequestBytes } from './cost.ts';

export interface SizeFigures {
  readonly readings: number;
  readonly messages: number;
  /** Our bytes on the wire per reading (message payloads only). */
  readonly bytesPerReading: number;
  readonly billedBytesPerReading: number;
  /** The same readings as one JSON message each (`{gatewayId, ...reading}`). */
  readonly jsonBytesPerReading: number;
  readonly jsonBilledBytesPerReading: number;
}

export function jsonMessageBytes(gatewayId: string, readings: readonly Reading[]): number[] {
  return readings.map((r) => Buffer.byteLength(JSON.stringify({ gatewayId, ...r })));
}

/** Figures for `messageBytes` carrying `readings` (all batches of one run). */
export function sizeFigures(
  gatewayId: string,
  readings: readonly Reading[],
  messageBytes: readonly number[],
  minBilledBytes: number,
): SizeFigures {
  const n = readings.length;
  if (n === 0) throw new RangeError('size figures need at least one reading');
  const json = jsonMessageBytes(gatewayId, readings);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    readings: n,
    messages: messageBytes.length,
    bytesPerReading: sum(messageBytes) / n,
    billedBytesPerReading: billedRequestBytes(messageBytes, minBilledBytes) / n,
    jsonBytesPerReading: sum(json) / n,
    jsonBilledBytesPerReading: billedRequestBytes(json, minBilledBytes) / n,
  };
}

/**
 * The standard simulator mix (50 devices x 4 metrics at 1 Hz) cut into batches of
 * `batchSeconds` (the linger), encoded with the codec: what a gateway at the default linger sends.
 */
export function standardMixFigures(
  batchSeconds: number,
  batches: number,
  minBilledBytes: number,
): SizeFigures {
  const gatewayId = 'gw-bench';
  const all: Reading[] = [];
  const sizes: number[] = [];
  const perBatch = 50 * 4 * batchSeconds;
  for (let i = 0; i < batches; i++) {
    const readings = standardMix({
      seconds: batchSeconds,
      seed: 1 + i,
      startMs: Date.UTC(2026, 0, 1) + i * batchSeconds * 1000,
      firstSeq: 1 + i * perBatch,
    });
    const createdAtMs = readings.at(-1)!.tsMs + 100;
    sizes.push(encodeBatch({ gatewayId, createdAtMs, readings, alerts: [] }).length);
    all.push(...readings);
  }
  return sizeFigures(gatewayId, all, sizes, minBilledBytes);
}
