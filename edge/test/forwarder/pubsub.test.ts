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
import { alert, appendAlertDurable, appendDurable, open, reading, tempDir } from '../outbox/support.ts';
import { PROJECT_ID, startEmulator, topicWithSubscription } from './support/emulator.ts';

let emulator: Awaited<ReturnType<typeof startEmulator>>;
beforeAll(async () => {
  emulator = await startEmulator();
}, 90_000);
afterAll(async () => {
  await emulator?.stop();
});

describe('forwarder against the Pub/Sub emulator', () => {
  it('delivers decodable batches with the right attributes, alerts included, and commits', async () => {
    const topicName = 'fwd-emulator-test';
    const sub = await topicWithSubscription(emulator.host, topicName);
    const { dir, cleanup } = await tempDir();
    const { outbox } = await open(dir, {}, systemClock);
    const logger = pino({ level: 'silent' });
    const config = Value.Default(ForwarderConfigSchema, {
      projectId: PROJECT_ID,
      topic: topicName,
      lingerMs: 200,
      maxBatchReadings: 1000,
    }) as ForwarderConfig;
    const publisher = createPubSubPublisher(config, logger, { emulatorHost: emulator.host });
    const forwarder = startForwarder(config, {
      outbox,
      publisher,
      gatewayId: 'gw-emulator',
      clock: systemClock,
      logger,
      registry: new prom.Registry(),
    });
    try {
      const sent = [];
      for (let i = 0; i < 5; i++) {
        sent.push(
          ...(await appendDurable(
            outbox,
            Array.from({ length: 500 }, (_, k) => reading(i * 500 + k, `dev-${k % 5}`)),
          )),
        );
      }
      await appendAlertDurable(outbox, { ...alert(0), gatewayId: 'gw-emulator' });
      const received = await sub.waitFor(
        (r) =>
          r.reduce((n, m) => n + m.batch.readings.length, 0) >= sent.length &&
          r.some((m) => m.batch.alerts.length),
        30_000,
      );
      const readings = received.flatMap((m) => m.batch.readings).sort((a, b) => a.seq - b.seq);
      expect(readings).toEqual(sent);
      expect(received.find((m) => m.batch.alerts.length)?.batch.alerts).toEqual([
        { ...alert(0), gatewayId: 'gw-emulator' },
      ]);
      for (const m of received.filter((x) => x.batch.readings.length > 0)) {
        const seqs = m.batch.readings.map((r) => r.seq);
        expect(m.attributes).toMatchObject({
          schema: 'edgeflow.telemetry',
          schemaVersion: '1.1',
          encoding: 'cbor',
          gatewayId: 'gw-emulator',
          firstSeq: String(seqs[0]),
          lastSeq: String(seqs.at(-1)),
          count: String(seqs.length),
        });
        expect(m.batch.gatewayId).toBe('gw-emulator');
        expect(seqs.length).toBeLessThanOrEqual(1000);
      }
      await forwarder.stop();
      expect(outbox.reader.committed()).toEqual({ telemetrySeq: sent.length, alertIndex: 1 });
    } finally {
      await forwarder.stop();
      await publisher.close?.();
      await outbox.close();
      await sub.close();
      await cleanup();
    }
  }, 60_000);
});
