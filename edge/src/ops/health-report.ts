/**
 * The gateway's health as it travels upstream in every batch (shared/src/gateway-health.ts).
 * A snapshot refreshed on a timer rather than built per batch: the rejection counters live in
 * prom-client, whose reads are async, and a batch must be encoded synchronously. The figures
 * are at most `refreshMs` old, which is fine for a site overview and costs nothing per reading.
 */
import type { Clock, GatewayHealth } from '@edgeflow/shared';
import type { Registry } from 'prom-client';

export const REJECTED_METRIC = 'edgeflow_gateway_readings_rejected_total';

export interface HealthSources {
  readonly clock: Clock;
  readonly registry: Registry;
  readonly startedAtMs: number;
  readonly outbox: () => { records: number; bytes: number; oldestAgeMs: number; evictedReadings: number };
  readonly clientsConnected: () => number;
  /** The fleet-config version in force; null while the gateway runs its local config only. */
  readonly rulesVersion: () => number | null;
  readonly rssBytes?: () => number;
}

export class HealthReporter {
  readonly #sources: HealthSources;
  #rejected: Record<string, number> = {};
  #timer: NodeJS.Timeout | undefined;

  constructor(sources: HealthSources) {
    this.#sources = sources;
  }

  /** The current snapshot; synchronous, for the forwarder's batch encoder. */
  current(): GatewayHealth {
    const s = this.#sources;
    const now = s.clock.nowMs();
    const outbox = s.outbox();
    return {
      reportedAtMs: now,
      uptimeS: Math.max(0, (now - s.startedAtMs) / 1000),
      rssBytes: (s.rssBytes ?? process.memoryUsage.rss)(),
      clientsConnected: s.clientsConnected(),
      outboxRecords: outbox.records,
      outboxBytes: outbox.bytes,
      oldestUnsentAgeMs: Math.round(outbox.oldestAgeMs),
      evictedReadings: outbox.evictedReadings,
      rejectedByReason: this.#rejected,
      rulesVersion: s.rulesVersion(),
    };
  }

  /** Re-reads the rejection counters (non-zero reasons only, so the map stays small). */
  async refresh(): Promise<void> {
    const metric = this.#sources.registry.getSingleMetric(REJECTED_METRIC);
    if (metric === undefined) return;
    const next: Record<string, number> = {};
    for (const { labels, value } of (await metric.get()).values) {
      const reason = labels.reason;
      if (typeof reason === 'string' && value > 0) next[reason] = value;
    }
    this.#rejected = next;
  }

  start(refreshMs: number): void {
    this.stop();
    this.#timer = setInterval(() => void this.refresh(), refreshMs);
    this.#timer.unref();
    void this.refresh();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
