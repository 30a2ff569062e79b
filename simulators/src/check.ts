/**
 * The broker-free check: generate a scenario's readings from the plan, run them through the
 * shared RuleEngine with the scenario's rules (as the gateway would, in event time, with a
 * staleness tick every second), and compare the alerts and rejections with what the
 * scenario promises. Same seed, same verdict, every time.
 */
import {
  type AlertEvent,
  DEFAULT_RULES,
  METRIC_CATALOG,
  type Reading,
  RuleEngine,
  type RuleSet,
  type RuleSpec,
  readingChecker,
  rulesFor,
  validateRules,
} from '@edgeflow/shared';
import { formatDuration } from './duration.ts';
import { FleetPlan, newEmission, rejectionReasonOf } from './plan.ts';
import { devicesOf, type FleetOptionsInput, resolveFleetOptions } from './runner/options.ts';
import {
  type ExpectedAlertSpec,
  type Scenario,
  selectedDevices,
  type TimeWindowMs,
} from './scenario/types.ts';

/** Event time the check starts at unless told otherwise: a fixed instant, so results never depend on today. */
export const CHECK_START_MS = Date.UTC(2026, 0, 15, 9, 0, 0);
const TICK_MS = 1000;

export interface ExpectedAlert {
  readonly deviceIndex: number;
  readonly deviceId: string;
  readonly metric: string;
  readonly rule: string;
  /** Offsets from the start of the run, ms. */
  readonly raise: TimeWindowMs;
  readonly clear: TimeWindowMs | 'never';
  readonly count: { readonly min: number; readonly max: number };
}

export interface SimulationResult {
  readonly startMs: number;
  /** Every transition the rule engine produced, in order. */
  readonly alerts: readonly AlertEvent[];
  /** Malformed readings sent by design, by the reason the pipeline must give. */
  readonly rejections: Readonly<Record<string, number>>;
  readonly readings: number;
  /** Copies sent on purpose: dropped by the gateway, or (bare numbers) kept as readings. */
  readonly duplicates: number;
  readonly silenced: number;
  /** Readings the models produced that the pipeline would reject without being meant to (a bug). */
  readonly invalidReadings: readonly string[];
}

export interface ExpectedOutcome {
  readonly scenario: string;
  readonly exhaustive: boolean;
  readonly alerts: readonly ExpectedAlert[];
  /** Rejections the pipeline must report for this run, computed from the plan. */
  readonly rejections: readonly { readonly reason: string; readonly count: number }[];
  /** The exact engine output for this run when it starts at `predicted.startMs`. */
  readonly predicted: SimulationResult;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly simulation: SimulationResult;
}

export function scenarioRules(scenario: Scenario): RuleSet {
  return scenario.rules === 'default' ? DEFAULT_RULES : validateRules(scenario.rules);
}

/** Runs the scenario's readings through the rule engine, no broker involved. */
export function simulateScenario(scenario: Scenario, input: FleetOptionsInput = {}): SimulationResult {
  const options = resolveFleetOptions({ ...input, scenario });
  const devices = devicesOf(options);
  const startMs = options.startMs ?? CHECK_START_MS;
  const plan = new FleetPlan({ ...options, startMs });
  const rules = scenarioRules(scenario);
  const cache = new Map<string, readonly RuleSpec[]>();
  const engine = new RuleEngine({
    source: 'edge',
    rulesFor: (_deviceId, metric) => {
      let list = cache.get(metric);
      if (!list) {
        list = rulesFor(rules, undefined, metric);
        cache.set(metric, list);
      }
      return list;
    },
  });
  const alerts: AlertEvent[] = [];
  const rejections: Record<string, number> = {};
  const invalidReadings: string[] = [];
  let seq = 0;
  let readings = 0;
  let duplicates = 0;
  let silenced = 0;
  let nextTickMs = startMs + TICK_MS;
  const e = newEmission();
  const total = plan.readingsIn(options.durationMs);
  for (let j = 0; j < total; j++) {
    plan.emissionAt(j, e);
    while (nextTickMs <= e.tMs) {
      alerts.push(...engine.onTick(nextTickMs));
      nextTickMs += TICK_MS;
    }
    if (e.silent) {
      silenced++;
      continue;
    }
    if (e.malformed) {
      const reason = rejectionReasonOf(e.malformed);
      rejections[reason] = (rejections[reason] ?? 0) + 1;
      continue;
    }
    const deviceId = (devices[e.deviceIndex] as { deviceId: string }).deviceId;
    // A copy of a device-timestamped reading (same time, same value) is dropped by the
    // gateway (edge/src/dedup); a bare number is stamped on receipt, so its copy is a reading.
    const copies = options.payloadFormat === 'number' ? e.copies : 1;
    duplicates += e.copies - copies;
    for (let copy = 0; copy < copies; copy++) {
      const reading: Reading = { deviceId, metric: e.metric, tsMs: e.deviceTMs, value: e.value, seq: seq++ };
      // As the gateway stamps it: rules time holds on receipt (the send time here), not the device clock.
      if (e.deviceTMs !== e.tMs) reading.rxMs = e.tMs;
      const spec = METRIC_CATALOG[e.metric];
      if (!readingChecker.check(reading) || (spec && (e.value < spec.min || e.value > spec.max))) {
        if (invalidReadings.length < 20) invalidReadings.push(JSON.stringify(reading));
        continue;
      }
      readings++;
      if (copy > 0) duplicates++;
      alerts.push(...engine.onReading(reading));
    }
  }
  const endMs = startMs + options.durationMs;
  for (; nextTickMs <= endMs; nextTickMs += TICK_MS) alerts.push(...engine.onTick(nextTickMs));
  return { startMs, alerts, rejections, readings, duplicates, silenced, invalidReadings };
}

