import { describe, expect, it } from 'vitest';
import { alertIdFor } from '../../src/index.ts';
import { brief, CTX, readings, run, T0, threshold } from './helpers.ts';

type Case = {
  name: string;
  rule: Parameters<typeof threshold>[0];
  points: Array<[number, number]>;
  expected: string[];
};

// Threshold 30 above, clear band 1 (clear level 29) unless the case says otherwise.
const cases: Case[] = [
  {
    name: 'a value flapping around the threshold raises one alert and clears once',
    rule: { raiseHoldMs: 0, clearHoldMs: 0 },
    points: [
      [0, 29.5],
      [1, 30.5],
      [2, 29.6],
      [3, 30.8],
      [4, 29.9],
      [5, 31],
      [6, 29.2],
      [7, 30.1],
      [8, 28.9],
      [9, 29.4],
      [10, 29.8],
    ],
    expected: ['raised@1s=30.5', 'cleared@8s=28.9'],
  },
  {
    name: 'fifty swings across both levels under a clear hold raise one alert',
    rule: { raiseHoldMs: 0, clearHoldMs: 10_000 },
    points: [
      ...Array.from({ length: 50 }, (_, i): [number, number] => [i, i % 2 === 0 ? 31 : 28.5]),
      [50, 28],
      [60, 28],
    ],
    expected: ['raised@0s=31', 'cleared@60s=28'],
  },
  {
    name: 'a new breach after the clear is a new episode',
    rule: {},
    points: [
      [0, 31],
      [1, 28],
      [2, 30.2],
    ],
    expected: ['raised@0s=31', 'cleared@1s=28', 'raised@2s=30.2'],
  },
  {
    name: 'a value exactly at the threshold is not a breach (above means >)',
    rule: {},
    points: [
      [0, 30],
      [1, 30],
    ],
    expected: [],
  },
  {
    name: 'a breach shorter than raiseHoldMs raises nothing',
    rule: { raiseHoldMs: 10_000 },
    points: [
      [0, 31],
      [5, 32],
      [9, 33],
      [10, 29.5],
      [20, 31],
      [29, 31],
    ],
    expected: [],
  },
  {
    name: 'raise on the reading that completes the hold, measured from the first breaching reading',
    rule: { raiseHoldMs: 10_000 },
    points: [
      [0, 25],
      [3, 31],
      [8, 31.5],
      [13, 31.2],
      [14, 32],
    ],
    expected: ['raised@13s=31.2'],
  },
  {
    name: 'a non-breaching reading restarts the raise hold',
    rule: { raiseHoldMs: 10_000 },
    points: [
      [0, 31],
      [6, 29.9],
      [7, 31],
      [16, 31],
      [17, 31],
    ],
    expected: ['raised@17s=31'],
  },
  {
    name: 'clear waits for clearHoldMs past the clear level',
    rule: { clearHoldMs: 10_000 },
    points: [
      [0, 31],
      [1, 28],
      [6, 28.5],
      [11, 28.9],
      [12, 27],
    ],
    expected: ['raised@0s=31', 'cleared@11s=28.9'],
  },
  {
    name: 'a value back inside the band or above restarts the clear hold',
    rule: { clearHoldMs: 10_000 },
    points: [
      [0, 31],
      [1, 28],
      [9, 29.5],
      [10, 28],
      [15, 31],
      [16, 28],
      [25, 28],
      [26, 28],
    ],
    expected: ['raised@0s=31', 'cleared@26s=28'],
  },
  {
    name: 'values inside the hysteresis band neither raise nor clear',
    rule: {},
    points: [
      [0, 29.5],
      [1, 29.1],
      [2, 30.5],
      [3, 29.5],
      [4, 29.01],
      [5, 30],
    ],
    expected: ['raised@2s=30.5'],
  },
  {
    name: 'a value exactly at the clear level clears',
    rule: {},
    points: [
      [0, 31],
      [1, 29],
    ],
    expected: ['raised@0s=31', 'cleared@1s=29'],
  },
  {
    name: 'below: breach under the threshold, clear at threshold + band despite float rounding',
    rule: { direction: 'below', threshold: 3.3, clearBand: 0.1 },
    points: [
      [0, 3.35],
      [1, 3.29],
      [2, 3.39],
      [3, 3.4],
    ],
    expected: ['raised@1s=3.29', 'cleared@3s=3.4'],
  },
  {
    name: 'clearBand 0: plain threshold, still one alert per crossing',
    rule: { clearBand: 0 },
    points: [
      [0, 30.1],
      [1, 30.2],
      [2, 30],
      [3, 30.1],
    ],
    expected: ['raised@0s=30.1', 'cleared@2s=30', 'raised@3s=30.1'],
  },
];

