/**
 * Local alerting: every accepted reading goes through the shared rule engine; a transition
 * is handed to `emit` (which publishes it retained on the local broker and queues it for the
 * cloud with priority). Nothing here waits on the uplink, so alerting works with it down.
 * A periodic tick drives staleness rules.
 */
import { type AlertEvent, type Reading, type RuleSet, type RuleSpec, rulesFor } from '@edgeflow/shared';

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

export class LocalRules {
  readonly #engine: RuleEvaluator;
  readonly #emit: (alert: AlertEvent) => void;

  constructor(engine: RuleEvaluator, emit: (alert: AlertEvent) => void) {
    this.#engine = engine;
    this.#emit = emit;
  }

  onReadings(readings: readonly Reading[]): void {
    for (let i = 0; i < readings.length; i++) {
      const alerts = this.#engine.onReading(readings[i] as Reading);
      for (let j = 0; j < alerts.length; j++) this.#emit(alerts[j] as AlertEvent);
    }
  }

  tick(nowMs: number): void {
    const alerts = this.#engine.onTick(nowMs);
    for (let j = 0; j < alerts.length; j++) this.#emit(alerts[j] as AlertEvent);
  }
}

/** Topic of the retained local alert state for a series. */
export function alertTopic(alert: Pick<AlertEvent, 'deviceId' | 'metric'>): string {
  return `alerts/${alert.deviceId}/${alert.metric}`;
}
