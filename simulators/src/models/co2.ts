import { normalAt, smoothNoiseAt } from '../prng.ts';
import { param, Slot, streamKey } from './params.ts';
import { dayFraction, HOUR_MS, type SensorModel, timeWords } from './types.ts';

/**
 * CO2 in ppm: outdoor background (~420), plus for indoor devices an occupancy bump during
 * working hours (8:00-18:00 local, peak 200-700 ppm), a drift of +-30 and noise (sd ~12).
 */
export const co2Model: SensorModel = {
  metric: 'co2',
  valueAt(deviceKey, tMs) {
    const background = param(deviceKey, Slot.base, 410, 440);
    const indoor = param(deviceKey, Slot.indoor, 0, 1) < 0.7;
    const peak = indoor ? param(deviceKey, Slot.occupancy, 200, 700) : 0;
    const zoneMs = param(deviceKey, Slot.phase, -6, 6) * HOUR_MS;
    const hour = dayFraction(tMs, zoneMs) * 24;
    const occupancy = hour >= 8 && hour < 18 ? Math.sin((Math.PI * (hour - 8)) / 10) : 0;
    const drift = 30 * smoothNoiseAt(streamKey(deviceKey, Slot.drift), tMs, 2 * HOUR_MS);
    const noise = 12 * normalAt(streamKey(deviceKey, Slot.noise), ...timeWords(tMs));
    return Math.max(380, background + peak * occupancy + drift + noise);
  },
};
