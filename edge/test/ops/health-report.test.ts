import { gatewayHealthChecker, type TelemetryBatch } from '@edgeflow/shared';
import pino from 'pino';
import prom from 'prom-client';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { type ForwarderConfig, ForwarderConfigSchema, startForwarder } from '../../src/forwarder/index.ts';
import { HealthReporter } from '../../src/ops/health-report.ts';
import { createBrokerMetrics } from '../../src/ops/metrics.ts';
import { FakePublisher } from '../forwarder/support/fake-publisher.ts';
import { memoryOutbox } from '../forwarder/support/memory-outbox.ts';
import { reading } from '../outbox/support.ts';

function reporter(nowMs: { value: number }, registry = new prom.Registry()) {
  const metrics = createBrokerMetrics(registry, () => 0);
  const health = new HealthReporter({
    clock: { nowMs: () => nowMs.value },
    registry,
    startedAtMs: 1_000_000,
    outbox: () => ({ records: 3, bytes: 4096, oldestAgeMs: 1234.6, evictedReadings: 7 }),
    clientsConnected: () => 5,
    rulesVersion: () => 2,
    rssBytes: () => 123_456_789,
  });
  return { health, metrics };
}

describe('gateway health report', () => {
  it('snapshots outbox, clients, uptime, rules version and the non-zero rejection counters', async () => {
    const now = { value: 1_060_500 };
    const { health, metrics } = reporter(now);
    metrics.readingsRejected.oversize.inc(2);
    metrics.readingsRejected.bad_topic.inc();
    expect(health.current().rejectedByReason).toEqual({}); // counters are read on refresh
    await health.refresh();
    const snapshot = health.current();
    expect(snapshot).toEqual({
      reportedAtMs: 1_060_500,
      uptimeS: 60.5,
      rssBytes: 123_456_789,
      clientsConnected: 5,
      outboxRecords: 3,
      outboxBytes: 4096,
      oldestUnsentAgeMs: 1235,
      evictedReadings: 7,
      rejectedByReason: { oversize: 2, bad_topic: 1 },
      rulesVersion: 2,
    });
    expect(gatewayHealthChecker.check(snapshot)).toBe(true);
  });

  it('travels in every batch the forwarder publishes', async () => {
    const now = { value: 2_000_000 };
    const outbox = memoryOutbox(() => now.value, {});
    const publisher = new FakePublisher(() => now.value);
    const { health } = reporter(now);
    const config = Value.Default(ForwarderConfigSchema, {
      lingerMs: 0,
      maxBatchReadings: 2,
    }) as ForwarderConfig;
    const forwarder = startForwarder(config, {
      outbox,
      publisher,
      gatewayId: 'gw-test',
      clock: { nowMs: () => now.value },
      logger: pino({ level: 'silent' }),
      registry: new prom.Registry(),
      health: () => health.current(),
    });
    outbox.appendReadings([reading(0), reading(1)], () => {});
    const deadline = Date.now() + 5000;
    while (publisher.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await forwarder.stop();
    expect(publisher.calls.length).toBeGreaterThan(0);
    const call = publisher.calls[0];
    expect(call?.attributes.schemaVersion).toBe('1.1');
    const decoded = call?.batch as TelemetryBatch;
    expect(decoded.health?.clientsConnected).toBe(5);
    expect(decoded.health?.outboxBytes).toBe(4096);
    expect(decoded.health?.reportedAtMs).toBe(2_000_000);
  });
});
