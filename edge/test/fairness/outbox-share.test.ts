/**
 * The outbox's byte cap is shared fairly by bounding each device's share at admission: a
 * device gets at most burst + readingsPerSec * t readings into the outbox over any t seconds,
 * however hard it floods (the rest is refused as rate_limited before it costs a byte). Its
 * flood therefore fills the outbox no faster than the same device at its limit, and cannot
 * push another device's unsent readings over the eviction edge. The control run shows that
 * without the bound the same flood does evict them.
 */
import { ManualClock } from '@edgeflow/shared';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceBuckets } from '../../src/fairness/device-buckets.ts';
import { Ingest } from '../../src/ingest/ingest.ts';
import { createBrokerMetrics } from '../../src/ops/metrics.ts';
import { TokenBucket } from '../../src/ops/rate-limit.ts';
import { appendDurable, open, readAll, T0, tempDir } from '../outbox/support.ts';

const MiB = 1024 * 1024;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function outage(limit: { ratePerSec: number; burst: number }) {
  const tmp = await tempDir('edgeflow-fair-');
  const clock = new ManualClock(T0);
  const { outbox, registry } = await open(tmp.dir, { maxBytes: 4 * MiB, segmentBytes: 64 * 1024 }, clock);
  cleanups.push(async () => {
    await outbox.close();
    await tmp.cleanup();
  });
  const metrics = createBrokerMetrics(new Registry(), () => 0);
  const ingest = new Ingest({
    sink: outbox,
    clock,
    limits: {
      maxPayloadBytes: 4096,
      maxFutureSkewMs: 300_000,
      maxPastAgeMs: 86_400_000,
      maxMetricsPerMessage: 64,
    },
    metrics,
    logger: pino({ level: 'silent' }),
    rejectLog: new TokenBucket(clock, 1),
    readingLimit: new DeviceBuckets({ ...limit, maxDevices: 10 }, clock.nowMs()),
    onReadings: () => {},
  });
  const done = (): void => {};
  // dev-b's readings wait in the outbox (the uplink is down: nothing is acknowledged).
  for (let i = 0; i < 500; i++)
    ingest.onPublish('sensors/dev-b/co2', Buffer.from(String(400 + i)), 0, 'b', done);
  ingest.flush();
  // dev-a floods: 3000 messages every 100 ms for 10 s of gateway time (30k readings/s).
  const payloads = Array.from({ length: 1000 }, (_, i) => Buffer.from(String(1000 + i)));
  let offered = 0;
  for (let step = 0; step < 100; step++) {
    for (let i = 0; i < 3000; i++) {
      ingest.onPublish('sensors/dev-a/co2', payloads[i % 1000] as Buffer, 0, 'a', done);
      offered++;
      if (i % 1000 === 999) ingest.flush();
    }
    // Let the group commits (and the evictions after them) run.
    await appendDurable(outbox, []);
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(100);
  }
  await appendDurable(outbox, [{ deviceId: 'dev-c', metric: 'co2', tsMs: clock.nowMs(), value: 1 }]);
  const left = await readAll(outbox);
  return {
    offered,
    stats: outbox.stats(),
    registry,
    devA: left.filter((r) => r.deviceId === 'dev-a').length,
    devB: left.filter((r) => r.deviceId === 'dev-b').length,
  };
}

describe('a device flood and the outbox byte cap', () => {
  it('cannot evict another device’s unsent readings: the flood enters at most burst + rate * t', async () => {
    const run = await outage({ ratePerSec: 1000, burst: 2000 });
    // 10 s of gateway time (the last step's readings arrive at T0 + 9.9 s): 2000 + 9900.
    expect(run.devA).toBe(2000 + 9900);
    expect(run.devA).toBeLessThanOrEqual(2000 + 1000 * 10);
    expect(run.stats.evictedReadings).toBe(0);
    expect(run.devB).toBe(500);
  }, 30_000);

  it('control: without the per-device bound the same flood evicts them', async () => {
    const run = await outage({ ratePerSec: 1e9, burst: 1e9 });
    expect(run.devA).toBeGreaterThan(0);
    expect(run.stats.evictedReadings).toBeGreaterThan(0);
    expect(run.devB).toBe(0);
  }, 30_000);
});
