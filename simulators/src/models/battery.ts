import { normalAt } from '../prng.ts';
import { param, Slot, streamKey } from './params.ts';
import { DAY_MS, type SensorModel, timeWords } from './types.ts';

/**
 * Lithium primary cell voltage in V: flat near 3.55-3.65 V for most of its life, a slow
 * linear sag, then the start of the knee; maintenance swaps cells at about 3.35 V, before the
 * default low-battery rule (3.3 V) fires, so the value is a sawtooth with a per-device
 * lifetime (120-240 days) and position in it. Scenarios push it lower to rehearse that alert.
 */
export const batteryModel: SensorModel = {
  metric: 'battery_v',
  valueAt(deviceKey, tMs) {
    const full = param(deviceKey, Slot.base, 3.55, 3.65);
    const lifetimeMs = param(deviceKey, Slot.lifetime, 120, 240) * DAY_MS;
    const installedMs = param(deviceKey, Slot.phase, 0, 1) * lifetimeMs;
    const age = ((((tMs + installedMs) % lifetimeMs) + lifetimeMs) % lifetimeMs) / lifetimeMs;
    const noise = 0.002 * normalAt(streamKey(deviceKey, Slot.noise), ...timeWords(tMs));
    return full - 0.12 * age - 0.08 * age ** 16 + noise;
  },
};
