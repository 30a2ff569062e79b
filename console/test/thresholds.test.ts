/** The device page's threshold lines from the rules GET /v1/devices/{id} returns. */
import { DEFAULT_RULES, type RuleSpec } from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thresholdLines } from '../src/thresholds.ts';

describe('thresholdLines', () => {
  it('draws each threshold rule of the fleet defaults at its level, in rule order, and no rate or stale rule', () => {
    expect(thresholdLines(DEFAULT_RULES.temperature as RuleSpec[])).toEqual([
      { ruleId: 'temperature-high', severity: 'warning', direction: 'above', threshold: 30 },
      { ruleId: 'temperature-critical', severity: 'critical', direction: 'above', threshold: 40 },
    ]);
    expect(thresholdLines(DEFAULT_RULES.battery_v as RuleSpec[])).toEqual([
      { ruleId: 'battery-low', severity: 'warning', direction: 'below', threshold: 3.3 },
    ]);
    expect(thresholdLines(DEFAULT_RULES.vibration_rms as RuleSpec[])).toEqual([]);
    expect(thresholdLines([])).toEqual([]);
  });

  it('keeps exactly the threshold rules, whatever the mix', () => {
    const rule = fc.oneof(
      fc.record({
        id: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
        kind: fc.constant('threshold' as const),
        severity: fc.constantFrom('info' as const, 'warning' as const, 'critical' as const),
        direction: fc.constantFrom('above' as const, 'below' as const),
        threshold: fc.double({ noNaN: true, noDefaultInfinity: true }),
        clearBand: fc.double({ min: 0, max: 100, noNaN: true }),
        raiseHoldMs: fc.nat(),
        clearHoldMs: fc.nat(),
      }),
      fc.record({
        id: fc.constant('stale'),
        kind: fc.constant('stale' as const),
        severity: fc.constant('warning' as const),
        afterMs: fc.integer({ min: 1 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 8 }), (rules) => {
        const lines = thresholdLines(rules);
        const wanted = rules.filter((r) => r.kind === 'threshold');
        expect(lines.map((l) => [l.ruleId, l.threshold, l.direction])).toEqual(
          wanted.map((r) => [r.id, r.threshold, r.direction]),
        );
      }),
      { seed: 12, numRuns: 200 },
    );
  });
});
