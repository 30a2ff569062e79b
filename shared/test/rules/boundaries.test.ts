/**
 * The rules stated once, as a small reference model, and checked against the evaluator on
 * readings that sit exactly on every boundary: the threshold, the clear level, the end of
 * each hold, the stale limit, and episodes opening in the same millisecond (the
 * `lastEpisodeMs + 1` collision guard). Values and times are integers so "exactly on" is
 * exact; the evaluator's float tolerance is pinned separately in threshold.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alertIdFor,
  type RateRule,
  type StaleRule,
  stepReading,
  stepTick,
  type ThresholdRule,
} from '../../src/index.ts';
import { CTX, type Input, run, T0 } from './helpers.ts';

const SEED = 20_261_203;

interface Expected {
  kind: 'raised' | 'cleared';
  alertId: string;
  tsMs: number;
  value: number;
  seq: number;
}

/** Episode key: the candidate time, unless an earlier episode already used it or a later one. */
function episodeKey(lastEpisodeMs: number | null, candidateMs: number): number {
  return lastEpisodeMs !== null && candidateMs <= lastEpisodeMs ? lastEpisodeMs + 1 : candidateMs;
}

function thresholdModel(
  rule: ThresholdRule,
  points: ReadonlyArray<{ tsMs: number; value: number }>,
): Expected[] {
  const above = rule.direction === 'above';
  const clearLevel = above ? rule.threshold - rule.clearBand : rule.threshold + rule.clearBand;
  let active = false;
  let runStartMs: number | null = null;
  let episodeMs: number | null = null;
  let lastEpisodeMs: number | null = null;
  const out: Expected[] = [];
  points.forEach(({ tsMs, value }, i) => {
    const seq = i + 1;
    const counts = active
      ? above
        ? value <= clearLevel
        : value >= clearLevel
      : above
        ? value > rule.threshold
        : value < rule.threshold;
    if (!counts) {
      runStartMs = null;
      return;
    }
    runStartMs ??= tsMs;
    if (tsMs - runStartMs < (active ? rule.clearHoldMs : rule.raiseHoldMs)) return;
    if (!active) {
      episodeMs = episodeKey(lastEpisodeMs, runStartMs);
      lastEpisodeMs = episodeMs;
    }
    const alertId = alertIdFor(CTX.deviceId, CTX.metric, rule.id, episodeMs as number);
    out.push({ kind: active ? 'cleared' : 'raised', alertId, tsMs, value, seq });
    active = !active;
    runStartMs = null;
  });
  return out;
}

const thresholdArb: fc.Arbitrary<ThresholdRule> = fc.record({
  id: fc.constant('t'),
  kind: fc.constant('threshold' as const),
  severity: fc.constant('warning' as const),
  direction: fc.constantFrom('above' as const, 'below' as const),
  threshold: fc.integer({ min: -3, max: 3 }),
  clearBand: fc.integer({ min: 0, max: 2 }),
  raiseHoldMs: fc.constantFrom(0, 1, 2, 3),
  clearHoldMs: fc.constantFrom(0, 1, 2, 3),
});

/** Readings 0 or 1 ms apart (0: the same millisecond, next seq), values around the levels. */
const pointsArb = fc
  .array(fc.record({ dtMs: fc.integer({ min: 0, max: 1 }), value: fc.integer({ min: -6, max: 6 }) }), {
    maxLength: 40,
  })
  .map((steps) => {
    let tsMs = T0;
    return steps.map(({ dtMs, value }) => {
      tsMs += dtMs;
      return { tsMs, value };
    });
  });

function asInputs(points: ReadonlyArray<{ tsMs: number; value: number }>): Input[] {
  return points.map(({ tsMs, value }, i) => ({
    reading: { deviceId: CTX.deviceId, metric: CTX.metric, tsMs, value, seq: i + 1 },
  }));
}

/** Above 0, no band, no holds: every crossing is a transition. */
const PLAIN: ThresholdRule = {
  id: 't',
  kind: 'threshold',
  severity: 'info',
  direction: 'above',
  threshold: 0,
  clearBand: 0,
  raiseHoldMs: 0,
  clearHoldMs: 0,
};

