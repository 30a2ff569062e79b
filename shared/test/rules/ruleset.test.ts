import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RULES,
  type EdgeflowError,
  METRIC_CATALOG,
  type RuleSet,
  ruleSetChecker,
  rulesFor,
  validateRules,
} from '../../src/index.ts';
import { rate, stale, threshold } from './helpers.ts';

function problemsOf(rules: unknown): EdgeflowError {
  try {
    validateRules(rules as RuleSet);
  } catch (err) {
    return err as EdgeflowError;
  }
  throw new Error('expected validateRules to throw');
}

describe('rulesFor', () => {
  const defaults: RuleSet = {
    temperature: [
      threshold({ id: 'hot' }),
      threshold({ id: 'very-hot', threshold: 40 }),
      stale({ id: 'quiet' }),
    ],
    co2: [threshold({ id: 'co2-high', threshold: 1500 })],
  };

  it('returns the defaults array itself when the device overrides nothing for the metric', () => {
    expect(rulesFor(defaults, undefined, 'temperature')).toBe(defaults.temperature);
    expect(rulesFor(defaults, { co2: [] }, 'temperature')).toBe(defaults.temperature);
    expect(rulesFor(defaults, { temperature: [] }, 'temperature')).toBe(defaults.temperature);
  });

  it('replaces a default with the same id in place and appends the others', () => {
    const overrides: RuleSet = {
      temperature: [
        threshold({ id: 'extra', threshold: 10, direction: 'below' }),
        threshold({ id: 'hot', threshold: 35 }),
      ],
    };
    const merged = rulesFor(defaults, overrides, 'temperature');
    expect(merged.map((r) => r.id)).toEqual(['hot', 'very-hot', 'quiet', 'extra']);
    expect(merged[0]).toMatchObject({ id: 'hot', threshold: 35 });
    expect(defaults.temperature?.[0]).toMatchObject({ threshold: 30 }); // defaults untouched
  });

  it('gives override-only metrics and unknown metrics sensible answers', () => {
    expect(rulesFor(defaults, { pressure: [rate({ id: 'p' })] }, 'pressure').map((r) => r.id)).toEqual(['p']);
    expect(rulesFor(defaults, undefined, 'pressure')).toEqual([]);
  });

  it('does not mistake Object.prototype members for metrics', () => {
    expect(rulesFor(defaults, undefined, 'constructor')).toEqual([]);
    expect(rulesFor({}, {}, 'hasOwnProperty')).toEqual([]);
  });
});

describe('validateRules', () => {
  it('accepts and returns a valid rule set', () => {
    const rules: RuleSet = { temperature: [threshold(), stale()] };
    expect(validateRules(rules)).toBe(rules);
  });

  it('lists every problem, schema and meaning, in one RULE_INVALID error', () => {
    const err = problemsOf({
      temperature: [
        threshold({ id: 'hot' }),
        threshold({ id: 'hot', threshold: 200 }),
        { ...threshold({ id: 'cold' }), raiseHoldMs: -1 },
        { id: 'x', kind: 'median', severity: 'warning' },
      ],
      Temperature: [],
      co2: [rate({ id: 'jump', maxDelta: 60_000 }), stale({ id: 'slow', afterMs: 30 * 24 * 3_600_000 })],
      humidity: 'lots',
      battery_v: [threshold({ id: 'low', direction: 'below', threshold: 3.3, clearBand: 100 }), null],
    });
    expect(err.code).toBe('EDGEFLOW_RULE_INVALID');
    expect(err.problems.map((p) => p.path)).toEqual([
      '/temperature/1/id',
      '/temperature/1/threshold',
      '/temperature/2/raiseHoldMs',
      '/temperature/3/kind',
      '/Temperature',
      '/co2/0/maxDelta',
      '/co2/1/afterMs',
      '/humidity',
      '/battery_v/0/clearBand',
      '/battery_v/1',
    ]);
    expect(err.problems[0]?.message).toBe('duplicates rule id "hot" for temperature');
    expect(err.problems[1]?.message).toMatch(/can never be crossed above/);
    expect(err.message).toMatch(/^invalid rules: \/temperature\/1\/id duplicates rule id "hot"/);
    for (const p of err.problems) expect(err.message).toContain(p.path);
  });

  it('reports missing and unknown fields against the schema of the rule kind', () => {
    const { clearHoldMs: _, ...noClearHold } = threshold();
    const err = problemsOf({ temperature: [noClearHold, { ...stale(), typo: 1 }] });
    expect(err.problems).toEqual([
      { path: '/temperature/0', message: expect.stringMatching(/clearHoldMs/) },
      { path: '/temperature/1/typo', message: 'is not allowed here' },
      { path: '/temperature/1', message: expect.stringMatching(/additional properties/) },
    ]);
  });

  it('rejects a non-object', () => {
    expect(problemsOf([]).problems).toEqual([{ path: '/', message: expect.any(String) }]);
    expect(problemsOf(null).code).toBe('EDGEFLOW_RULE_INVALID');
  });
});

describe('DEFAULT_RULES', () => {
  it('is valid, frozen and covers catalogue metrics only', () => {
    expect(validateRules(DEFAULT_RULES)).toBe(DEFAULT_RULES);
    expect(ruleSetChecker.check(DEFAULT_RULES)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RULES)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RULES.temperature?.[0])).toBe(true);
    for (const metric of Object.keys(DEFAULT_RULES)) expect(METRIC_CATALOG[metric]).toBeDefined();
  });

  it('has the documented fleet defaults', () => {
    expect(DEFAULT_RULES.temperature).toEqual([
      expect.objectContaining({
        id: 'temperature-high',
        direction: 'above',
        threshold: 30,
        clearBand: 1,
        raiseHoldMs: 10_000,
        clearHoldMs: 10_000,
        severity: 'warning',
      }),
      expect.objectContaining({ id: 'temperature-critical', threshold: 40, severity: 'critical' }),
      expect.objectContaining({ id: 'temperature-stale', kind: 'stale', afterMs: 60_000 }),
    ]);
    expect(DEFAULT_RULES.co2?.[0]).toMatchObject({ direction: 'above', threshold: 1500 });
    expect(DEFAULT_RULES.battery_v?.[0]).toMatchObject({ direction: 'below', threshold: 3.3 });
    expect(DEFAULT_RULES.humidity?.[0]).toMatchObject({ direction: 'above', threshold: 85 });
    expect(DEFAULT_RULES.vibration_rms?.[0]).toMatchObject({ kind: 'rate' });
  });
});
