import { describe, expect, it } from 'vitest';
import { alertIdFor, classifyReading, initialRuleState, type Reading, stepReading } from '../../src/index.ts';
import { brief, CTX, rate, run, stale, T0, threshold } from './helpers.ts';

const r = (s: number, value: number, seq: number): Reading => ({
  deviceId: 'dev-1',
  metric: 'temperature',
  tsMs: T0 + s * 1000,
  value,
  seq,
});

describe('duplicate and out-of-order input', () => {
  const cases: Array<{ name: string; inputs: Reading[]; expected: string[] }> = [
    {
      name: 'the same reading twice raises once',
      inputs: [r(0, 31, 1), r(0, 31, 1)],
      expected: ['raised@0s=31'],
    },
    {
      name: 'a replayed clearing reading does not clear twice',
      inputs: [r(0, 31, 1), r(1, 28, 2), r(1, 28, 2), r(0, 31, 1), r(1, 28, 2)],
      expected: ['raised@0s=31', 'cleared@1s=28'],
    },
    {
      name: 'a late reading (older event time, newer seq) cannot clear an open episode',
      inputs: [r(0, 25, 1), r(10, 31, 2), r(5, 28, 3)],
      expected: ['raised@10s=31'],
    },
    {
      name: 'a late breaching reading cannot raise',
      inputs: [r(10, 25, 2), r(5, 35, 3)],
      expected: [],
    },
    {
      name: 'a replay of an older seq with a newer time is still a duplicate',
      inputs: [r(0, 25, 5), r(20, 31, 4)],
      expected: [],
    },
    {
      name: 'equal event time with a higher seq is applied',
      inputs: [r(0, 25, 1), r(0, 31, 2)],
      expected: ['raised@0s=31'],
    },
  ];

  it.each(cases)('$name', ({ inputs, expected }) => {
    expect(brief(run(threshold(), inputs).events)).toEqual(expected);
  });

  it('a late reading does not restart a raise hold', () => {
    const rule = threshold({ raiseHoldMs: 10_000 });
    const inputs = [r(0, 31, 1), r(6, 31, 2), r(3, 25, 3), r(10, 31, 4)];
    expect(brief(run(rule, inputs).events)).toEqual(['raised@10s=31']);
  });

  it('classifies readings and leaves the state object untouched when dropping one', () => {
    const { state } = run(threshold(), [r(10, 25, 5)]);
    expect(classifyReading(state, r(10, 25, 5))).toBe('duplicate');
    expect(classifyReading(state, r(11, 25, 4))).toBe('duplicate');
    expect(classifyReading(state, r(9, 25, 6))).toBe('late');
    expect(classifyReading(state, r(10, 25, 6))).toBe('apply');
    expect(classifyReading(initialRuleState(), r(0, 1, 0))).toBe('apply');
    const step = stepReading(threshold(), state, r(9, 99, 6), CTX);
    expect(step.state).toBe(state);
    expect(step.event).toBeUndefined();
  });

  it('duplicates do not feed the rate window or clear staleness twice', () => {
    const rateRun = run(rate(), [r(0, 20, 1), r(1, 30, 2), r(1, 30, 2), r(20, 30, 3), r(20, 30, 3)]);
    expect(brief(rateRun.events)).toEqual(['raised@1s=30', 'cleared@20s=30']);
    const staleRun = run(stale(), [r(0, 21, 1), { tickMs: T0 + 60_000 }, r(70, 22, 2), r(70, 22, 2)]);
    expect(brief(staleRun.events)).toEqual(['raised@60s=21', 'cleared@70s=22']);
  });
});

describe('alert ids', () => {
  it('same inputs give the same ids, run after run and rule instance after rule instance', () => {
    const inputs = [r(0, 31, 1), r(5, 28, 2), r(9, 33, 3), r(30, 20, 4)];
    const a = run(threshold({ clearHoldMs: 1000 }), inputs).events;
    const b = run(
      threshold({ clearHoldMs: 1000 }),
      inputs.map((x) => ({ ...x })),
    ).events;
    expect(a.map((e) => e.alertId)).toEqual(b.map((e) => e.alertId));
    expect(a).toEqual(b);
    // The source differs between edge and cloud; the id does not.
    const cloud = run(threshold({ clearHoldMs: 1000 }), inputs, {
      deviceId: 'dev-1',
      metric: 'temperature',
      source: 'cloud',
    }).events;
    expect(cloud.map((e) => e.alertId)).toEqual(a.map((e) => e.alertId));
  });

  it('are readable, Firestore-safe and within 200 characters', () => {
    const longest = alertIdFor('D'.repeat(64), 'm'.repeat(32), 'r'.repeat(48), 7_258_118_400_000);
    expect(longest.length).toBeLessThanOrEqual(200);
    expect(longest).not.toContain('/');
    expect(alertIdFor('dev-1', 'co2', 'co2-high', 1_700_000_000_123)).toBe(
      'dev-1.co2.co2-high.1700000000123',
    );
  });

  it('are distinct for distinct inputs (no separator ambiguity)', () => {
    expect(alertIdFor('a-b', 'c', 'd', 1)).not.toBe(alertIdFor('a', 'b_c', 'd', 1));
    expect(alertIdFor('a', 'b', 'c', 12)).not.toBe(alertIdFor('a', 'b', 'c', 1));
  });

  it('a transition for an unvalidated id throws and leaves the state as it was', () => {
    const state = run(threshold(), [r(0, 25, 1)]).state;
    const before = structuredClone(state);
    const badCtx = { ...CTX, deviceId: 'dev/1' };
    expect(() => stepReading(threshold(), state, r(1, 31, 2), badCtx)).toThrow(/cannot build an alert id/);
    expect(state).toEqual(before);
  });

  it('refuse ids that would break the format', () => {
    expect(() => alertIdFor('dev/1', 'temperature', 'r', 1)).toThrow(
      expect.objectContaining({ code: 'EDGEFLOW_VALIDATION' }),
    );
    expect(() => alertIdFor('dev-1', 'Temp', 'r', 1)).toThrow(/cannot build an alert id/);
    expect(() => alertIdFor('dev-1', 'temp', 'r.x', 1)).toThrow(/cannot build an alert id/);
    expect(() => alertIdFor('dev-1', 'temp', 'r', Number.NaN)).toThrow(/cannot build an alert id/);
  });
});
