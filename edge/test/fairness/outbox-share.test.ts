/**
 * The outbox's byte cap is shared fairly by bounding each device's share at admission, twice:
 * a device gets at most burst + readingsPerSec * t readings into the outbox over any t
 * seconds (the rest is refused as rate_limited before it costs a byte), and never holds more
 * than maxUnsentReadingsPerDevice unacknowledged readings (outbox_quota), however long the
 * outage. Its flood cannot push another device's unsent readings over the eviction edge. The
 * control run shows that without either bound the same flood does evict them.
 */
import { ManualClock } from '@edgeflow/shared';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceBuckets } from '../../src/fairness/device-buckets.ts';
import { UnsentQuota } from '../../src/fairness/unsent-quota.ts';
import { Ingest } from '../../src/ingest/ingest.ts';
import { createBrokerMetrics } from '../../src/ops/metrics.ts';
import { TokenBucket } from '../../src/ops/rate-limit.ts';
import { appendDurable, open, readAll, T0, tempDir } from '../outbox/support.ts';

const MiB = 1024 * 1024;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function outage(
  limit: { ratePerSec: number; burst: number },
  options: { maxUnsentReadings?: number; perStep?: number } = {},
) {
  const { maxUnsentReadings, perStep = 1000 } = options;
  const tmp = await tempDir('edgeflow-fair-');
  const clock = new ManualClock(T0);
  const { outbox } = await open(tmp.dir, { maxBytes: 4 * MiB, segmentBytes: 64 * 1024 }, clock);
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
    ...(maxUnsentReadings === undefined
      ? {}
      : {
          unsentQuota: new UnsentQuota({ maxUnsentReadings, maxDevices: 10 }, () => outbox.unsentFromSeq()),
        }),
    onReadings: () => {},
  });
  const done = (): void => {};
  // dev-b's readings wait in the outbox (the uplink is down: nothing is acknowledged).
  for (let i = 0; i < 500; i++)
    ingest.onPublish('sensors/dev-b/co2', Buffer.from(String(400 + i)), 0, 'b', done);
  ingest.flush();
  // dev-a floods: perStep messages every 100 ms for 10 s of gateway time.
  const payloads = Array.from({ length: 1000 }, (_, i) => Buffer.from(String(1000 + i)));
  let offered = 0;
  for (let step = 0; step < 100; step++) {
    for (let i = 0; i < perStep; i++) {
      ingest.onPublish('sensors/dev-a/co2', payloads[i % 1000] as Buffer, 0, 'a', done);
      offered++;
      if (i % 1000 === 999) ingest.flush();
    }
    // Let the group commits (and the evictions after them) run.
    await appendDurable(outbox, [{ deviceId: 'dev-c', metric: 'co2', tsMs: clock.nowMs(), value: step }]);
    clock.advance(100);
  }
  await appendDurable(outbox, [{ deviceId: 'dev-c', metric: 'co2', tsMs: clock.nowMs(), value: 1 }]);
  const left = await readAll(outbox);
  return {
    outbox,
    ingest,
    metrics,
    offered,
    stats: outbox.stats(),
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

  it('cannot evict them either when unlimited in rate: the per-device cap on unsent readings holds it', async () => {
    const run = await outage({ ratePerSec: 1e9, burst: 1e9 }, { maxUnsentReadings: 20_000 });
    expect(run.devA).toBe(20_000);
    expect(run.stats.evictedReadings).toBe(0);
    expect(run.devB).toBe(500);
    // Once the uplink acknowledges them, the device may send again.
    await run.outbox.reader.commit({ telemetrySeq: run.stats.nextSeq, alertIndex: 0 });
    run.ingest.onPublish('sensors/dev-a/co2', Buffer.from('999'), 0, 'a', () => {});
    run.ingest.flush();
    await appendDurable(run.outbox, [{ deviceId: 'dev-c', metric: 'co2', tsMs: T0 + 20_000, value: 2 }]);
    const sent = await readAll(run.outbox, run.stats.nextSeq);
    expect(sent.filter((r) => r.deviceId === 'dev-a').map((r) => r.value)).toEqual([999]);
  }, 30_000);

  it('control: without the per-device bound the same flood evicts them', async () => {
    // 300k readings: more than the 4 MiB cap holds.
    const run = await outage({ ratePerSec: 1e9, burst: 1e9 }, { perStep: 3000 });
    expect(run.devA).toBeGreaterThan(0);
    expect(run.stats.evictedReadings).toBeGreaterThan(0);
    expect(run.devB).toBe(0);
  }, 30_000);
});
