/**
 * In-memory rule evaluation over many series, for the gateway (10k+ readings/s) and for the
 * simulators' pure checks. Keeps one RuleState per (device, metric, rule), mutated in place:
 * a reading that causes no transition allocates nothing here and gets a shared empty array.
 */
import Type from 'typebox';
import {
  type AlertEvent,
  type AlertSource,
  DeviceIdSchema,
  MetricSchema,
  type Reading,
  RuleIdSchema,
  type RuleSpec,
} from '../contracts.ts';
import { EdgeflowError, ErrorCodes } from '../errors.ts';
import { compileChecker } from '../validation.ts';
import { applyReading, applyTick, type RuleContext } from './evaluate.ts';
import {
  classifyReading,
  cloneRuleState,
  initialRuleState,
  type ReadingDisposition,
  type RuleState,
  RuleStateSchema,
} from './state.ts';

export interface RuleEngineOptions {
  /** Rules for a series; called per reading, so return a cached array (identity is compared). */
  rulesFor: (deviceId: string, metric: string) => readonly RuleSpec[];
  source: AlertSource;
  gatewayId?: string;
  /** Bound on tracked (device, metric) series; readings of new series beyond it are refused. */
  maxSeries?: number;
}

export interface RuleEngineStats {
  /** Tracked (device, metric) series. */
  series: number;
  /** Readings refused because they would start a series beyond maxSeries (and series not restored). */
  droppedSeries: number;
  /** Readings ignored because their rule time (ruleTimeMs) is before one already applied. */
  lateReadings: number;
  /** Readings ignored because their sequence is at or below one already applied. */
  duplicateReadings: number;
}

export const DEFAULT_MAX_SERIES = 100_000;

const NO_EVENTS: AlertEvent[] = Object.freeze([]) as unknown as AlertEvent[];

interface Series {
  rules: readonly RuleSpec[];
  states: RuleState[];
  readonly ctx: RuleContext;
}

