import { type AlertEvent, DEFAULT_RULES, type Reading, RuleEngine, type RuleSet } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { alertTopic, LocalRules, ruleResolver } from '../../src/rules/local-rules.ts';

const override: RuleSet = {
  temperature: [
    {
      id: 'temperature-high',
      kind: 'threshold',
      severity: 'critical',
      direction: 'above',
      threshold: -15,
      clearBand: 1,
      raiseHoldMs: 0,
      clearHoldMs: 0,
    },
  ],
};

describe('ruleResolver', () => {
  it('returns the defaults, or the per-device merge, as stable arrays', () => {
    const resolve = ruleResolver(DEFAULT_RULES, { 'freezer-1': override });
    expect(resolve('dev-1', 'temperature')).toBe(DEFAULT_RULES.temperature);
    const merged = resolve('freezer-1', 'temperature');
    expect(resolve('freezer-1', 'temperature')).toBe(merged);
    expect(merged.find((r) => r.id === 'temperature-high')).toMatchObject({ threshold: -15 });
    expect(merged.map((r) => r.id)).toEqual(DEFAULT_RULES.temperature?.map((r) => r.id));
    expect(resolve('freezer-1', 'humidity')).toBe(DEFAULT_RULES.humidity);
    expect(resolve('dev-1', 'unknown_metric')).toEqual([]);
  });
});

describe('LocalRules', () => {
  it('emits transitions from readings and from ticks', () => {
    const emitted: AlertEvent[] = [];
    const engine = new RuleEngine({
      rulesFor: ruleResolver(
        { door: [{ id: 'door-stale', kind: 'stale', severity: 'warning', afterMs: 1000 }] },
        { 'freezer-1': override },
      ),
      source: 'edge',
      gatewayId: 'test-gw',
    });
    const rules = new LocalRules(engine, (a) => emitted.push(a));
    const t0 = 1_780_000_000_000;
    const readings: Reading[] = [
      { deviceId: 'freezer-1', metric: 'temperature', tsMs: t0, value: -10, seq: 0 },
      { deviceId: 'dev-1', metric: 'door', tsMs: t0, value: 1, seq: 1 },
    ];
    rules.onReadings(readings);
    expect(emitted.map((a) => [a.kind, a.ruleId, alertTopic(a)])).toEqual([
      ['raised', 'temperature-high', 'alerts/freezer-1/temperature'],
    ]);
    rules.tick(t0 + 5000);
    expect(emitted.map((a) => [a.kind, a.ruleId])).toContainEqual(['raised', 'door-stale']);
  });
});
