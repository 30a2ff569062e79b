/**
 * validateRules at each of its limits: every rule duration exactly at 7 days and 1 ms over, a
 * threshold exactly at the metric's catalogue range (never crossable) and just inside it, a
 * clear level exactly at the range's end and just past it, a rate limit exactly the whole range.
 * Humidity's catalogue range is 0..100.
 */
import { describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  MAX_RULE_DURATION_MS,
  type Problem,
  type RuleSet,
  validateRules,
} from '../../src/index.ts';

function problemsOf(rules: unknown): Problem[] {
  try {
    validateRules(rules as RuleSet);
    return [];
  } catch (err) {
    expect(err).toMatchObject({ code: ErrorCodes.RULE_INVALID });
    return [...(err as { problems: Problem[] }).problems];
  }
}

const t = (patch: Record<string, unknown>) => ({
  id: 'h',
  kind: 'threshold',
  severity: 'info',
  direction: 'above',
  threshold: 50,
  clearBand: 1,
  raiseHoldMs: 0,
  clearHoldMs: 0,
  ...patch,
});
const rate = (patch: Record<string, unknown>) => ({
  id: 'r',
  kind: 'rate',
  severity: 'info',
  maxDelta: 5,
  windowMs: 1000,
  clearHoldMs: 0,
  ...patch,
});
const paths = (rules: unknown) => problemsOf(rules).map((p) => p.path);

describe('validateRules limits', () => {
  it.each<[string, Record<string, unknown>]>([
    ['raiseHoldMs', t({})],
    ['clearHoldMs', t({})],
    ['windowMs', rate({})],
    ['clearHoldMs', rate({})],
    ['afterMs', { id: 's', kind: 'stale', severity: 'info', afterMs: 1 }],
  ])('%s of a %o: 7 days allowed, 1 ms more refused', (name, rule) => {
    expect(paths({ humidity: [{ ...rule, [name]: MAX_RULE_DURATION_MS }] })).toEqual([]);
    expect(problemsOf({ humidity: [{ ...rule, [name]: MAX_RULE_DURATION_MS + 1 }] })).toEqual([
      { path: `/humidity/0/${name}`, message: `must be at most ${MAX_RULE_DURATION_MS} ms (7 days)` },
    ]);
  });

  it('refuses a threshold at the end of the range it watches, accepts one just inside', () => {
    expect(problemsOf({ humidity: [t({ threshold: 100 })] })).toEqual([
      {
        path: '/humidity/0/threshold',
        message: '100 can never be crossed above: humidity readings lie in 0..100',
      },
    ]);
    expect(paths({ humidity: [t({ threshold: 99.9 })] })).toEqual([]);
    expect(paths({ humidity: [t({ direction: 'below', threshold: 0 })] })).toEqual(['/humidity/0/threshold']);
    expect(paths({ humidity: [t({ direction: 'below', threshold: 0.1 })] })).toEqual([]);
  });

  it('refuses a clear level outside the range, accepts one exactly at its end', () => {
    expect(paths({ humidity: [t({ threshold: 50, clearBand: 50 })] })).toEqual([]);
    expect(problemsOf({ humidity: [t({ threshold: 50, clearBand: 51 })] })).toEqual([
      {
        path: '/humidity/0/clearBand',
        message:
          "puts the clear level at -1, outside humidity's range 0..100, so the alert could never clear",
      },
    ]);
    expect(paths({ humidity: [t({ direction: 'below', threshold: 50, clearBand: 50 })] })).toEqual([]);
    expect(paths({ humidity: [t({ direction: 'below', threshold: 50, clearBand: 51 })] })).toEqual([
      '/humidity/0/clearBand',
    ]);
  });

  it('refuses a rate limit of the whole range, accepts one just under', () => {
    expect(problemsOf({ humidity: [rate({ maxDelta: 100 })] })).toEqual([
      {
        path: '/humidity/0/maxDelta',
        message: "100 is at least humidity's whole range 0..100, so the rule could never fire",
      },
    ]);
    expect(paths({ humidity: [rate({ maxDelta: 99.9 })] })).toEqual([]);
  });

  it('checks meaning against the catalogue only for catalogue metrics', () => {
    expect(paths({ wind: [t({ threshold: 1e9, clearBand: 1e12 }), rate({ maxDelta: 1e12 })] })).toEqual([]);
  });

  it('names each structural problem', () => {
    expect(problemsOf([])).toEqual([{ path: '/', message: 'must be an object of metric name to rule list' }]);
    expect(problemsOf(null)).toEqual([
      { path: '/', message: 'must be an object of metric name to rule list' },
    ]);
    expect(problemsOf({ Hum: [] })).toEqual([{ path: '/Hum', message: 'is not a valid metric name' }]);
    expect(problemsOf({ humidity: {} })).toEqual([
      { path: '/humidity', message: 'must be an array of rules' },
    ]);
    expect(problemsOf({ humidity: [null, 7] })).toEqual([
      { path: '/humidity/0', message: 'must be a rule object' },
      { path: '/humidity/1', message: 'must be a rule object' },
    ]);
    expect(problemsOf({ humidity: [{ id: 'x', kind: 'delta' }] })).toEqual([
      { path: '/humidity/0/kind', message: 'must be one of threshold, rate, stale' },
    ]);
    expect(problemsOf({ humidity: [t({}), t({})] })).toEqual([
      { path: '/humidity/1/id', message: 'duplicates rule id "h" for humidity' },
    ]);
    // Meaning is checked only once the shape is right.
    expect(paths({ humidity: [t({ threshold: 100, clearBand: -1 })] })).toEqual(['/humidity/0/clearBand']);
  });
});
