import { normalAt, smoothNoiseAt } from '../prng.ts';
import { param, Slot, streamKey } from './params.ts';
import { dayFraction, HOUR_MS, type SensorModel, timeWords } from './types.ts';

/**
 * Relative humidity in %RH: a per-device base (35-60), a daily cycle opposite to temperature
 * (air warms, RH falls; amplitude 4-12), a drift of +-4 over ~8 h and noise (sd ~0.4).
 */
export const humidityModel: SensorModel = {
  metric: 'humidity',
  valueAt(deviceKey, tMs) {
    const base = param(deviceKey, Slot.base, 35, 60);
    const amplitude = param(deviceKey, Slot.amplitude, 4, 12);
    const zoneMs = param(deviceKey, Slot.phase, -6, 6) * HOUR_MS;
    const daily = -amplitude * Math.cos(2 * Math.PI * (dayFraction(tMs, zoneMs) - 15 / 24));
    const drift = 4 * smoothNoiseAt(streamKey(deviceKey, Slot.drift), tMs, 8 * HOUR_MS);
    const noise = 0.4 * normalAt(streamKey(deviceKey, Slot.noise), ...timeWords(tMs));
    return Math.min(98, Math.max(5, base + daily + drift + noise));
  },
};
