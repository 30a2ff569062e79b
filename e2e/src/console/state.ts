/**
 * What the console shows, as plain data updated by the run's events. Rates are derived
 * from successive counter samples (readings/s in at the gateway, out to Pub/Sub).
 */
import type { AlertEvent } from '@edgeflow/shared';
import type { FleetProgress } from '@edgeflow/simulators';
import type { CloudAlertRecord, GatewayCounters } from '../observe.ts';
import { total } from '../observe.ts';
import type { Delivery } from '../webhook-sink.ts';

export interface AlertLine {
  readonly atMs: number;
  readonly kind: 'raised' | 'cleared' | 'delivered' | 'acknowledged' | 'resolved';
  readonly deviceId: string;
  readonly metric: string;
  readonly ruleId: string;
  readonly severity: string;
  readonly value: number;
  /**
   * Where the transition was seen first: the edge (local MQTT) or the cloud (alert record);
   * an operator's acknowledge / resolve is only ever in the cloud record.
   */
  readonly where: 'edge' | 'cloud' | 'webhook';
}

const RATE_WINDOW_MS = 5000;
/** Lines kept for the screen: the newest ones matter, the summary counts the rest. */
const MAX_LINES = 12;

export class ConsoleState {
  phase = 'starting';
  readonly startedAtMs: number;
  fleet: FleetProgress | undefined;
  counters: GatewayCounters = {};
  inPerS = 0;
  outPerS = 0;
  persisted = 0;
  firestoreWrites = 0;
  deliveries = 0;
  /** The web console's URL once the cloud serves it. */
  consoleUrl: string | undefined;
  readonly lines: AlertLine[] = [];
  readonly #seen = new Map<string, 'edge' | 'cloud'>();
  /** Recent counter samples: rates are taken over a few seconds, since batches go out in steps. */
  readonly #samples: { atMs: number; accepted: number; sent: number }[] = [];
  readonly #nowMs: () => number;

  constructor(nowMs: () => number) {
    this.#nowMs = nowMs;
    this.startedAtMs = nowMs();
  }

  onCounters(counters: GatewayCounters): void {
    const atMs = this.#nowMs();
    const accepted = total(counters, 'edgeflow_gateway_readings_accepted_total');
    const sent = total(counters, 'edgeflow_forwarder_readings_sent_total');
    this.#samples.push({ atMs, accepted, sent });
    while (this.#samples.length > 2 && atMs - (this.#samples[0]?.atMs ?? atMs) > RATE_WINDOW_MS)
      this.#samples.shift();
    const first = this.#samples[0];
    if (first && atMs > first.atMs) {
      this.inPerS = ((accepted - first.accepted) * 1000) / (atMs - first.atMs);
      this.outPerS = ((sent - first.sent) * 1000) / (atMs - first.atMs);
    }
    this.counters = counters;
  }

  onEdgeAlert(e: AlertEvent): void {
    this.#transition(`${e.alertId}:${e.kind}`, 'edge', {
      kind: e.kind,
      deviceId: e.deviceId,
      metric: e.metric,
      ruleId: e.ruleId,
      severity: e.severity,
      value: e.value,
    });
  }

  onCloudAlert(r: CloudAlertRecord): void {
    const base = {
      deviceId: r.deviceId,
      metric: r.metric,
      ruleId: r.ruleId,
      severity: r.severity,
      value: r.value,
    };
    if (r.raisedAtMs !== null) this.#transition(`${r.alertId}:raised`, 'cloud', { ...base, kind: 'raised' });
    if (r.clearedAtMs !== null)
      this.#transition(`${r.alertId}:cleared`, 'cloud', { ...base, kind: 'cleared' });
    // An operator's action (console, API or alerts CLI) changes the record's state.
    if (r.state === 'acknowledged' || r.state === 'resolved')
      this.#transition(`${r.alertId}:${r.state}`, 'cloud', { ...base, kind: r.state });
  }

  onDelivery(d: Delivery): void {
    this.deliveries += 1;
    const alert = (d.body as { alert?: AlertEvent } | undefined)?.alert;
    if (!alert) return;
    this.#push({
      atMs: this.#nowMs(),
      kind: 'delivered',
      deviceId: alert.deviceId,
      metric: alert.metric,
      ruleId: alert.ruleId,
      severity: alert.severity,
      value: alert.value,
      where: 'webhook',
    });
  }

  #transition(key: string, where: 'edge' | 'cloud', line: Omit<AlertLine, 'atMs' | 'where'>): void {
    // Each transition is shown once, tagged with where it showed up first.
    if (this.#seen.has(key)) return;
    this.#seen.set(key, where);
    this.#push({ ...line, atMs: this.#nowMs(), where });
  }

  #push(line: AlertLine): void {
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.shift();
  }
}
