import { describe, expect, it } from 'vitest';
import {
  type AlertEvent,
  DEFAULT_RULES,
  initialRuleState,
  type Reading,
  RuleEngine,
  type RuleEngineOptions,
  type RuleSpec,
  rulesFor,
  stepReading,
} from '../../src/index.ts';
import { rate, stale, T0, threshold } from './helpers.ts';

const fleet = (): RuleEngineOptions => ({
  rulesFor: (_deviceId, metric) => rulesFor(DEFAULT_RULES, undefined, metric),
  source: 'edge',
  gatewayId: 'gw-1',
});

let seq = 0;
const reading = (deviceId: string, metric: string, s: number, value: number): Reading => ({
  deviceId,
  metric,
  tsMs: T0 + s * 1000,
  value,
  seq: ++seq,
});

describe('RuleEngine', () => {
  it('evaluates every rule of a series and matches the pure step functions', () => {
    const engine = new RuleEngine(fleet());
    const inputs = [0, 5, 10, 15, 20, 30, 40].map((s, i) =>
      reading('dev-1', 'temperature', s, [25, 41, 41, 41, 41, 20, 20][i] as number),
    );
    const events = inputs.flatMap((r) => engine.onReading(r));
    expect(events.map((e) => `${e.ruleId}:${e.kind}@${(e.tsMs - T0) / 1000}`)).toEqual([
      'temperature-high:raised@15',
      'temperature-critical:raised@15',
      'temperature-high:cleared@40',
      'temperature-critical:cleared@40',
    ]);
    // Same answer from the pure API, rule by rule.
    for (const rule of DEFAULT_RULES.temperature as RuleSpec[]) {
      let state = initialRuleState();
      const pure: AlertEvent[] = [];
      for (const r of inputs) {
        const step = stepReading(rule, state, r, {
          deviceId: 'dev-1',
          metric: 'temperature',
          source: 'edge',
          gatewayId: 'gw-1',
        });
        state = step.state;
        if (step.event) pure.push(step.event);
      }
      expect(events.filter((e) => e.ruleId === rule.id)).toEqual(pure);
    }
  });

  it('returns one shared, frozen empty array when nothing transitions', () => {
    const engine = new RuleEngine(fleet());
    const a = engine.onReading(reading('dev-1', 'temperature', 0, 21));
    const b = engine.onReading(reading('dev-2', 'co2', 0, 400));
    const c = engine.onReading(reading('dev-2', 'pressure', 0, 1000)); // no rules for pressure
    expect(a).toEqual([]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(engine.onTick(T0)).toBe(a);
  });

  it('tracks only series that have rules', () => {
    const engine = new RuleEngine(fleet());
    engine.onReading(reading('dev-1', 'pressure', 0, 1000));
    engine.onReading(reading('dev-1', 'door', 0, 1));
    expect(engine.stats.series).toBe(0);
    engine.onReading(reading('dev-1', 'temperature', 0, 21));
    engine.onReading(reading('dev-1', 'co2', 0, 400));
    expect(engine.stats.series).toBe(2);
  });

  it('counts duplicate and late readings once each and emits nothing for them', () => {
    const engine = new RuleEngine(fleet());
    const first = reading('dev-1', 'temperature', 10, 21);
    engine.onReading(first);
    expect(engine.onReading(first)).toEqual([]);
    expect(engine.onReading({ ...first, seq: ++seq, tsMs: T0, value: 99 })).toEqual([]);
    expect(engine.stats).toMatchObject({ duplicateReadings: 1, lateReadings: 1 });
  });

  it('bounds the number of series and counts what it refuses', () => {
    const engine = new RuleEngine({ ...fleet(), maxSeries: 2 });
    engine.onReading(reading('dev-1', 'temperature', 0, 21));
    engine.onReading(reading('dev-2', 'temperature', 0, 21));
    expect(engine.onReading(reading('dev-3', 'temperature', 0, 45))).toEqual([]);
    expect(engine.onReading(reading('dev-3', 'temperature', 0, 45))).toEqual([]);
    expect(engine.stats).toMatchObject({ series: 2, droppedSeries: 2 });
    // Known series keep working.
    expect(engine.onReading(reading('dev-1', 'temperature', 20, 45))).toEqual([]);
    expect(engine.onReading(reading('dev-1', 'temperature', 30, 45)).map((e) => e.ruleId)).toEqual([
      'temperature-high',
      'temperature-critical',
    ]);
    expect(() => new RuleEngine({ ...fleet(), maxSeries: 0 })).toThrow(/maxSeries/);
  });

  it('raises staleness on ticks across every series, once, with deterministic times', () => {
    const engine = new RuleEngine(fleet());
    engine.onReading(reading('dev-1', 'temperature', 0, 21));
    engine.onReading(reading('dev-2', 'temperature', 30, 22));
    engine.onReading(reading('dev-3', 'co2', 0, 400)); // no stale rule for co2
    expect(engine.onTick(T0 + 59_000)).toEqual([]);
    const first = engine.onTick(T0 + 65_000);
    expect(first.map((e) => [e.deviceId, e.kind, e.tsMs])).toEqual([['dev-1', 'raised', T0 + 60_000]]);
    const second = engine.onTick(T0 + 200_000);
    expect(second.map((e) => [e.deviceId, e.kind, e.tsMs])).toEqual([['dev-2', 'raised', T0 + 90_000]]);
    expect(engine.onTick(T0 + 300_000)).toEqual([]);
    const back = engine.onReading(reading('dev-1', 'temperature', 301, 21));
    expect(back).toMatchObject([
      { kind: 'cleared', alertId: first[0]?.alertId, gatewayId: 'gw-1', source: 'edge' },
    ]);
  });

  it('continues an episode after snapshot -> JSON -> restore, with the same ids', () => {
    const opts = fleet();
    const points: Array<[number, number]> = [
      [0, 25],
      [5, 31],
      [10, 31],
      [15, 31],
      [20, 28],
      [25, 28],
      [35, 28],
    ];
    const all = points.map(([s, v]) => reading('dev-1', 'temperature', s, v));
    const straight = new RuleEngine(opts);
    const expected = all.flatMap((r) => straight.onReading(r));
    expect(expected.map((e) => e.kind)).toEqual(['raised', 'cleared']);

    // Stop mid-raise-hold, mid-clear-hold and after a raise: each must continue identically.
    for (const cut of [2, 4, 5]) {
      const before = new RuleEngine(opts);
      const head = all.slice(0, cut).flatMap((r) => before.onReading(r));
      const saved = JSON.parse(JSON.stringify(before.snapshot()));
      const after = RuleEngine.restore(saved, opts);
      const tail = all.slice(cut).flatMap((r) => after.onReading(r));
      expect([...head, ...tail]).toEqual(expected);
      // Replaying what was already applied before the snapshot is recognised as duplicate.
      expect(all.slice(0, cut).flatMap((r) => after.onReading(r))).toEqual([]);
    }
  });

  it('restores staleness state so a tick after restart raises with the same id', () => {
    const opts = fleet();
    const a = new RuleEngine(opts);
    a.onReading(reading('dev-1', 'temperature', 0, 21));
    const b = RuleEngine.restore(a.snapshot(), opts);
    expect(b.onTick(T0 + 61_000)).toEqual(a.onTick(T0 + 61_000));
    expect(b.stats.series).toBe(1);
  });

  it('rejects a malformed snapshot with every problem named', () => {
    expect(() => RuleEngine.restore({ v: 2, series: [] }, fleet())).toThrow(
      expect.objectContaining({ code: 'EDGEFLOW_VALIDATION' }),
    );
    const bad = {
      v: 1,
      series: [{ deviceId: 'dev/1', metric: 'temperature', rules: [{ ruleId: 'x', state: { v: 1 } }] }],
    };
    expect(() => RuleEngine.restore(bad, fleet())).toThrow(
      /\/series\/0\/deviceId.*\/series\/0\/rules\/0\/state/,
    );
    expect(() => RuleEngine.restore('nope', fleet())).toThrow(/invalid rule engine snapshot/);
  });

  it('applies rule changes by id: surviving rules keep their state, new rules start fresh', () => {
    const hot = threshold({ id: 'hot' });
    let rules: readonly RuleSpec[] = [hot];
    const engine = new RuleEngine({ rulesFor: () => rules, source: 'cloud' });
    expect(engine.onReading(reading('dev-1', 'temperature', 0, 31))).toMatchObject([
      { ruleId: 'hot', kind: 'raised' },
    ]);
    rules = [rate({ id: 'jump' }), { ...hot, clearBand: 2 }, stale({ id: 'quiet' })];
    // hot is still raised (no second raise); its new clear level is 28.
    expect(engine.onReading(reading('dev-1', 'temperature', 1, 31))).toEqual([]);
    expect(engine.onReading(reading('dev-1', 'temperature', 2, 28.5))).toEqual([]);
    const cleared = engine.onReading(reading('dev-1', 'temperature', 3, 28));
    expect(cleared).toMatchObject([
      { ruleId: 'hot', kind: 'cleared', alertId: `dev-1.temperature.hot.${T0}`, source: 'cloud' },
    ]);
    expect(cleared[0]).not.toHaveProperty('gatewayId');
    expect(engine.onTick(T0 + 63_000)).toMatchObject([{ ruleId: 'quiet', kind: 'raised' }]);
  });
});
