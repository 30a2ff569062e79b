import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, formatDuration, RuleEngine, rulesFor } from '../../src/index.ts';
import { T0 } from './helpers.ts';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [90_000, '90s'],
    [60_000, '1min'],
    [600_000, '10min'],
    [3_600_000, '1h'],
    [5_400_000, '90min'],
  ])('%d ms -> %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('alert messages for the default rules', () => {
  // Each metric is driven past its default rule long enough to raise, then back to clear.
  const cases: Array<[string, number, number, string, string]> = [
    [
      'temperature',
      31.2,
      20,
      'temperature 31.2 degC above 30 for 10s',
      'temperature 20 degC cleared: at or below 29 for 10s',
    ],
    [
      'humidity',
      90.06,
      50,
      'humidity 90.1 %RH above 85 for 30s',
      'humidity 50 %RH cleared: at or below 82 for 30s',
    ],
    ['co2', 1612.4, 600, 'co2 1612 ppm above 1500 for 30s', 'co2 600 ppm cleared: at or below 1400 for 30s'],
    [
      'battery_v',
      3.1,
      3.7,
      'battery_v 3.1 V below 3.3 for 1min',
      'battery_v 3.7 V cleared: at or above 3.4 for 1min',
    ],
  ];

  it.each(cases)('%s', (metric, bad, good, raised, cleared) => {
    const engine = new RuleEngine({
      rulesFor: (_d, m) => rulesFor(DEFAULT_RULES, undefined, m),
      source: 'edge',
    });
    const messages: string[] = [];
    let seq = 0;
    for (let s = 0; s <= 240; s += 5) {
      const value = s <= 100 ? bad : good;
      for (const e of engine.onReading({
        deviceId: 'dev-1',
        metric,
        tsMs: T0 + s * 1000,
        value,
        seq: ++seq,
      })) {
        if (e.ruleKind === 'threshold' && e.severity === 'warning') messages.push(e.message);
      }
    }
    expect(messages).toEqual([raised, cleared]);
  });

  it('vibration_rms: a jump', () => {
    const engine = new RuleEngine({
      rulesFor: (_d, m) => rulesFor(DEFAULT_RULES, undefined, m),
      source: 'edge',
    });
    const events = [2, 2.5, 8.75].flatMap((value, i) =>
      engine.onReading({
        deviceId: 'dev-1',
        metric: 'vibration_rms',
        tsMs: T0 + i * 1000,
        value,
        seq: i + 1,
      }),
    );
    expect(events.map((e) => e.message)).toEqual([
      'vibration_rms 8.75 mm/s: changed by 6.75 mm/s within 10s (limit 5)',
    ]);
  });
});
