/** The alert bus against the Pub/Sub emulator: one JSON message per transition, attributes for routing. */
import type { AlertEvent } from '@edgeflow/shared';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudError, CloudErrorCodes } from '../../src/adapters/errors.ts';
import { PubSubAlertBus } from '../../src/adapters/pubsub/alert-bus.ts';
import { type EmulatorHandle, startPubSubEmulator } from '../../src/local/index.ts';

const PROJECT = 'demo-alert-bus';
let emulator: EmulatorHandle;
let admin: PubSub;

beforeAll(async () => {
  const env = { ...process.env };
  delete env.PUBSUB_EMULATOR_HOST;
  emulator = await startPubSubEmulator({ env, projectId: PROJECT });
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  admin = new PubSub({ projectId: PROJECT });
  const [topic] = await admin.createTopic('alerts');
  await topic.createSubscription('alerts-pull');
}, 90_000);

afterAll(async () => {
  await admin?.close();
  await emulator?.stop();
});

const event: AlertEvent = {
  alertId: 'd1.co2.co2-high.1763892000000',
  kind: 'raised',
  deviceId: 'd1',
  metric: 'co2',
  ruleId: 'co2-high',
  ruleKind: 'threshold',
  severity: 'warning',
  value: 1600,
  tsMs: 1763892000000,
  seq: 7,
  source: 'cloud',
  gatewayId: 'gw-1',
  message: 'co2 above 1500 for 30 s',
};

describe('PubSubAlertBus', () => {
  it('publishes each transition as JSON with alertId, kind, deviceId and source attributes', async () => {
    const bus = new PubSubAlertBus({ projectId: PROJECT, topic: 'alerts', deadlineMs: 10_000 });
    await bus.publish([event, { ...event, kind: 'cleared', value: 1300 }], { batchId: 'gw-1:1-7' });
    await bus.close();
    const client = new PubSub({ projectId: PROJECT });
    const sub = client.subscription('alerts-pull');
    const received = await new Promise<{ data: AlertEvent; attributes: Record<string, string> }[]>(
      (resolve, reject) => {
        const got: { data: AlertEvent; attributes: Record<string, string> }[] = [];
        const timer = setTimeout(() => reject(new Error('no messages within 20 s')), 20_000);
        sub.on('message', (m) => {
          m.ack();
          got.push({ data: JSON.parse(m.data.toString()), attributes: m.attributes });
          if (got.length === 2) {
            clearTimeout(timer);
            resolve(got);
          }
        });
      },
    );
    await sub.close();
    await client.close();
    const byKind = Object.fromEntries(received.map((r) => [r.data.kind, r]));
    expect(byKind.raised?.data).toEqual(event);
    expect(byKind.raised?.attributes).toEqual({
      batchId: 'gw-1:1-7',
      alertId: event.alertId,
      kind: 'raised',
      deviceId: 'd1',
      source: 'cloud',
    });
    expect(byKind.cleared?.data.value).toBe(1300);
  }, 60_000);

  it('turns a publish failure into a transient error (the batch is redelivered)', async () => {
    const bus = new PubSubAlertBus({ projectId: PROJECT, topic: 'no-such-topic', deadlineMs: 10_000 });
    await expect(bus.publish([event])).rejects.toSatisfy(
      (e) => e instanceof CloudError && e.code === CloudErrorCodes.TRANSIENT,
    );
    await bus.close();
  }, 30_000);
});
