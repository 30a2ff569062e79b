/**
 * Outage: the Pub/Sub link (a TCP proxy in front of the emulator) is cut while readings keep
 * arriving. The backlog must grow on disk, not in memory; after the link is restored
 * everything arrives, each batch in seq order, none missing.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { startFaultProxy } from '@edgeflow/cloud/local';
import { systemClock } from '@edgeflow/shared';
import pino from 'pino';
import prom from 'prom-client';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPubSubPublisher,
  type ForwarderConfig,
  ForwarderConfigSchema,
  startForwarder,
} from '../../src/forwarder/index.ts';
import {
  alert,
  appendAlertDurable,
  appendDurable,
  counterValue,
  open,
  reading,
  tempDir,
} from '../outbox/support.ts';
import { PROJECT_ID, startEmulator, topicWithSubscription } from './support/emulator.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heapMiB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const BEFORE = 5_000;
const DURING = 300_000;
const PER_APPEND = 1_000;

let emulator: Awaited<ReturnType<typeof startEmulator>>;
beforeAll(async () => {
  emulator = await startEmulator();
}, 90_000);
afterAll(async () => {
  await emulator?.stop();
});

describe('forwarder during an uplink outage', () => {
  it('keeps the backlog on disk with flat memory and delivers everything after the link returns', async () => {
    const topicName = 'fwd-outage-test';
    const sub = await topicWithSubscription(emulator.host, topicName);
    const proxy = await startFaultProxy(emulator.host);
    const { dir, cleanup } = await tempDir();
    const { outbox } = await open(dir, {}, systemClock);
    const registry = new prom.Registry();
    const logger = pino({ level: 'silent' });
    const config = Value.Default(ForwarderConfigSchema, {
      projectId: PROJECT_ID,
      topic: topicName,
      lingerMs: 100,
      maxBatchReadings: 2_000,
      maxInFlightBatches: 4,
      publishTimeoutMs: 2_000,
      backoff: { initialMs: 100, maxMs: 1_000, multiplier: 2, jitter: 0.2 },
    }) as ForwarderConfig;
    const publisher = createPubSubPublisher(config, logger, { emulatorHost: proxy.host });
    const forwarder = startForwarder(config, {
      outbox,
      publisher,
      gatewayId: 'gw-outage',
      clock: systemClock,
      logger,
      registry,
    });
    const total = BEFORE + DURING;
    const appendRange = async (from: number, to: number) => {
      for (let i = from; i < to; i += PER_APPEND) {
        await appendDurable(
          outbox,
          Array.from({ length: Math.min(PER_APPEND, to - i) }, (_, k) =>
            reading(i + k, `dev-${(i + k) % 50}`),
          ),
        );
      }
    };
    try {
      await appendRange(0, BEFORE);
      await sub.waitFor((r) => r.reduce((n, m) => n + m.batch.readings.length, 0) >= BEFORE, 30_000);

      proxy.cut();
      const heap: number[] = [heapMiB()];
      const step = DURING / 4;
      for (let q = 0; q < 4; q++) {
        await appendRange(BEFORE + q * step, BEFORE + (q + 1) * step);
        if (q === 1) await appendAlertDurable(outbox, { ...alert(0), gatewayId: 'gw-outage' });
        heap.push(heapMiB());
      }
      // Let the forwarder fail (a publish on the cut link fails by publishTimeoutMs at the
      // latest) and back off for a while with the whole backlog waiting.
      const failedBy = Date.now() + 30_000;
      while ((await counterValue(registry, 'edgeflow_forwarder_batches_failed_total')) === 0) {
        if (Date.now() > failedBy) throw new Error('no publish failed within 30 s of the cut');
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 1_500));
      heap.push(heapMiB());
      const stats = outbox.stats();
      expect(stats.records).toBeGreaterThanOrEqual(DURING - 4 * config.maxBatchReadings);
      expect(stats.bytes).toBeGreaterThan(DURING * 20);
      // Flat: growth far below what holding the backlog in memory would take (~100 B/reading).
      const growthMiB = Math.max(...heap) - (heap[0] as number);
      console.info(
        `outage: backlog ${stats.records} records, ${(stats.bytes / 2 ** 20).toFixed(1)} MiB on disk; heap after gc (MiB): ${heap.map((h) => h.toFixed(1)).join(' ')}`,
      );
      expect(growthMiB).toBeLessThan(24);
      expect(growthMiB * 2 ** 20).toBeLessThan((stats.bytes * 2) / 3);

      proxy.restore();
      const received = await sub.waitFor(
        (r) => new Set(r.flatMap((m) => m.batch.readings.map((x) => x.seq))).size >= total,
        120_000,
      );
      const seqs = new Set<number>();
      for (const m of received) {
        const s = m.batch.readings.map((r) => r.seq);
        expect(s).toEqual([...s].sort((a, b) => a - b));
        for (const x of s) seqs.add(x);
      }
      expect(seqs.size).toBe(total);
      for (const x of seqs) expect(x >= 0 && x < total).toBe(true);
      expect(received.some((m) => m.batch.alerts.length === 1)).toBe(true);
      // Duplicates, if any, are whole batches: any two batches either match exactly or do not overlap.
      const ranges = new Map<number, number>();
      for (const m of received.filter((x) => x.batch.readings.length > 0)) {
        const first = m.batch.readings[0]?.seq as number;
        const last = m.batch.readings.at(-1)?.seq as number;
        const seen = ranges.get(first);
        if (seen !== undefined) expect(seen).toBe(last);
        ranges.set(first, last);
      }
      const sorted = [...ranges.entries()].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]?.[0]).toBe((sorted[i - 1]?.[1] as number) + 1);
      await forwarder.stop();
      expect(outbox.reader.committed().telemetrySeq).toBe(total);
    } finally {
      await forwarder.stop();
      await publisher.close?.();
      await outbox.close();
      await sub.close();
      await proxy.close();
      await cleanup();
    }
  }, 180_000);
});
