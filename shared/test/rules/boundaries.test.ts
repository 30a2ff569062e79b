/**
 * The rules stated once, as a small reference model, and checked against the evaluator on
 * readings that sit exactly on every boundary: the threshold, the clear level, the end of
 * each hold, the stale limit, and episodes opening in the same millisecond (the
 * `lastEpisodeMs + 1` collision guard). Values and times are integers so "exactly on" is
 * exact; the evaluator's float tolerance is pinned separately in threshold.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertIdFor, type StaleRule, type ThresholdRule } from '../../src/index.ts';
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
