import { normalAt, smoothNoiseAt } from '../prng.ts';
import { param, Slot, streamKey } from './params.ts';
import { DAY_MS, dayFraction, HOUR_MS, type SensorModel, timeWords } from './types.ts';

/**
 * Indoor/outdoor air temperature in degC: a per-device base (18-23), a daily cycle peaking
 * mid-afternoon local time (amplitude 1.5-4.5), a slow drift (+-1 over ~6 h) and sensor
 * noise (sd ~0.08). Stays within about 12-29 degC, under the default high rule (30 degC).
 */
export const temperatureModel: SensorModel = {
  metric: 'temperature',
  valueAt(deviceKey, tMs) {
    const base = param(deviceKey, Slot.base, 18, 23);
    const amplitude = param(deviceKey, Slot.amplitude, 1.5, 4.5);
    const zoneMs = param(deviceKey, Slot.phase, -6, 6) * HOUR_MS;
    const peakAt = 15 / 24;
    const daily = amplitude * Math.cos(2 * Math.PI * (dayFraction(tMs, zoneMs) - peakAt));
    const drift = smoothNoiseAt(streamKey(deviceKey, Slot.drift), tMs, DAY_MS / 4);
    const noiseSd = param(deviceKey, Slot.noise, 0.04, 0.12);
    return base + daily + drift + noiseSd * normalAt(streamKey(deviceKey, Slot.noise), ...timeWords(tMs));
  },
};
