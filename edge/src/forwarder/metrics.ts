import prom from 'prom-client';

export interface ForwarderMetrics {
  readonly batchesSent: prom.Counter<'kind'>;
  readonly batchesFailed: prom.Counter<'kind'>;
  readonly readingsSent: prom.Counter;
  readonly flushes: prom.Counter<'reason'>;
  readonly invalidDropped: prom.Counter<'kind'>;
  readonly publishSeconds: prom.Histogram<'kind'>;
  unregister(): void;
}

export function createForwarderMetrics(registry: prom.Registry, backlog: () => number): ForwarderMetrics {
  const registers = [registry];
  const names: string[] = [];
  const track = <T>(name: string, metric: T): T => {
    names.push(name);
    return metric;
  };
  track(
    'edgeflow_forwarder_backlog_readings',
    new prom.Gauge({
      name: 'edgeflow_forwarder_backlog_readings',
      help: 'Durable readings not yet acknowledged by Pub/Sub (the backlog lives on disk)',
      registers,
      collect() {
        this.set(backlog());
      },
    }),
  );
  return {
    batchesSent: track(
      'edgeflow_forwarder_batches_sent_total',
      new prom.Counter({
        name: 'edgeflow_forwarder_batches_sent_total',
        help: 'Batches acknowledged by Pub/Sub, by kind (telemetry, alerts)',
        labelNames: ['kind'] as const,
        registers,
      }),
    ),
    batchesFailed: track(
      'edgeflow_forwarder_batches_failed_total',
      new prom.Counter({
        name: 'edgeflow_forwarder_batches_failed_total',
        help: 'Publish attempts that failed or timed out (each is retried with backoff)',
        labelNames: ['kind'] as const,
        registers,
      }),
    ),
    readingsSent: track(
      'edgeflow_forwarder_readings_sent_total',
      new prom.Counter({
        name: 'edgeflow_forwarder_readings_sent_total',
        help: 'Readings in batches acknowledged by Pub/Sub',
        registers,
      }),
    ),
    flushes: track(
      'edgeflow_forwarder_flushes_total',
      new prom.Counter({
        name: 'edgeflow_forwarder_flushes_total',
        help: 'Batches cut, by reason (count, bytes, linger, alert, replay, shutdown)',
        labelNames: ['reason'] as const,
        registers,
      }),
    ),
    invalidDropped: track(
      'edgeflow_forwarder_invalid_dropped_total',
      new prom.Counter({
        name: 'edgeflow_forwarder_invalid_dropped_total',
        help: 'Outbox records the codec cannot encode (never expected: ingest validates), skipped',
        labelNames: ['kind'] as const,
        registers,
      }),
    ),
    publishSeconds: track(
      'edgeflow_forwarder_publish_seconds',
      new prom.Histogram({
        name: 'edgeflow_forwarder_publish_seconds',
        help: 'Publish latency until Pub/Sub acknowledged, successful attempts',
        labelNames: ['kind'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
    ),
    unregister() {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}