describe('threshold rule', () => {
  it.each(cases)('$name', ({ rule, points, expected }) => {
    const { events } = run(threshold(rule), readings(points));
    expect(brief(events)).toEqual(expected);
  });

  it('raised and cleared of one episode share an id derived from the first breaching reading', () => {
    const rule = threshold({ raiseHoldMs: 10_000, clearHoldMs: 5000 });
    const { events } = run(
      rule,
      readings([
        [0, 31],
        [5, 31],
        [10, 31],
        [20, 28],
        [25, 28],
      ]),
    );
    expect(events.map((e) => e.kind)).toEqual(['raised', 'cleared']);
    const id = alertIdFor('dev-1', 'temperature', 'temp-high', T0);
    expect(events[0]?.alertId).toBe(id);
    expect(events[1]?.alertId).toBe(id);
    expect(id).toBe(`dev-1.temperature.temp-high.${T0}`);
  });

  it('a new episode gets a new id', () => {
    const { events } = run(
      threshold(),
      readings([
        [0, 31],
        [1, 28],
        [2, 31],
      ]),
    );
    expect(new Set(events.map((e) => e.alertId)).size).toBe(2);
    expect(events[2]?.alertId).toBe(alertIdFor('dev-1', 'temperature', 'temp-high', T0 + 2000));
  });

  it('episodes raised and cleared within one millisecond still get distinct ids', () => {
    const same = readings([
      [0, 31],
      [0, 28],
      [0, 31],
    ]);
    const { events } = run(threshold(), same);
    expect(events.map((e) => e.kind)).toEqual(['raised', 'cleared', 'raised']);
    expect(events[0]?.alertId).not.toBe(events[2]?.alertId);
  });

  it('fills every event field from the rule, the reading and the context', () => {
    const rule = threshold({ raiseHoldMs: 10_000, severity: 'critical' });
    const { events } = run(
      rule,
      readings([
        [0, 31.2],
        [10, 31.234],
      ]),
    );
    expect(events).toEqual([
      {
        alertId: `dev-1.temperature.temp-high.${T0}`,
        kind: 'raised',
        deviceId: 'dev-1',
        metric: 'temperature',
        ruleId: 'temp-high',
        ruleKind: 'threshold',
        severity: 'critical',
        value: 31.234,
        tsMs: T0 + 10_000,
        seq: 2,
        source: 'edge',
        gatewayId: 'gw-1',
        message: 'temperature 31.23 degC above 30 for 10s',
      },
    ]);
  });

  it('omits gatewayId (never undefined: Firestore refuses it) when the context has none', () => {
    const { events } = run(threshold(), readings([[0, 31]]), {
      deviceId: 'dev-1',
      metric: 'temperature',
      source: 'cloud',
    });
    expect(events).toHaveLength(1);
    expect(Object.hasOwn(events[0] as object, 'gatewayId')).toBe(false);
    expect(events[0]?.source).toBe('cloud');
  });

  it('writes a readable clear message', () => {
    const { events } = run(
      threshold({ clearHoldMs: 10_000 }),
      readings([
        [0, 31],
        [1, 28.5],
        [11, 28.7],
      ]),
    );
    expect(events[1]?.message).toBe('temperature 28.7 degC cleared: at or below 29 for 10s');
  });

  it('does not touch the input state (pure)', () => {
    const first = run(threshold(), readings([[0, 31]]));
    const frozen = structuredClone(first.state);
    run(
      threshold(),
      readings([[0, 31]]).map((r) => ({ ...r, seq: 5, tsMs: T0 + 9000, value: 20 })),
      CTX,
      first.state,
    );
    expect(first.state).toEqual(frozen);
  });
});
