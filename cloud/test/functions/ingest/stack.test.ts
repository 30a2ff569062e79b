/**
 * ingest and notify inside the full local stack (startLocalCloud): functions-framework child
 * processes behind the emulator's push subscriptions, the function told to fail after
 * writing so every batch is redelivered by Pub/Sub itself.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DeviceProfile, telemetryTopicName } from '@edgeflow/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalCloud } from '../../support/local-cloud.ts';
import { batchBytes, series, storedSeqs, waitFor } from './harness.ts';

const local = useLocalCloud({
  projectId: 'demo-ingest-stack',
  gateways: ['gw-stack'],
  env: { EDGEFLOW_TEST_MODE: '1', EDGEFLOW_TEST_FAIL_AFTER_WRITE: '1' },
});

const hooks: { key: string | undefined; kind: string | undefined }[] = [];
const sink = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { alert?: { kind?: string } };
    hooks.push({ key: req.headers['idempotency-key'] as string | undefined, kind: body.alert?.kind });
    res.writeHead(204).end();
  });
});
let sinkUrl = '';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

beforeAll(async () => {
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise((resolve) => sink.close(resolve));
});

describe('ingest + notify in the local stack', () => {
  it('redelivered batches (fail after write) persist once and notify once', async () => {
    const profile: DeviceProfile = {
      deviceId: 'stack-1',
      gatewayId: 'gw-stack',
      site: 'lab',
      name: 'Stack one',
      units: {},
      notify: [{ kind: 'webhook', url: sinkUrl, format: 'json' }],
    };
    await local.firestore.collection('devices').doc('stack-1').set(profile);
    const telemetry = local.pubsub.topic(telemetryTopicName('gw-stack'));
    await telemetry.publishMessage({
      data: batchBytes('gw-stack', series('stack-1', 'temperature', 1, 60, 20)),
    });
    await telemetry.publishMessage({
      data: batchBytes('gw-stack', series('stack-1', 'temperature', 61, 60, 36)),
      attributes: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` },
    });
    const alertId = await waitFor(
      'raised delivered',
      async () => {
        const snap = await local.firestore.collection('alerts').where('deviceId', '==', 'stack-1').get();
        const d = snap.docs[0]?.data();
        return d?.deliveries?.raised?.status === 'done' ? (d.alertId as string) : undefined;
      },
      60_000,
    );
    expect(await storedSeqs(local.firestore, 'stack-1', 'temperature')).toEqual(
      Array.from({ length: 120 }, (_, i) => i + 1),
    );
    // Both batches failed once after writing: the test fault log proves it.
    await waitFor('two test faults logged', async () => {
      const faults = local.functionLogs.filter(
        (l) => l.fn === 'ingest' && l.line.includes('test fault after write'),
      );
      return faults.length >= 2 ? true : undefined;
    });
    // The redelivery then succeeds and logs the batch as persisted; the emulator picks its own
    // moment to redeliver (later after a run of failures), so wait for it, bounded.
    const logged = await waitFor(
      'the redelivered batch persisted',
      async () =>
        local.functionLogs.find(
          (l) =>
            l.fn === 'ingest' &&
            l.json?.message === 'batch persisted' &&
            l.json?.batchId === 'gw-stack:61-120',
        ),
      60_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(hooks).toEqual([{ key: `${alertId}:raised:webhook_0`, kind: 'raised' }]);
    const alerts = await local.firestore.collection('alerts').where('deviceId', '==', 'stack-1').get();
    expect(alerts.size).toBe(1);
    expect(logged.json).toMatchObject({
      severity: 'INFO',
      gatewayId: 'gw-stack',
      'logging.googleapis.com/trace': `projects/demo-ingest-stack/traces/${TRACE}`,
    });
  }, 120_000);

  it('poison through the push subscription becomes a dead-letter record', async () => {
    const telemetry = local.pubsub.topic(telemetryTopicName('gw-stack'));
    const id = await telemetry.publishMessage({ data: Buffer.from([0xff, 0x00, 0x13]) });
    const doc = await waitFor(
      'dead letter',
      async () => {
        const d = await local.firestore.collection('deadLetters').doc(`ingest-${id}`).get();
        return d.exists ? d.data() : undefined;
      },
      60_000,
    );
    expect(doc).toMatchObject({
      source: 'ingest',
      sourceTopic: 'edgeflow-telemetry-gw-stack',
      state: 'open',
    });
    expect(doc.code).toMatch(/^EDGEFLOW_CODEC_/);
  }, 90_000);
});
