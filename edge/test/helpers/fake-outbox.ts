/** An in-memory Outbox whose durability the test controls (for the broker side only). */
import type { AlertEvent, Reading } from '@edgeflow/shared';
import type { GatewayOutbox } from '../../src/gateway.ts';
import type { UnsequencedReading } from '../../src/ingest/types.ts';

type OnDurable = (err: Error | null) => void;

export class FakeOutbox implements GatewayOutbox {
  readonly readings: Reading[] = [];
  readonly alerts: AlertEvent[] = [];
  /** How many appendReadings calls (outbox records) there were. */
  appendCalls = 0;
  /** When false, onDurable callbacks wait for release(). */
  autoDurable: boolean;
  #pending: OnDurable[] = [];
  #nextSeq = 0;

  constructor(options: { autoDurable?: boolean } = {}) {
    this.autoDurable = options.autoDurable ?? true;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  appendReadings(readings: readonly UnsequencedReading[], onDurable: OnDurable): Reading[] {
    this.appendCalls++;
    const sequenced = readings.map((r) => ({ ...r, seq: this.#nextSeq++ }));
    this.readings.push(...sequenced);
    this.#settle(onDurable);
    return sequenced;
  }

  appendAlert(alert: AlertEvent, onDurable: OnDurable): void {
    this.alerts.push(alert);
    this.#settle(onDurable);
  }

  /** Fires every waiting onDurable, with `err` (a failed fsync) or success. */
  release(err: Error | null = null): void {
    for (const cb of this.#pending.splice(0)) cb(err);
  }

  stats() {
    return {
      records: this.readings.length,
      bytes: 0,
      oldestAgeMs: 0,
      evictedReadings: 0,
      nextSeq: this.#nextSeq,
    };
  }

  /** Nothing is ever sent upstream, unless a test says so. */
  acknowledgedSeq = 0;

  unsentFromSeq(): number {
    return this.acknowledgedSeq;
  }

  #settle(onDurable: OnDurable): void {
    if (this.autoDurable) setImmediate(onDurable, null);
    else this.#pending.push(onDurable);
  }
}
