/**
 * Time-scaling a scenario: every duration in it (the run, event windows, ramps, periods,
 * clock skew, rule holds / windows / staleness, expected alert windows) is multiplied by
 * `factor`, and the per-device rate divided by it, so the same readings tell the same story
 * in less wall time. A 10-minute scenario at factor 0.1 runs in one minute with the same
 * number of readings, the same alerts and the same rejections: how the end-to-end suite
 * runs every shipped scenario through the real pipeline within CI's time.
 */
import { DEFAULT_RULES, type RuleSet, type RuleSpec } from '@edgeflow/shared';
import type { ExpectedAlertSpec, Scenario, ScenarioEvent, TimeWindowMs } from './types.ts';

export function scaleScenario(scenario: Scenario, factor: number): Scenario {
  if (!(factor > 0 && factor <= 1)) throw new RangeError(`scale factor must be in (0, 1], got ${factor}`);
  const ms = (v: number) => Math.round(v * factor);
  const window = (w: TimeWindowMs): TimeWindowMs => ({ fromMs: ms(w.fromMs), toMs: ms(w.toMs) });
  return Object.freeze({
    ...scenario,
    name: factor === 1 ? scenario.name : `${scenario.name}@x${round(1 / factor)}`,
    run: {
      devices: scenario.run.devices,
      rate: scenario.run.rate / factor,
      durationMs: ms(scenario.run.durationMs),
    },
    rules: scaleRules(scenario.rules === 'default' ? DEFAULT_RULES : scenario.rules, factor),
    events: scenario.events.map((e) => scaleEvent(e, ms)),
    expect: {
      ...scenario.expect,
      alerts: scenario.expect.alerts.map(
        (a): ExpectedAlertSpec => ({
          ...a,
          raise: window(a.raise),
          clear: a.clear === 'never' ? 'never' : window(a.clear),
        }),
      ),
    },
  });
}

function scaleEvent(e: ScenarioEvent, ms: (v: number) => number): ScenarioEvent {
  const base = { atMs: ms(e.atMs), untilMs: ms(e.untilMs) };
  switch (e.kind) {
    case 'offset':
      return { ...e, ...base, rampMs: ms(e.rampMs) };
    case 'flap':
      return { ...e, ...base, periodMs: ms(e.periodMs) };
    case 'clock_skew':
      return { ...e, ...base, skewMs: ms(e.skewMs) };
    default:
      return { ...e, ...base };
  }
}

export function scaleRules(rules: RuleSet, factor: number): RuleSet {
  const ms = (v: number) => Math.max(1, Math.round(v * factor));
  const out: Record<string, RuleSpec[]> = {};
  for (const [metric, specs] of Object.entries(rules)) {
    out[metric] = specs.map((r): RuleSpec => {
      if (r.kind === 'threshold') {
        return {
          ...r,
          raiseHoldMs: r.raiseHoldMs && ms(r.raiseHoldMs),
          clearHoldMs: r.clearHoldMs && ms(r.clearHoldMs),
        };
      }
      if (r.kind === 'rate')
        return { ...r, windowMs: ms(r.windowMs), clearHoldMs: r.clearHoldMs && ms(r.clearHoldMs) };
      return { ...r, afterMs: ms(r.afterMs) };
    });
  }
  return out;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
