/**
 * A sensor model is a pure function of a device's stable random key and time: no state, so
 * any reading can be computed on its own (runner, replay and broker-free check agree).
 */
export interface SensorModel {
  readonly metric: string;
  /** Raw value at `tMs` (ms epoch) before clamping to the catalogue range and quantizing. */
  valueAt(deviceKey: number, tMs: number): number;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Splits a ms timestamp into two 32-bit words for hashing (epoch ms exceed 2^32). */
export function timeWords(tMs: number): [number, number] {
  return [(tMs % 4294967296) | 0, Math.floor(tMs / 4294967296) | 0];
}

/** Fraction of the local day in [0, 1), with a per-device offset standing in for the site's time zone. */
export function dayFraction(tMs: number, offsetMs: number): number {
  const local = (((tMs + offsetMs) % DAY_MS) + DAY_MS) % DAY_MS;
  return local / DAY_MS;
}
