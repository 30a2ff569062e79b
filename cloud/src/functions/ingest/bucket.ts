/**
 * Groups a batch's readings into time-bucket columns: one column per (device, metric,
 * bucket window) per batch, keyed by the batch's gateway and first sequence number. The
 * same batch always yields the same columns under the same keys (redelivery rewrites the
 * same field with the same value); a different batch yields a different key (reordering
 * never overwrites). The layout and its cost arithmetic are described in
 * cloud/src/adapters/firestore/readings.ts.
 */
import type { Reading } from '@edgeflow/shared';

/** Parallel arrays, one entry per reading, in batch order. */
export interface BucketColumns {
  readonly tsMs: number[];
  readonly value: number[];
  readonly seq: number[];
}

/** Profile-derived fields stored once per bucket document (not per reading). */
export interface Enrichment {
  readonly site: string;
  readonly name: string;
  readonly unit: string;
  readonly registered: boolean;
}

export interface BucketWrite {
  /** `<deviceId>:<metric>:<windowStartMs>`; ids exclude `:` so this is unambiguous. */
  readonly docId: string;
  readonly deviceId: string;
  readonly metric: string;
  readonly gatewayId: string;
  readonly windowStartMs: number;
  readonly windowMs: number;
  /** When the retention TTL may delete the document (window end + retention). */
  readonly expireAtMs: number;
  /** `<gatewayId>_<firstSeq>`; gateway ids exclude `_`. */
  readonly columnKey: string;
  readonly columns: BucketColumns;
  readonly enrichment: Enrichment;
}

export interface BucketOptions {
  /** Width of a bucket document's time window; a UTC hour by default. */
  readonly bucketWindowMs: number;
  /** How long readings are kept after their window closes. */
  readonly retentionMs: number;
}

export const DEFAULT_BUCKET_OPTIONS: BucketOptions = Object.freeze({
  bucketWindowMs: 3_600_000,
  retentionMs: 30 * 24 * 3_600_000,
});

export function columnKey(gatewayId: string, firstSeq: number): string {
  return `${gatewayId}_${firstSeq}`;
}

export function bucketDocId(deviceId: string, metric: string, windowStartMs: number): string {
  return `${deviceId}:${metric}:${windowStartMs}`;
}

/**
 * `readings` must already be validated. `enrich` is called once per (device, metric) pair
 * bucket, not per reading.
 */
export function bucketReadings(
  readings: readonly Reading[],
  gatewayId: string,
  firstSeq: number,
  enrich: (deviceId: string, metric: string) => Enrichment,
  options: BucketOptions = DEFAULT_BUCKET_OPTIONS,
): BucketWrite[] {
  const windowMs = options.bucketWindowMs;
  const key = columnKey(gatewayId, firstSeq);
  const byDoc = new Map<string, BucketWrite>();
  // Readings of one series arrive in runs (the codec groups by series), so remembering the
  // last bucket skips the map lookup for most readings.
  let last: BucketWrite | undefined;
  for (const r of readings) {
    const windowStartMs = r.tsMs - (r.tsMs % windowMs);
    let bucket: BucketWrite | undefined = last;
    if (
      bucket === undefined ||
      bucket.windowStartMs !== windowStartMs ||
      bucket.deviceId !== r.deviceId ||
      bucket.metric !== r.metric
    ) {
      const docId = bucketDocId(r.deviceId, r.metric, windowStartMs);
      bucket = byDoc.get(docId);
      if (bucket === undefined) {
        bucket = {
          docId,
          deviceId: r.deviceId,
          metric: r.metric,
          gatewayId,
          windowStartMs,
          windowMs,
          expireAtMs: windowStartMs + windowMs + options.retentionMs,
          columnKey: key,
          columns: { tsMs: [], value: [], seq: [] },
          enrichment: enrich(r.deviceId, r.metric),
        };
        byDoc.set(docId, bucket);
      }
      last = bucket;
    }
    bucket.columns.tsMs.push(r.tsMs);
    bucket.columns.value.push(r.value);
    bucket.columns.seq.push(r.seq);
  }
  return [...byDoc.values()];
}
