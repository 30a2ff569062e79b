/** Latency summaries: nearest-rank percentiles, so a reported p99 is a value that was observed. */

export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Nearest-rank percentile (`p` in (0, 100]) of `values`: the smallest observed value with at
 * least p% of the samples at or below it. NaN when there are no samples.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

export function summarize(latenciesMs: readonly number[]): LatencySummary {
  return {
    samples: latenciesMs.length,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    maxMs: latenciesMs.length === 0 ? Number.NaN : Math.max(...latenciesMs),
  };
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
