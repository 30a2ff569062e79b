/**
 * Eviction end to end: the uplink fails while far more readings arrive than the outbox's byte
 * cap holds. The oldest telemetry is evicted and counted, alerts are all kept; when the link
 * returns, every alert and every reading that was not evicted is sent, and
 * sent + evicted = appended.
 */
import { systemClock } from '@edgeflow/shared';
import pino from 'pino';
import prom from 'prom-client';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { type ForwarderConfig, ForwarderConfigSchema, startForwarder } from '../../src/forwarder/index.ts';
import { alert, appendAlertDurable, appendDurable, open, reading, tempDir } from '../outbox/support.ts';
import { FakePublisher } from './support/fake-publisher.ts';

describe('forwarder with the outbox at its byte cap', () => {
  it('sends every alert and every reading not evicted; sent + evicted = appended', async () => {
    const { dir, cleanup } = await tempDir();
    const { outbox } = await open(dir, { maxBytes: 4 * 1024 * 1024, segmentBytes: 128 * 1024 }, systemClock);
    const publisher = new FakePublisher(() => Date.now());
    publisher.mode = 'fail';
    const config = Value.Default(ForwarderConfigSchema, {
      lingerMs: 20,
      maxBatchReadings: 1000,
      maxInFlightBatches: 2,
      backoff: { initialMs: 20, maxMs: 100, multiplier: 2, jitter: 0 },
    }) as ForwarderConfig;
    const forwarder = startForwarder(config, {
      outbox,
      publisher,
      gatewayId: 'gw-evict',
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      registry: new prom.Registry(),
    });
    try {
      const chunks = 300;
      const perChunk = 500;
      let alerts = 0;
      for (let i = 0; i < chunks; i++) {
        await appendDurable(
          outbox,
          Array.from({ length: perChunk }, (_, k) => reading(i * perChunk + k, `dev-${k % 9}`)),
        );
        if (i % 25 === 0) await appendAlertDurable(outbox, { ...alert(alerts++), gatewayId: 'gw-evict' });
      }
      const total = chunks * perChunk;
      const { evictedReadings } = outbox.stats();
      expect(evictedReadings).toBeGreaterThan(total / 5);

      publisher.mode = 'ack';
      const deadline = Date.now() + 60_000;
      while (
        outbox.reader.committed().telemetrySeq < total ||
        outbox.reader.committed().alertIndex < alerts
      ) {
        if (Date.now() > deadline)
          throw new Error(`not drained: ${JSON.stringify(outbox.reader.committed())}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      // Every attempted batch was retried until acknowledged (the position reached the end).
      const acked = publisher.calls;
      const sentSeqs = new Set(acked.flatMap((c) => c.batch.readings.map((r) => r.seq)));
      expect(sentSeqs.size + evictedReadings).toBe(total);
      for (let s = total - 1000; s < total; s++) expect(sentSeqs.has(s)).toBe(true); // the newest survive
      const sentAlerts = new Map(acked.flatMap((c) => c.batch.alerts.map((a) => [a.alertId, a])));
      expect(sentAlerts.size).toBe(alerts);
      expect(outbox.stats()).toMatchObject({ records: 0, evictedReadings });
    } finally {
      await forwarder.stop();
      await outbox.close();
      await cleanup();
    }
  }, 120_000);
});
