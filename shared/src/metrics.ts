/**
 * The metric catalogue: what each well-known metric means, its unit and the resolution at
 * which it is stored. Resolution is a power of ten (`decimals`): a temperature with
 * `decimals: 2` is kept as an integer count of 0.01 degC, which is what lets the batch codec
 * delta-encode values losslessly. Metrics not listed here travel as float64.
 */
export interface MetricSpec {
  readonly unit: string;
  /** Values are exact at 10^-decimals; `undefined` means a float column (no declared resolution). */
  readonly decimals: number | undefined;
  /** Physically plausible range; the gateway rejects readings outside it. */
  readonly min: number;
  readonly max: number;
}

export const METRIC_CATALOG: Readonly<Record<string, MetricSpec>> = Object.freeze({
  temperature: { unit: 'degC', decimals: 2, min: -90, max: 150 },
  humidity: { unit: '%RH', decimals: 1, min: 0, max: 100 },
  pressure: { unit: 'hPa', decimals: 1, min: 300, max: 1200 },
  co2: { unit: 'ppm', decimals: 0, min: 0, max: 50_000 },
  vibration_rms: { unit: 'mm/s', decimals: 3, min: 0, max: 1000 },
  battery_v: { unit: 'V', decimals: 3, min: 0, max: 60 },
  door: { unit: 'open', decimals: 0, min: 0, max: 1 },
});

/** Largest `decimals` the codec accepts: 10^9 keeps integer counts exact for |v| < ~9e6. */
export const MAX_DECIMALS = 9;

export function metricSpec(metric: string): MetricSpec | undefined {
  return Object.hasOwn(METRIC_CATALOG, metric) ? METRIC_CATALOG[metric] : undefined;
}

/** Rounds a value to a metric's declared resolution (identity for float metrics). */
export function quantize(value: number, decimals: number | undefined): number {
  if (decimals === undefined) return value;
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
