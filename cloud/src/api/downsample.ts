/**
 * Series assembly, pure: the columns of a series' bucket documents in, uPlot-ready points
 * out. Readings are deduplicated by (gateway, seq): a gateway that re-forms batches after a
 * crash can resend a reading under a new column, and the column key names the gateway
 * (`<gatewayId>_<firstSeq>`). Downsampling buckets readings by `floor(tsMs / intervalMs)`
 * (intervals aligned to multiples of intervalMs, so the same interval always covers the same
 * readings whatever the range asked for) and folds each with `agg`.
 *
 * Hot path (86 400 readings per 24 h at 1 Hz): typed arrays and index loops, one Set per
 * gateway for dedup, no per-reading objects.
 */
import type { Agg } from './contract.ts';

/** One batch's column of one bucket document. */
export interface ColumnSet {
  readonly gatewayId: string;
  readonly tsMs: readonly number[];
  readonly value: readonly number[];
  readonly seq: readonly number[];
}

/** Readings in range after dedup, in no particular order. */
export interface MergedReadings {
  readonly count: number;
  readonly tsMs: Float64Array;
  readonly value: Float64Array;
  /** Used only to break ties for `last` deterministically. */
  readonly seq: Float64Array;
  readonly duplicates: number;
}

export interface Points {
  readonly t: number[];
  readonly v: (number | null)[];
  readonly n: number[];
}

/** `<gatewayId>_<firstSeq>`: gateway ids exclude `_`, so the gateway is what precedes the last one. */
export function gatewayOfColumnKey(key: string): string {
  const i = key.lastIndexOf('_');
  return i < 0 ? key : key.slice(0, i);
}

/** Keeps readings with startMs <= tsMs < endMs, each (gateway, seq) once. */
export function mergeColumns(columns: readonly ColumnSet[], startMs: number, endMs: number): MergedReadings {
  let capacity = 0;
  for (const c of columns) capacity += c.seq.length;
  const tsMs = new Float64Array(capacity);
  const value = new Float64Array(capacity);
  const seq = new Float64Array(capacity);
  const seen = new Map<string, Set<number>>();
  let count = 0;
  let duplicates = 0;
  for (const c of columns) {
    let seqs = seen.get(c.gatewayId);
    if (seqs === undefined) {
      seqs = new Set<number>();
      seen.set(c.gatewayId, seqs);
    }
    const n = Math.min(c.seq.length, c.tsMs.length, c.value.length);
    for (let i = 0; i < n; i++) {
      const t = c.tsMs[i] as number;
      if (t < startMs || t >= endMs) continue;
      const s = c.seq[i] as number;
      if (seqs.has(s)) {
        duplicates++;
        continue;
      }
      seqs.add(s);
      tsMs[count] = t;
      value[count] = c.value[i] as number;
      seq[count] = s;
      count++;
    }
  }
  return { count, tsMs, value, seq, duplicates };
}

/** Interval starts covering [startMs, endMs): the point count a request would produce. */
export function intervalCount(startMs: number, endMs: number, intervalMs: number): number {
  if (endMs <= startMs) return 0;
  const first = Math.floor(startMs / intervalMs) * intervalMs;
  return Math.ceil((endMs - first) / intervalMs);
}

/** The smallest interval whose point count over [startMs, endMs) is at most `maxPoints`. */
export function smallestFittingInterval(startMs: number, endMs: number, maxPoints: number): number {
  // Alignment adds at most one interval to range / interval, so this loop is short.
  for (let i = Math.max(1, Math.ceil((endMs - startMs) / maxPoints)); ; i++) {
    if (intervalCount(startMs, endMs, i) <= maxPoints) return i;
  }
}

/** One point per interval of [startMs, endMs), empty intervals included (v null, count 0). */
export function downsample(
  merged: MergedReadings,
  startMs: number,
  endMs: number,
  intervalMs: number,
  agg: Agg,
): Points {
  const first = Math.floor(startMs / intervalMs) * intervalMs;
  const buckets = intervalCount(startMs, endMs, intervalMs);
  const n = new Float64Array(buckets);
  const acc = new Float64Array(buckets);
  // `last`: the reading with the greatest time wins, then the greatest seq.
  const lastTs = agg === 'last' ? new Float64Array(buckets).fill(Number.NEGATIVE_INFINITY) : undefined;
  const lastSeq = agg === 'last' ? new Float64Array(buckets) : undefined;
  const { tsMs, value, seq, count } = merged;
  for (let i = 0; i < count; i++) {
    const t = tsMs[i] as number;
    const b = Math.floor((t - first) / intervalMs);
    const v = value[i] as number;
    const k = n[b] as number;
    n[b] = k + 1;
    switch (agg) {
      case 'avg':
        acc[b] = (acc[b] as number) + v;
        break;
      case 'min':
        if (k === 0 || v < (acc[b] as number)) acc[b] = v;
        break;
      case 'max':
        if (k === 0 || v > (acc[b] as number)) acc[b] = v;
        break;
      case 'last': {
        const lt = (lastTs as Float64Array)[b] as number;
        const s = seq[i] as number;
        if (t > lt || (t === lt && s > ((lastSeq as Float64Array)[b] as number))) {
          (lastTs as Float64Array)[b] = t;
          (lastSeq as Float64Array)[b] = s;
          acc[b] = v;
        }
        break;
      }
      case 'count':
        break;
    }
  }
  const t: number[] = new Array(buckets);
  const v: (number | null)[] = new Array(buckets);
  const counts: number[] = new Array(buckets);
  for (let b = 0; b < buckets; b++) {
    const k = n[b] as number;
    t[b] = first + b * intervalMs;
    counts[b] = k;
    if (agg === 'count') v[b] = k;
    else if (k === 0) v[b] = null;
    else v[b] = agg === 'avg' ? (acc[b] as number) / k : (acc[b] as number);
  }
  return { t, v, n: counts };
}

/** One point per reading, by time then seq. */
export function rawPoints(merged: MergedReadings): Points {
  const { tsMs, value, seq, count } = merged;
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => (tsMs[a] as number) - (tsMs[b] as number) || (seq[a] as number) - (seq[b] as number));
  return {
    t: order.map((i) => tsMs[i] as number),
    v: order.map((i) => value[i] as number),
    n: order.map(() => 1),
  };
}