const SnapshotSchema = Type.Object(
  {
    v: Type.Literal(1),
    series: Type.Array(
      Type.Object(
        {
          deviceId: DeviceIdSchema,
          metric: MetricSchema,
          rules: Type.Array(
            Type.Object({ ruleId: RuleIdSchema, state: RuleStateSchema }, { additionalProperties: false }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const snapshotChecker = compileChecker<RuleEngineSnapshot>(SnapshotSchema, 'rule engine snapshot');

export interface RuleEngineSnapshot {
  v: 1;
  series: Array<{ deviceId: string; metric: string; rules: Array<{ ruleId: string; state: RuleState }> }>;
}

export class RuleEngine {
  readonly stats: RuleEngineStats = { series: 0, droppedSeries: 0, lateReadings: 0, duplicateReadings: 0 };
  readonly #rulesFor: RuleEngineOptions['rulesFor'];
  readonly #source: AlertSource;
  readonly #gatewayId: string | undefined;
  readonly #maxSeries: number;
  /** Nested maps so a lookup needs no key string built per reading. */
  readonly #series = new Map<string, Map<string, Series>>();

  constructor(opts: RuleEngineOptions) {
    const maxSeries = opts.maxSeries ?? DEFAULT_MAX_SERIES;
    if (!Number.isSafeInteger(maxSeries) || maxSeries < 1) {
      throw new EdgeflowError(
        ErrorCodes.VALIDATION,
        `maxSeries must be a positive integer, got ${maxSeries}`,
      );
    }
    this.#rulesFor = opts.rulesFor;
    this.#source = opts.source;
    this.#gatewayId = opts.gatewayId;
    this.#maxSeries = maxSeries;
  }

  /**
   * Evaluates one reading, already validated (readingChecker): ids outside their grammar cannot
   * form an alert id and make a transition throw EDGEFLOW_VALIDATION. Returns the transitions,
   * usually none (then a shared frozen empty array: do not push into it).
   */
  onReading(reading: Reading): AlertEvent[] {
    const rules = this.#rulesFor(reading.deviceId, reading.metric);
    let series = this.#series.get(reading.deviceId)?.get(reading.metric);
    if (series === undefined) {
      if (rules.length === 0) return NO_EVENTS;
      series = this.#addSeries(reading.deviceId, reading.metric, rules, undefined);
      if (series === undefined) return NO_EVENTS;
    } else if (series.rules !== rules) {
      this.#rebind(series, rules);
    }
    let events = NO_EVENTS;
    let applied = false;
    let dropped: ReadingDisposition | undefined;
    const { states, ctx } = series;
    for (let i = 0; i < states.length; i++) {
      const state = states[i] as RuleState;
      const disposition = classifyReading(state, reading);
      if (disposition !== 'apply') {
        dropped ??= disposition;
        continue;
      }
      applied = true;
      const event = applyReading(series.rules[i] as RuleSpec, state, reading, ctx);
      if (event !== undefined) {
        if (events === NO_EVENTS) events = [];
        events.push(event);
      }
    }
    // Counted once per reading; a rule added since may still apply a reading the others saw.
    if (!applied && dropped !== undefined) {
      if (dropped === 'duplicate') this.stats.duplicateReadings++;
      else this.stats.lateReadings++;
    }
    return events;
  }

  /** Evaluates staleness of every tracked series at `nowMs` (the caller's clock). */
  onTick(nowMs: number): AlertEvent[] {
    let events = NO_EVENTS;
    for (const byMetric of this.#series.values()) {
      for (const series of byMetric.values()) {
        for (let i = 0; i < series.states.length; i++) {
          const rule = series.rules[i] as RuleSpec;
          if (rule.kind !== 'stale') continue;
          const event = applyTick(rule, series.states[i] as RuleState, nowMs, series.ctx);
          if (event !== undefined) {
            if (events === NO_EVENTS) events = [];
            events.push(event);
          }
        }
      }
    }
    return events;
  }

  /** A JSON-safe copy of every series' rule states (detached from the live engine). */
  snapshot(): RuleEngineSnapshot {
    const series: RuleEngineSnapshot['series'] = [];
    for (const byMetric of this.#series.values()) {
      for (const s of byMetric.values()) {
        series.push({
          deviceId: s.ctx.deviceId,
          metric: s.ctx.metric,
          rules: s.rules.map((rule, i) => ({
            ruleId: rule.id,
            state: cloneRuleState(s.states[i] as RuleState),
          })),
        });
      }
    }
    return { v: 1, series };
  }

  /**
   * Rebuilds an engine from `snapshot()` output. States are matched to the current rules by
   * rule id; rules added since start fresh, states of removed rules are dropped. Throws
   * EDGEFLOW_VALIDATION, naming every problem, when the snapshot is malformed.
   */
  static restore(snapshot: unknown, opts: RuleEngineOptions): RuleEngine {
    const parsed = snapshotChecker.parse(snapshot);
    const engine = new RuleEngine(opts);
    for (const s of parsed.series) {
      const rules = opts.rulesFor(s.deviceId, s.metric);
      if (rules.length === 0) continue;
      const saved = new Map(s.rules.map((r) => [r.ruleId, r.state]));
      if (engine.#addSeries(s.deviceId, s.metric, rules, saved) === undefined) continue;
    }
    return engine;
  }

  #addSeries(
    deviceId: string,
    metric: string,
    rules: readonly RuleSpec[],
    saved: ReadonlyMap<string, RuleState> | undefined,
  ): Series | undefined {
    if (this.stats.series >= this.#maxSeries) {
      this.stats.droppedSeries++;
      return undefined;
    }
    const ctx: RuleContext = { deviceId, metric, source: this.#source };
    if (this.#gatewayId !== undefined) ctx.gatewayId = this.#gatewayId;
    const states = rules.map((r) => {
      const state = saved?.get(r.id);
      return state ? cloneRuleState(state) : initialRuleState();
    });
    const series: Series = { rules, states, ctx };
    let byMetric = this.#series.get(deviceId);
    if (byMetric === undefined) {
      byMetric = new Map();
      this.#series.set(deviceId, byMetric);
    }
    byMetric.set(metric, series);
    this.stats.series++;
    return series;
  }

  /** The rule list changed (new array): keep each surviving rule's state by id. */
  #rebind(series: Series, rules: readonly RuleSpec[]): void {
    const old = series.rules;
    let same = old.length === rules.length;
    for (let i = 0; same && i < old.length; i++) same = old[i] === rules[i];
    if (same) {
      series.rules = rules;
      return;
    }
    const byId = new Map(old.map((r, i) => [r.id, series.states[i] as RuleState]));
    series.states = rules.map((r) => byId.get(r.id) ?? initialRuleState());
    series.rules = rules;
  }
}
