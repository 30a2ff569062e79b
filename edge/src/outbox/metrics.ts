import prom from 'prom-client';
import type { OutboxStats } from './types.ts';

export interface OutboxMetrics {
  readonly fsyncSeconds: prom.Histogram;
  readonly fsyncs: prom.Counter;
  readonly evictedReadings: prom.Counter;
  readonly refused: prom.Counter<'reason'>;
  unregister(): void;
}

/** Outbox depth gauges read stats() at scrape time, so the hot path updates nothing. */
export function createOutboxMetrics(registry: prom.Registry, stats: () => OutboxStats): OutboxMetrics {
  const names: string[] = [];
  const reg = <T>(name: string, make: () => T): T => {
    names.push(name);
    return make();
  };
  const registers = [registry];
  reg(
    'edgeflow_outbox_records',
    () =>
      new prom.Gauge({
        name: 'edgeflow_outbox_records',
        help: 'Readings and alerts in the outbox not yet acknowledged by Pub/Sub',
        registers,
        collect() {
          this.set(stats().records);
        },
      }),
  );
  reg(
    'edgeflow_outbox_bytes',
    () =>
      new prom.Gauge({
        name: 'edgeflow_outbox_bytes',
        help: 'Bytes the outbox occupies on disk',
        registers,
        collect() {
          this.set(stats().bytes);
        },
      }),
  );
  reg(
    'edgeflow_outbox_oldest_age_seconds',
    () =>
      new prom.Gauge({
        name: 'edgeflow_outbox_oldest_age_seconds',
        help: 'Age of the oldest unacknowledged outbox record (about 1 s resolution)',
        registers,
        collect() {
          this.set(stats().oldestAgeMs / 1000);
        },
      }),
  );
  const evictedReadings = reg(
    'edgeflow_outbox_evicted_readings_total',
    () =>
      new prom.Counter({
        name: 'edgeflow_outbox_evicted_readings_total',
        help: 'Unacknowledged readings dropped because the outbox reached its byte cap',
        registers,
      }),
  );
  const fsyncs = reg(
    'edgeflow_outbox_fsyncs_total',
    () =>
      new prom.Counter({
        name: 'edgeflow_outbox_fsyncs_total',
        help: 'Group commits (fdatasync calls)',
        registers,
      }),
  );
  const fsyncSeconds = reg(
    'edgeflow_outbox_fsync_seconds',
    () =>
      new prom.Histogram({
        name: 'edgeflow_outbox_fsync_seconds',
        help: 'Latency of one group commit fdatasync',
        buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
        registers,
      }),
  );
  const refused = reg(
    'edgeflow_outbox_refused_appends_total',
    () =>
      new prom.Counter({
        name: 'edgeflow_outbox_refused_appends_total',
        help: 'Appends refused (not acknowledged), by reason: closed, failed, backpressure',
        labelNames: ['reason'] as const,
        registers,
      }),
  );
  return {
    refused,
    fsyncSeconds,
    fsyncs,
    evictedReadings,
    unregister() {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}
