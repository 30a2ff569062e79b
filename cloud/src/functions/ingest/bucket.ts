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

/** The configured window keeps the short id; a narrower one (a fast series) names its width. */
export function bucketDocId(
  deviceId: string,
  metric: string,
  windowStartMs: number,
  windowMs?: number,
): string {
  return windowMs === undefined
    ? `${deviceId}:${metric}:${windowStartMs}`
    : `${deviceId}:${metric}:${windowStartMs}:w${windowMs}`;
}

/**
 * Readings one bucket document may hold: a column entry is three numbers (~24 B stored), so
 * 25 000 keep a document near 600 KB, well under Firestore's 1 MiB limit.
 */
export const MAX_READINGS_PER_DOC = 25_000;
const MIN_RATE_SPAN_MS = 60_000;
/** Narrower windows, tried in turn for series too fast for the configured one. */
const NARROWER_WINDOWS_MS = [600_000, 60_000, 10_000, 1_000];

/**
 * The window for one series of a batch: the configured one unless the series' rate in this
 * batch would overfill a document, then the widest narrower one that fits. Derived from the
 * batch alone, so a redelivery picks the same documents.
 */
export function windowForRate(count: number, spanMs: number, configuredMs: number): number {
  // A short span (a few readings close together) says little about a sustained rate: rate it
  // as if it covered at least a minute, the order of a batch's linger.
  const perMs = count / Math.max(spanMs, MIN_RATE_SPAN_MS);
  if (perMs * configuredMs <= MAX_READINGS_PER_DOC) return configuredMs;
  for (const w of NARROWER_WINDOWS_MS) {
    if (w < configuredMs && perMs * w <= MAX_READINGS_PER_DOC) return w;
  }
  return NARROWER_WINDOWS_MS[NARROWER_WINDOWS_MS.length - 1] as number;
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
  const configuredMs = options.bucketWindowMs;
  const key = columnKey(gatewayId, firstSeq);
  // Per series: readings and time span in this batch, to size its window.
  const spans = new Map<string, { count: number; minTs: number; maxTs: number; windowMs: number }>();
  for (const r of readings) {
    const k = `${r.deviceId}:${r.metric}`;
    const s = spans.get(k);
    if (s) {
      s.count += 1;
      if (r.tsMs < s.minTs) s.minTs = r.tsMs;
      if (r.tsMs > s.maxTs) s.maxTs = r.tsMs;
    } else spans.set(k, { count: 1, minTs: r.tsMs, maxTs: r.tsMs, windowMs: configuredMs });
  }
  for (const s of spans.values()) s.windowMs = windowForRate(s.count, s.maxTs - s.minTs, configuredMs);
  const byDoc = new Map<string, BucketWrite>();
  // Readings of one series arrive in runs (the codec groups by series), so remembering the
  // last bucket skips the map lookup for most readings.
  let last: BucketWrite | undefined;
  for (const r of readings) {
    let bucket: BucketWrite | undefined = last;
    const windowMs =
      bucket !== undefined && bucket.deviceId === r.deviceId && bucket.metric === r.metric
        ? bucket.windowMs
        : (spans.get(`${r.deviceId}:${r.metric}`)?.windowMs ?? configuredMs);
    const windowStartMs = r.tsMs - (r.tsMs % windowMs);
    if (
      bucket === undefined ||
      bucket.windowStartMs !== windowStartMs ||
      bucket.deviceId !== r.deviceId ||
      bucket.metric !== r.metric
    ) {
      const docId = bucketDocId(
        r.deviceId,
        r.metric,
        windowStartMs,
        windowMs === configuredMs ? undefined : windowMs,
      );
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
