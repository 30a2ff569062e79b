import { DEFAULT_RULES } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { checkScenario } from '../../src/check.ts';
import { loadScenario, shippedScenarios } from '../../src/scenario/load.ts';
import { scaleRules, scaleScenario } from '../../src/scenario/scale.ts';

describe('scaleScenario', () => {
  it('shrinks every duration and raises the rate by the same factor', () => {
    const heatwave = loadScenario('heatwave');
    const fast = scaleScenario(heatwave, 0.1);
    expect(fast.run.durationMs).toBe(heatwave.run.durationMs / 10);
    expect(fast.run.rate).toBe(heatwave.run.rate * 10);
    expect(fast.events[0]?.atMs).toBe((heatwave.events[0]?.atMs ?? 0) / 10);
    expect(fast.expect.alerts[0]?.raise).toEqual({
      fromMs: (heatwave.expect.alerts[0]?.raise.fromMs ?? 0) / 10,
      toMs: (heatwave.expect.alerts[0]?.raise.toMs ?? 0) / 10,
    });
    const rule = fast.rules === 'default' ? undefined : fast.rules.temperature?.[0];
    expect(rule).toMatchObject({ raiseHoldMs: 3000, clearHoldMs: 3000 });
  });

  it('materializes the default rules so the scaled holds apply', () => {
    const scaled = scaleRules(DEFAULT_RULES, 0.5);
    expect(scaled.temperature?.find((r) => r.id === 'temperature-stale')).toMatchObject({ afterMs: 30_000 });
    expect(scaleScenario(loadScenario('dropout'), 0.5).rules).toEqual(scaled);
  });

  it('refuses factors outside (0, 1]', () => {
    expect(() => scaleScenario(loadScenario('steady'), 0)).toThrow(RangeError);
    expect(() => scaleScenario(loadScenario('steady'), 2)).toThrow(RangeError);
  });

  // The end-to-end suite runs the shipped scenarios at 1/10 speed: their promises must
  // still follow from the rule engine at that scale.
  it.each(shippedScenarios())('%s keeps its promises at 1/10 time', (name) => {
    const result = checkScenario(scaleScenario(loadScenario(name), 0.1), 42);
    expect(result.problems).toEqual([]);
  });
});
