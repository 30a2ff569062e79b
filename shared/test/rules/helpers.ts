/** Builders shared by the rule tests: readings at offsets from T0, and a pure-step runner. */
import type { AlertEvent, RateRule, Reading, RuleSpec, StaleRule, ThresholdRule } from '../../src/index.ts';
import {
  initialRuleState,
  type RuleContext,
  type RuleState,
  stepReading,
  stepTick,
} from '../../src/index.ts';

export const T0 = 1_700_000_000_000;
export const CTX: RuleContext = {
  deviceId: 'dev-1',
  metric: 'temperature',
  source: 'edge',
  gatewayId: 'gw-1',
};

export function threshold(overrides: Partial<ThresholdRule> = {}): ThresholdRule {
  return {
    id: 'temp-high',
    kind: 'threshold',
    severity: 'warning',
    direction: 'above',
    threshold: 30,
    clearBand: 1,
    raiseHoldMs: 0,
    clearHoldMs: 0,
    ...overrides,
  };
}

export function rate(overrides: Partial<RateRule> = {}): RateRule {
  return {
    id: 'temp-jump',
    kind: 'rate',
    severity: 'warning',
    maxDelta: 5,
    windowMs: 10_000,
    clearHoldMs: 0,
    ...overrides,
  };
}

export function stale(overrides: Partial<StaleRule> = {}): StaleRule {
  return { id: 'temp-stale', kind: 'stale', severity: 'critical', afterMs: 60_000, ...overrides };
}

/** [seconds after T0, value] pairs become readings with seq 1, 2, 3, ... */
export function readings(points: ReadonlyArray<readonly [number, number]>, metric = CTX.metric): Reading[] {
  return points.map(([s, value], i) => ({
    deviceId: CTX.deviceId,
    metric,
    tsMs: T0 + s * 1000,
    value,
    seq: i + 1,
  }));
}

export type Input = { reading: Reading } | { tickMs: number };

/** Feeds readings (and ticks) through the pure API; returns every event and the final state. */
export function run(
  rule: RuleSpec,
  inputs: ReadonlyArray<Reading | Input>,
  ctx: RuleContext = CTX,
  start: RuleState = initialRuleState(),
): { events: AlertEvent[]; state: RuleState } {
  let state = start;
  const events: AlertEvent[] = [];
  for (const input of inputs) {
    const step =
      'tickMs' in input
        ? stepTick(rule, state, input.tickMs, ctx)
        : stepReading(rule, state, 'reading' in input ? input.reading : input, ctx);
    state = step.state;
    if (step.event) events.push(step.event);
  }
  return { events, state };
}

/** Compact view for table assertions: "raised@12s=31.5". */
export function brief(events: readonly AlertEvent[]): string[] {
  return events.map((e) => `${e.kind}@${(e.tsMs - T0) / 1000}s=${e.value}`);
}
