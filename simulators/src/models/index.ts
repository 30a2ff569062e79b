/**
 * The fleet's sensor models: `sensorValue(seed, deviceIndex, metric, tMs)` is the pure
 * generator every other part (runner, scenarios, broker-free check) stands on.
 */
import { METRIC_CATALOG, quantize } from '@edgeflow/shared';
import { hash32, hashString, unitAt } from '../prng.ts';
import { batteryModel } from './battery.ts';
import { co2Model } from './co2.ts';
import { doorModel } from './door.ts';
import { humidityModel } from './humidity.ts';
import { pressureModel } from './pressure.ts';
import { temperatureModel } from './temperature.ts';
import type { SensorModel } from './types.ts';
import { vibrationModel } from './vibration.ts';

export type { SensorModel } from './types.ts';

export const SENSOR_MODELS: Readonly<Record<string, SensorModel>> = Object.freeze(
  Object.fromEntries(
    [temperatureModel, humidityModel, pressureModel, co2Model, vibrationModel, batteryModel, doorModel].map(
      (m) => [m.metric, m],
    ),
  ),
);

export const SIMULATED_METRICS: readonly string[] = Object.freeze(Object.keys(SENSOR_MODELS));

/**
 * Every device reports temperature and battery; the rest is a seeded mix, so a fleet looks
 * like several product lines (climate, air quality, machine, door sensors).
 */
const OPTIONAL_METRICS: readonly (readonly [string, number])[] = [
  ['humidity', 0.7],
  ['pressure', 0.4],
  ['co2', 0.35],
  ['vibration_rms', 0.3],
  ['door', 0.25],
];

const metricKeys = new Map(SIMULATED_METRICS.map((m) => [m, hashString(m)]));

export function deviceKey(seed: number, deviceIndex: number, metric: string): number {
  return hash32(seed, deviceIndex, metricKeys.get(metric) ?? hashString(metric));
}

/** The metrics a device reports, in a fixed order; a pure function of seed and index. */
export function deviceMetrics(seed: number, deviceIndex: number): string[] {
  const metrics = ['temperature'];
  for (const [metric, chance] of OPTIONAL_METRICS) {
    if (unitAt(seed, deviceIndex, 0x6d1c, metricKeys.get(metric) ?? 0) < chance) metrics.push(metric);
  }
  metrics.push('battery_v');
  return metrics;
}

/** Clamps to the catalogue's plausible range and rounds to its declared resolution. */
export function toCatalogResolution(metric: string, value: number): number {
  const spec = METRIC_CATALOG[metric];
  if (!spec) return value;
  return quantize(Math.min(spec.max, Math.max(spec.min, value)), spec.decimals);
}

/** The reading a healthy device `deviceIndex` reports for `metric` at `tMs`. */
export function sensorValue(seed: number, deviceIndex: number, metric: string, tMs: number): number {
  const model = SENSOR_MODELS[metric];
  if (!model) throw new RangeError(`no sensor model for metric "${metric}"`);
  return toCatalogResolution(metric, model.valueAt(deviceKey(seed, deviceIndex, metric), tMs));
}
