import { describe, expect, it } from 'vitest';
import { RATE_BUCKETS, ruleStateChecker } from '../../src/index.ts';
import { brief, rate, readings, run, T0 } from './helpers.ts';

type Case = {
  name: string;
  rule: Parameters<typeof rate>[0];
  points: Array<[number, number]>;
  expected: string[];
};

// maxDelta 5 within 10 s, clear hold 0 unless the case says otherwise.
const cases: Case[] = [
  {
    name: 'a step larger than maxDelta raises at once',
    rule: {},
    points: [
      [0, 20],
      [1, 20.5],
      [2, 26],
    ],
    expected: ['raised@2s=26'],
  },
  {
    name: 'a change of exactly maxDelta does not raise',
    rule: {},
    points: [
      [0, 20],
      [5, 25],
    ],
    expected: [],
  },
  {
    name: 'a slow ramp (4 per 10 s) never raises',
    rule: {},
    points: Array.from({ length: 60 }, (_, i): [number, number] => [i, 20 + 0.4 * i]),
    expected: [],
  },
  {
    name: 'a change spread over more than the window does not raise',
    rule: {},
    points: [
      [0, 20],
      [11, 26],
    ],
    expected: [],
  },
  {
    name: 'a drop counts like a rise (absolute change)',
    rule: {},
    points: [
      [0, 20],
      [3, 14.5],
    ],
    expected: ['raised@3s=14.5'],
  },
  {
    name: 'clears once the window no longer holds a violating change',
    rule: {},
    points: [
      [0, 20],
      [1, 30],
      [5, 30],
      [10, 30],
      [12, 30],
    ],
    // At 10 s the 20 from 0 s is still in the window (edge bucket); at 12 s it has left.
    expected: ['raised@1s=30', 'cleared@12s=30'],
  },
  {
    name: 'clear waits clearHoldMs without violation; a new violation restarts it',
    rule: { clearHoldMs: 5000 },
    points: [
      [0, 20],
      [1, 30],
      [12, 30],
      [13, 36],
      [24, 36],
      [28, 36],
      [29, 36],
    ],
    expected: ['raised@1s=30', 'cleared@29s=36'],
  },
  {
    name: 'a spike that rises and falls back within the window is caught on the way up',
    rule: {},
    points: [
      [0, 20],
      [1, 20],
      [2, 27],
      [3, 20],
    ],
    expected: ['raised@2s=27'],
  },
];

describe('rate rule', () => {
  it.each(cases)('$name', ({ rule, points, expected }) => {
    const { events } = run(rate(rule), readings(points));
    expect(brief(events)).toEqual(expected);
  });

  it('raised and cleared share the id of the violating reading time', () => {
    const { events } = run(
      rate(),
      readings([
        [0, 20],
        [1, 30],
        [20, 30],
      ]),
    );
    expect(events.map((e) => [e.kind, e.alertId])).toEqual([
      ['raised', `dev-1.temperature.temp-jump.${T0 + 1000}`],
      ['cleared', `dev-1.temperature.temp-jump.${T0 + 1000}`],
    ]);
    expect(events[0]?.message).toBe('temperature 30 degC: changed by 10 degC within 10s (limit 5)');
  });

  it('keeps the window bounded at any reading rate (1 kHz for 30 s) and the state valid', () => {
    const points = Array.from({ length: 30_000 }, (_, i): [number, number] => [
      i / 1000,
      20 + Math.sin(i / 500),
    ]);
    const { events, state } = run(rate({ windowMs: 10_000 }), readings(points));
    expect(events).toEqual([]);
    expect(state.window.length).toBeLessThanOrEqual(3 * (RATE_BUCKETS + 2));
    expect(ruleStateChecker.check(state)).toBe(true);
  });

  it('still sees the extremes of a dense window', () => {
    // 100 Hz, one low outlier at 5 s, then a value 5.5 above it at 9 s: within the window.
    const points = Array.from({ length: 900 }, (_, i): [number, number] => [i / 100, i === 500 ? 15 : 20]);
    points.push([9.5, 20.6]);
    const { events } = run(rate(), readings(points));
    expect(brief(events)).toEqual(['raised@9.5s=20.6']);
  });
});
