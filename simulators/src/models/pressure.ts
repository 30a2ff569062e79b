import { normalAt, smoothNoiseAt } from '../prng.ts';
import { param, Slot, streamKey } from './params.ts';
import { HOUR_MS, type SensorModel, timeWords } from './types.ts';

/**
 * Barometric pressure in hPa: per-site offset (altitude, +-5), weather systems (+-12 over
 * ~1.5 days, shared shape per device key), a faster +-2 component and noise (sd ~0.1).
 */
export const pressureModel: SensorModel = {
  metric: 'pressure',
  valueAt(deviceKey, tMs) {
    const site = param(deviceKey, Slot.base, -5, 5);
    const weather = 12 * smoothNoiseAt(streamKey(deviceKey, Slot.weather), tMs, 36 * HOUR_MS);
    const gusts = 2 * smoothNoiseAt(streamKey(deviceKey, Slot.drift), tMs, 3 * HOUR_MS);
    const noise = 0.1 * normalAt(streamKey(deviceKey, Slot.noise), ...timeWords(tMs));
    return 1013.25 + site + weather + gusts + noise;
  },
};
