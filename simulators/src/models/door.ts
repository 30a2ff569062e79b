import { unitAt } from '../prng.ts';
import { param, Slot, streamKey } from './params.ts';
import { dayFraction, HOUR_MS, type SensorModel, timeWords } from './types.ts';

const SLOT_MS = 60_000;

/**
 * Door contact, 1 = open: each minute the door opens with a probability that depends on the
 * local hour (15% in working hours, 2% at night) and stays open for 5-50 s of that minute.
 */
export const doorModel: SensorModel = {
  metric: 'door',
  valueAt(deviceKey, tMs) {
    const zoneMs = param(deviceKey, Slot.phase, -6, 6) * HOUR_MS;
    const slot = Math.floor(tMs / SLOT_MS);
    const hour = dayFraction(slot * SLOT_MS, zoneMs) * 24;
    const openChance = hour >= 7 && hour < 19 ? 0.15 : 0.02;
    const key = streamKey(deviceKey, Slot.burst);
    const words = timeWords(slot);
    if (unitAt(key, ...words) >= openChance) return 0;
    const openForMs = 5_000 + 45_000 * unitAt(key ^ 0xd002, ...words);
    return tMs - slot * SLOT_MS < openForMs ? 1 : 0;
  },
};
