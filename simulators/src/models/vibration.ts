import { normalAt, unitAt } from '../prng.ts';
import { param, Slot, streamKey } from './params.ts';
import { type SensorModel, timeWords } from './types.ts';

const BURST_SLOT_MS = 30_000;

/**
 * Vibration RMS velocity in mm/s (ISO 10816 scale): a machine's running level (0.3-1.8),
 * multiplicative noise, and bursts: each 30 s slot has a 3% chance of a burst adding
 * 1.5-4.5 mm/s at its peak with a triangular envelope over the slot. A burst rises by at
 * most 3 mm/s in 10 s, so the default jump rule (5 mm/s in 10 s) stays quiet; scenario
 * spikes are what trip it.
 */
export const vibrationModel: SensorModel = {
  metric: 'vibration_rms',
  valueAt(deviceKey, tMs) {
    const running = param(deviceKey, Slot.base, 0.3, 1.8);
    const noise = 1 + 0.08 * normalAt(streamKey(deviceKey, Slot.noise), ...timeWords(tMs));
    const slot = Math.floor(tMs / BURST_SLOT_MS);
    const burstKey = streamKey(deviceKey, Slot.burst);
    const slotWords = timeWords(slot);
    let burst = 0;
    if (unitAt(burstKey, ...slotWords) < 0.03) {
      const peak = 1.5 + 3 * unitAt(burstKey ^ 0xb0057, ...slotWords);
      const phase = (tMs - slot * BURST_SLOT_MS) / BURST_SLOT_MS;
      burst = peak * (1 - Math.abs(2 * phase - 1));
    }
    return Math.max(0, running * noise + burst);
  },
};
