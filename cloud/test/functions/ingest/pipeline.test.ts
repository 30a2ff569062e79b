/**
 * ingest + notify against the real emulators and the real functions-framework, fed by the
 * emulator's push subscriptions (one telemetry topic per gateway): persistence, one alert and one
 * webhook per transition, duplicates, reordering, poison.
 */
import { type DeviceProfile, telemetryTopicName } from '@edgeflow/shared';
import { Timestamp } from '@google-cloud/firestore';
import { decode, encode } from 'cbor-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchBytes,
  HARNESS_GATEWAY,
  type Harness,
  series,
  settle,
  startHarness,
  storedSeqs,
  T0,
  waitFor,
} from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.stop();
}, 30_000);

async function registerDevice(deviceId: string, gatewayId: string): Promise<void> {
  const profile: DeviceProfile = {
    deviceId,
    gatewayId,
    site: 'plant-1',
    name: `Freezer ${deviceId}`,
    units: { temperature: 'degC' },
    notify: [{ kind: 'webhook', url: h.sinkUrl, format: 'json' }],
  };
  await h.db.collection('devices').doc(deviceId).set(profile);
}

async function waitSeqs(deviceId: string, count: number): Promise<number[]> {
  return waitFor(`${count} readings of ${deviceId}`, async () => {
    const seqs = await storedSeqs(h.db, deviceId, 'temperature');
    return seqs.length >= count ? seqs : undefined;
  });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function sinkFor(deviceId: string) {
  return h.sink.filter((r) => r.body.alert?.deviceId === deviceId);
}

describe('ingest -> Firestore -> alerts -> notify -> webhook', () => {
  it('persists a batch, raises exactly one alert record and one webhook delivery', async () => {
    await registerDevice('dev-a', 'gw-alpha');
    await h.publish(batchBytes('gw-alpha', series('dev-a', 'temperature', 1, 60, 20)));
    await h.publish(batchBytes('gw-alpha', series('dev-a', 'temperature', 61, 60, 35)));
    expect(await waitSeqs('dev-a', 120)).toEqual(range(1, 120));

    const alert = await waitFor('alert record delivered', async () => {
      const snap = await h.db.collection('alerts').where('deviceId', '==', 'dev-a').get();
      const doc = snap.docs[0]?.data();
      return doc?.deliveries?.raised?.status === 'done' ? { snap, doc } : undefined;
    });
    expect(alert.snap.size).toBe(1);
    expect(alert.doc).toMatchObject({
      deviceId: 'dev-a',
      metric: 'temperature',
      ruleId: 'temperature-high',
      severity: 'warning',
      state: 'open',
      source: 'cloud',
      value: 35,
    });
    expect(alert.doc.raisedAt).toBeInstanceOf(Timestamp);
    expect(alert.doc.attempts).toEqual([
      expect.objectContaining({ channel: 'webhook_0', outcome: 'delivered' }),
    ]);
    await settle(h);
    const hooks = sinkFor('dev-a');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.idempotencyKey).toBe(`${alert.doc.alertId}:raised:webhook_0`);
    expect(hooks[0]?.body.alert?.alertId).toBe(alert.doc.alertId);

    const bucket = (await h.db.collection('readings').doc(`dev-a:temperature:${T0}`).get()).data();
    expect(bucket).toMatchObject({ site: 'plant-1', unit: 'degC', registered: true, windowStartMs: T0 });
    expect(Object.keys(bucket?.cols ?? {}).sort()).toEqual(['gw-alpha_1', 'gw-alpha_61']);
    expect((bucket?.expireAt as Timestamp | undefined)?.toMillis()).toBe(T0 + 3_600_000 + 30 * 86_400_000);
    const shards = await h.db.collection('latest').where('gatewayId', '==', 'gw-alpha').get();
    const latest = shards.docs.map((d) => d.data().series?.['dev-a']?.temperature).find(Boolean);
    expect(latest).toMatchObject({ v: 35, seq: 120, tsMs: T0 + 120_000 });
  }, 60_000);

  it('duplicates and reordering leave no duplicate readings, alerts or notifications', async () => {
    await registerDevice('dev-b', 'gw-beta');
    const b1 = batchBytes('gw-beta', series('dev-b', 'temperature', 1, 60, 20));
    const b2 = batchBytes('gw-beta', series('dev-b', 'temperature', 61, 60, 35));
    const b3 = batchBytes('gw-beta', series('dev-b', 'temperature', 121, 60, 20));
    // b2 overtakes b1; every batch is delivered twice.
    await h.publish(b2);
    await waitSeqs('dev-b', 60);
    await h.publish(b1);
    await h.publish(b2);
    await waitSeqs('dev-b', 120);
    await h.publish(b1);
    await h.publish(b3);
    await h.publish(b3);
    await waitSeqs('dev-b', 180);
    await waitFor('cleared delivered', async () => {
      const snap = await h.db.collection('alerts').where('deviceId', '==', 'dev-b').get();
      return snap.docs[0]?.data().deliveries?.cleared?.status === 'done' ? true : undefined;
    });
    await settle(h);

    expect(await storedSeqs(h.db, 'dev-b', 'temperature')).toEqual(range(1, 180));
    const alerts = await h.db.collection('alerts').where('deviceId', '==', 'dev-b').get();
    expect(alerts.size).toBe(1);
    expect(alerts.docs[0]?.data()).toMatchObject({ state: 'resolved', value: 35, clearedValue: 20 });
    const hooks = sinkFor('dev-b');
    expect(hooks.map((r) => r.body.alert?.kind).sort()).toEqual(['cleared', 'raised']);
    expect(new Set(hooks.map((r) => r.idempotencyKey)).size).toBe(2);
  }, 90_000);

  it('dead-letters garbage and an unknown major version while good batches keep flowing', async () => {
    const garbageId = await h.publish(Buffer.from('this is not a telemetry batch'));
    const good = batchBytes('gw-gamma', series('dev-c', 'temperature', 1, 10, 21));
    const envelope = decode(good) as Record<string, unknown>;
    const futureId = await h.publish(Buffer.from(encode({ ...envelope, V: 2 })));
    await h.publish(good);

    // dev-c has no profile: persisted under the unregistered profile and reported once.
    expect(await waitSeqs('dev-c', 10)).toEqual(range(1, 10));
    const bucket = (await h.db.collection('readings').doc(`dev-c:temperature:${T0}`).get()).data();
    expect(bucket).toMatchObject({ site: 'unregistered', registered: false });
    const reported = await h.db.collection('unregisteredDevices').doc('dev-c').get();
    expect(reported.data()).toMatchObject({ deviceId: 'dev-c', gatewayId: 'gw-gamma' });

    const garbage = await waitFor('garbage dead letter', async () => {
      const d = await h.db.collection('deadLetters').doc(`ingest-${garbageId}`).get();
      return d.exists ? d.data() : undefined;
    });
    expect(garbage).toMatchObject({
      source: 'ingest',
      sourceTopic: telemetryTopicName(HARNESS_GATEWAY),
      state: 'open',
    });
    expect(garbage.code).toMatch(/^EDGEFLOW_CODEC_/);
    expect(Buffer.from(garbage.data).toString()).toBe('this is not a telemetry batch');
    const future = await waitFor('unknown-major dead letter', async () => {
      const d = await h.db.collection('deadLetters').doc(`ingest-${futureId}`).get();
      return d.exists ? d.data() : undefined;
    });
    expect(future.code).toBe('EDGEFLOW_CODEC_UNKNOWN_MAJOR');
    expect(future.reason).toMatch(/2/);
  }, 60_000);
});
