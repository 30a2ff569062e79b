import { hash32, unitAt } from '../prng.ts';

/** Parameter slots: each per-device constant draws from its own slot so adding one never shifts another. */
export const Slot = {
  base: 1,
  amplitude: 2,
  phase: 3,
  noise: 4,
  drift: 5,
  burst: 6,
  lifetime: 7,
  indoor: 8,
  weather: 9,
  occupancy: 10,
} as const;

/** Per-device constant in [lo, hi), fixed by the device key and the slot. */
export function param(deviceKey: number, slot: number, lo: number, hi: number): number {
  return lo + (hi - lo) * unitAt(deviceKey, slot, 0x5eed);
}

/** Key for a time-varying stream of one device (noise, drift, bursts), distinct per slot. */
export function streamKey(deviceKey: number, slot: number): number {
  return hash32(deviceKey, slot, 0x57ea);
}