describe('threshold rule against its model', () => {
  it('raises past the threshold, clears at or past the clear level, each after its hold, ids never repeat', () => {
    fc.assert(
      fc.property(thresholdArb, pointsArb, (rule, points) => {
        const { events } = run(rule, asInputs(points));
        expect(
          events.map(({ kind, alertId, tsMs, value, seq }) => ({ kind, alertId, tsMs, value, seq })),
        ).toEqual(thresholdModel(rule, points));
        const raised = events.filter((e) => e.kind === 'raised').map((e) => e.alertId);
        expect(new Set(raised).size).toBe(raised.length);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('three episodes in one millisecond get keys t, t + 1, t + 2', () => {
    const { events, state } = run(PLAIN, asInputs([1, 0, 1, 0, 1].map((value) => ({ tsMs: T0, value }))));
    expect(events.filter((e) => e.kind === 'raised').map((e) => e.alertId)).toEqual(
      [T0, T0 + 1, T0 + 2].map((ms) => alertIdFor(CTX.deviceId, CTX.metric, 't', ms)),
    );
    expect(state).toMatchObject({ active: true, episodeStartMs: T0 + 2, lastEpisodeMs: T0 + 2 });
  });

  it('a later episode keeps its own time as key once past the previous key', () => {
    // Keys T0 and T0 + 1 (collision), then T0 + 1 again at T0 + 1: must become T0 + 2, not stay.
    const times = [T0, T0, T0, T0 + 1, T0 + 1, T0 + 5, T0 + 5, T0 + 9];
    const values = [1, 0, 1, 0, 1, 0, 1, 1];
    const { events } = run(PLAIN, asInputs(times.map((tsMs, i) => ({ tsMs, value: values[i] as number }))));
    expect(events.filter((e) => e.kind === 'raised').map((e) => Number(e.alertId.split('.').at(-1)))).toEqual(
      [T0, T0 + 1, T0 + 2, T0 + 5],
    );
  });
});

describe('stale rule boundaries', () => {
  const rule: StaleRule = { id: 's', kind: 'stale', severity: 'critical', afterMs: 10 };
  const reading = (tsMs: number, seq: number, value = 1): Input => ({
    reading: { deviceId: CTX.deviceId, metric: CTX.metric, tsMs, value, seq },
  });

  it('raises at a tick exactly afterMs after the last reading, not 1 ms before', () => {
    expect(run(rule, [reading(T0, 1), { tickMs: T0 + 9 }]).events).toEqual([]);
    const { events } = run(rule, [reading(T0, 1), { tickMs: T0 + 10 }]);
    expect(events.map((e) => [e.kind, e.tsMs])).toEqual([['raised', T0 + 10]]);
  });

  it('an episode raised again at the same time gets the next key', () => {
    // The clearing reading carries the same event time as the last one, so the next tick
    // raises at the same T0 + 10 as the first episode.
    const { events } = run(rule, [reading(T0, 1), { tickMs: T0 + 10 }, reading(T0, 2), { tickMs: T0 + 10 }]);
    expect(events.map((e) => [e.kind, e.tsMs, e.alertId])).toEqual([
      ['raised', T0 + 10, alertIdFor(CTX.deviceId, CTX.metric, 's', T0 + 10)],
      ['cleared', T0 + 10, alertIdFor(CTX.deviceId, CTX.metric, 's', T0 + 10)],
      ['raised', T0 + 10, alertIdFor(CTX.deviceId, CTX.metric, 's', T0 + 11)],
    ]);
  });
});

describe('rate window pruning at its edge', () => {
  // windowMs 3200 over 32 buckets: 100 ms buckets; T0 is a multiple of 100.
  const rule: RateRule = {
    id: 'r',
    kind: 'rate',
    severity: 'info',
    maxDelta: 5,
    windowMs: 3200,
    clearHoldMs: 0,
  };
  const at = (offsets: ReadonlyArray<readonly [number, number]>): Input[] =>
    offsets.map(([dtMs, value], i) => ({
      reading: { deviceId: CTX.deviceId, metric: CTX.metric, tsMs: T0 + dtMs, value, seq: i + 1 },
    }));

  it('a bucket still counts while its last millisecond is in the window', () => {
    // At T0 + 3299 the window starts at T0 + 99, inside the bucket [T0, T0 + 100).
    expect(
      run(
        rule,
        at([
          [0, 0],
          [3299, 6],
        ]),
      ).events.map((e) => e.kind),
    ).toEqual(['raised']);
    expect(
      run(
        rule,
        at([
          [99, 0],
          [3299, 6],
        ]),
      ).events.map((e) => e.kind),
    ).toEqual(['raised']);
  });

  it('a bucket wholly before the window is dropped, and only that one', () => {
    const { events, state } = run(
      rule,
      at([
        [0, 0],
        [150, 2],
        [3300, 6],
      ]),
    );
    expect(events).toEqual([]);
    // Bucket T0 pruned; bucket T0 + 100 (value 2) kept; T0 + 3300 added.
    expect(state.window).toEqual([(T0 + 100) / 100, 2, 2, (T0 + 3300) / 100, 6, 6]);
    expect(
      run(
        rule,
        at([
          [0, 0],
          [150, 0],
          [3300, 6],
        ]),
      ).events.map((e) => e.kind),
    ).toEqual(['raised']);
  });

  it('drops every bucket once the gap exceeds the window', () => {
    const { events, state } = run(
      rule,
      at([
        [0, 0],
        [100, 1],
        [200, 2],
        [10_000, 9],
      ]),
    );
    expect(events).toEqual([]);
    expect(state.window).toEqual([(T0 + 10_000) / 100, 9, 9]);
  });

  it('a bucket keeps the min and max of its readings', () => {
    const { state } = run(
      rule,
      at([
        [0, 3],
        [10, 1],
        [20, 4],
        [30, 2],
      ]),
    );
    expect(state.window).toEqual([T0 / 100, 1, 4]);
    // Either extreme 5+ away from a later reading raises.
    expect(
      run(
        rule,
        at([
          [0, 3],
          [10, 1],
          [20, 4],
          [500, 6.5],
        ]),
      ).events,
    ).toHaveLength(1);
    expect(
      run(
        rule,
        at([
          [0, 3],
          [10, 1],
          [20, 4],
          [500, -1.5],
        ]),
      ).events,
    ).toHaveLength(1);
    expect(
      run(
        rule,
        at([
          [0, 3],
          [10, 1],
          [20, 4],
          [500, 5.9],
        ]),
      ).events,
    ).toHaveLength(0);
  });

  it('buckets are at least 1 ms for windows shorter than the bucket count', () => {
    const short: RateRule = { ...rule, windowMs: 10 };
    const { state } = run(
      short,
      at([
        [0, 0],
        [1, 1],
        [2, 2],
      ]),
    );
    expect(state.window).toEqual([T0, 0, 0, T0 + 1, 1, 1, T0 + 2, 2, 2]);
  });
});

describe('evaluator guards', () => {
  it('a value exactly at a computed clear level clears at any magnitude (relative tolerance)', () => {
    // 100000.2 - 0.1 is 100000.09999999999: 1.5e-11 short, far above an absolute 1e-12.
    const rule: ThresholdRule = { ...PLAIN, threshold: 100_000.2, clearBand: 0.1 };
    const { events } = run(
      rule,
      asInputs([
        { tsMs: T0, value: 100_001 },
        { tsMs: T0 + 1, value: 100_000.1 },
      ]),
    );
    expect(events.map((e) => e.kind)).toEqual(['raised', 'cleared']);
  });

  it('ticks on a rule that is not a stale rule return the very same state, however late', () => {
    const { state } = run(PLAIN, asInputs([{ tsMs: T0, value: -1 }]));
    const step = stepTick(PLAIN, state, T0 + 10 ** 9, CTX);
    expect(step.state).toBe(state);
    expect(step.event).toBeUndefined();
  });

  it('refuses to build an alert id from a bad part, naming every part', () => {
    expect(() => alertIdFor('dev-1', 'temperature', 'Bad Rule', 5)).toThrow(
      'cannot build an alert id from device "dev-1", metric "temperature", rule "Bad Rule", episode start 5',
    );
    expect(() => alertIdFor('dev-1', 'temperature', 'r', Number.NaN)).toThrow(
      expect.objectContaining({ code: 'EDGEFLOW_VALIDATION' }),
    );
  });
});

describe('pure steps copy the rate window', () => {
  it('stepReading leaves the input window untouched', () => {
    const rule: RateRule = {
      id: 'r',
      kind: 'rate',
      severity: 'info',
      maxDelta: 5,
      windowMs: 3200,
      clearHoldMs: 0,
    };
    const { state } = run(rule, asInputs([{ tsMs: T0, value: 1 }]));
    const before = state.window.slice();
    const next = stepReading(
      rule,
      state,
      { deviceId: CTX.deviceId, metric: CTX.metric, tsMs: T0 + 500, value: 2, seq: 2 },
      CTX,
    );
    expect(state.window).toEqual(before);
    expect(next.state.window).not.toBe(state.window);
    expect(next.state.window).toHaveLength(6);
  });
});