/** The scenario's expected alerts for a fleet, one entry per selected device. */
export function expandExpectedAlerts(scenario: Scenario, input: FleetOptionsInput = {}): ExpectedAlert[] {
  const options = resolveFleetOptions({ ...input, scenario });
  const devices = devicesOf(options);
  return scenario.expect.alerts.flatMap((spec: ExpectedAlertSpec) =>
    selectedDevices(spec.devices, options.devices).map((i) => ({
      deviceIndex: i,
      deviceId: (devices[i] as { deviceId: string }).deviceId,
      metric: spec.metric,
      rule: spec.rule,
      raise: spec.raise,
      clear: spec.clear,
      count: spec.count,
    })),
  );
}

/** What a run of `scenario` with `options` must produce (for e2e tests and `npm start`). */
export function expectedOutcome(scenario: Scenario, options: FleetOptionsInput = {}): ExpectedOutcome {
  const predicted = simulateScenario(scenario, options);
  return {
    scenario: scenario.name,
    exhaustive: scenario.expect.exhaustive,
    alerts: expandExpectedAlerts(scenario, options),
    rejections: Object.entries(predicted.rejections).map(([reason, count]) => ({ reason, count })),
    predicted,
  };
}

/**
 * Checks that the scenario's promises follow from its readings under the rule engine, for
 * `seed` and `devices` (default: the scenario's own run).
 */
export function checkScenario(
  scenario: Scenario,
  seed: number,
  devices?: number,
  input: FleetOptionsInput = {},
): CheckResult {
  const simulation = simulateScenario(scenario, { ...input, seed, devices });
  const problems: string[] = [];
  const at = (ms: number) => formatDuration(ms);
  const win = (w: TimeWindowMs) => `[${at(w.fromMs)}, ${at(w.toMs)}]`;
  const inWindow = (offsetMs: number, w: TimeWindowMs) => offsetMs >= w.fromMs && offsetMs <= w.toMs;

  for (const line of simulation.invalidReadings)
    problems.push(`generated reading would be rejected: ${line}`);

  const byKey = new Map<string, AlertEvent[]>();
  for (const a of simulation.alerts) {
    const key = `${a.deviceId}/${a.metric}/${a.ruleId}`;
    const list = byKey.get(key) ?? [];
    list.push(a);
    byKey.set(key, list);
  }
  const expected = expandExpectedAlerts(scenario, { ...input, seed, devices });
  const covered = new Set<string>();
  for (const x of expected) {
    const key = `${x.deviceId}/${x.metric}/${x.rule}`;
    covered.add(key);
    const events = byKey.get(key) ?? [];
    const raises = events.filter((a) => a.kind === 'raised');
    const first = raises[0];
    if (!first) {
      problems.push(`${key}: expected a raise in ${win(x.raise)}, none happened`);
      continue;
    }
    if (raises.length < x.count.min || raises.length > x.count.max) {
      const want = x.count.min === x.count.max ? `${x.count.min}` : `${x.count.min}-${x.count.max}`;
      problems.push(`${key}: expected ${want} episode(s), got ${raises.length}`);
    }
    const raisedAt = first.tsMs - simulation.startMs;
    if (!inWindow(raisedAt, x.raise))
      problems.push(`${key}: raised at ${at(raisedAt)}, expected in ${win(x.raise)}`);
    const last = raises[raises.length - 1] as AlertEvent;
    const cleared = events.find((a) => a.kind === 'cleared' && a.alertId === last.alertId);
    if (x.clear === 'never') {
      if (cleared)
        problems.push(`${key}: cleared at ${at(cleared.tsMs - simulation.startMs)}, expected to stay raised`);
    } else if (!cleared) {
      problems.push(`${key}: expected to clear in ${win(x.clear)}, never cleared`);
    } else if (!inWindow(cleared.tsMs - simulation.startMs, x.clear)) {
      problems.push(
        `${key}: cleared at ${at(cleared.tsMs - simulation.startMs)}, expected in ${win(x.clear)}`,
      );
    }
  }
  if (scenario.expect.exhaustive) {
    for (const [key, events] of byKey) {
      const raise = events.find((a) => a.kind === 'raised');
      if (!covered.has(key) && raise) {
        problems.push(`${key}: unexpected alert raised at ${at(raise.tsMs - simulation.startMs)}`);
      }
    }
  }

  const declared = new Map(scenario.expect.rejections.map((r) => [r.reason as string, r.count]));
  for (const reason of new Set([...declared.keys(), ...Object.keys(simulation.rejections)])) {
    const want = declared.get(reason) ?? 0;
    const got = simulation.rejections[reason] ?? 0;
    if (want !== got)
      problems.push(`rejections "${reason}": scenario declares ${want}, the run sends ${got}`);
  }
  return { ok: problems.length === 0, problems, simulation };
}
