/**
 * Local alerting: every accepted reading goes through the shared rule engine; a transition
 * is handed to `emit` (which publishes it retained on the local broker and queues it for the
 * cloud with priority). Nothing here waits on the uplink, so alerting works with it down.
 * A periodic tick drives staleness rules. With a TransitionLimiter, each device's emitted
 * transitions are bounded (fairness/transition-limit.ts says what a suppressed one means).
 */
import {
  type AlertEvent,
  type Clock,
  type Reading,
  type RuleSet,
  type RuleSpec,
  rulesFor,
} from '@edgeflow/shared';
import type { TransitionLimiter } from '../fairness/transition-limit.ts';

/** The part of the shared RuleEngine the gateway uses. */
export interface RuleEvaluator {
  onReading(reading: Reading): AlertEvent[];
  onTick(nowMs: number): AlertEvent[];
}

/**
 * Rules for (device, metric): fleet defaults with per-device overrides merged by rule id.
 * Merged arrays are cached because the engine compares rule arrays by identity per reading.
 */
export function ruleResolver(
  defaults: RuleSet,
  perDevice: Readonly<Record<string, RuleSet>>,
): (deviceId: string, metric: string) => readonly RuleSpec[] {
  const merged = new Map<string, Map<string, readonly RuleSpec[]>>();
  return (deviceId, metric) => {
    const overrides = Object.hasOwn(perDevice, deviceId) ? perDevice[deviceId] : undefined;
    if (overrides === undefined) return rulesFor(defaults, undefined, metric);
    let byMetric = merged.get(deviceId);
    if (byMetric === undefined) {
      byMetric = new Map();
      merged.set(deviceId, byMetric);
    }
    let rules = byMetric.get(metric);
    if (rules === undefined) {
      rules = rulesFor(defaults, overrides, metric);
      byMetric.set(metric, rules);
    }
    return rules;
  };
}

export interface TransitionLimit {
  readonly limiter: TransitionLimiter;
  readonly clock: Clock;
}

export class LocalRules {
  readonly #engine: RuleEvaluator;
  readonly #emit: (alert: AlertEvent) => void;
  readonly #limit: TransitionLimit | undefined;

  constructor(engine: RuleEvaluator, emit: (alert: AlertEvent) => void, limit?: TransitionLimit) {
    this.#engine = engine;
    this.#emit = emit;
    this.#limit = limit;
  }

  onReadings(readings: readonly Reading[]): void {
    for (let i = 0; i < readings.length; i++) {
      const alerts = this.#engine.onReading(readings[i] as Reading);
      if (alerts.length > 0) this.#emitAll(alerts, undefined);
    }
  }

  tick(nowMs: number): void {
    this.#emitAll(this.#engine.onTick(nowMs), nowMs);
  }

  #emitAll(alerts: readonly AlertEvent[], nowMs: number | undefined): void {
    const limit = this.#limit;
    for (let j = 0; j < alerts.length; j++) {
      const alert = alerts[j] as AlertEvent;
      if (limit === undefined || limit.limiter.admit(alert, nowMs ?? limit.clock.nowMs())) this.#emit(alert);
    }
  }
}

/** Topic of the retained local alert state for a series. */
export function alertTopic(alert: Pick<AlertEvent, 'deviceId' | 'metric'>): string {
  return `alerts/${alert.deviceId}/${alert.metric}`;
}
