/**
 * Redelivery faults, against the real emulators and functions-framework: a function told to
 * fail after writing (test-only setting) and Firestore cut off by a TCP proxy. Pub/Sub
 * redelivers; the effect must be the same as one clean delivery.
 */
import { type DeviceProfile, type Topology, topologyFor } from '@edgeflow/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../src/local/index.ts';
import { batchBytes, type Harness, series, settle, startHarness, storedSeqs, waitFor } from './harness.ts';

let h: Harness;
let proxy: FaultProxy | undefined;

beforeAll(async () => {
  process.env.EDGEFLOW_TEST_MODE = '1';
  process.env.EDGEFLOW_TEST_FAIL_AFTER_WRITE = '1';
  // Bound each Firestore call, so a cut link fails the push instead of hanging in SDK retries
  // (generous enough for an emulator on a loaded 2-core box).
  process.env.EDGEFLOW_INGEST_DEADLINE_MS = '3000';
  process.env.EDGEFLOW_NOTIFY_DEADLINE_MS = '3000';
  h = await startHarness({
    // The emulator redelivers at once (it ignores the minimum backoff), so 5 attempts can pass
    // within one outage here; GCP spaces them 1..60 s apart. Allow the maximum GCP permits.
    topology: (ids): Topology => {
      const t = topologyFor(ids);
      const allowMost = <S extends { deadLetter?: { topic: string; maxDeliveryAttempts: number } }>(
        s: S,
      ): S => (s.deadLetter ? { ...s, deadLetter: { ...s.deadLetter, maxDeliveryAttempts: 100 } } : s);
      return {
        ...t,
        subscriptions: t.subscriptions.map(allowMost),
      };
    },
    functionFirestoreHost: async (emulatorHost) => {
      proxy = await startFaultProxy(emulatorHost);
      return proxy.host;
    },
  });
}, 120_000);

afterAll(async () => {
  await h?.stop();
  await proxy?.close();
}, 30_000);

async function registerDevice(deviceId: string): Promise<void> {
  const profile: DeviceProfile = {
    deviceId,
    gatewayId: 'gw-fault',
    site: 'plant-2',
    name: deviceId,
    units: {},
    notify: [{ kind: 'webhook', url: h.sinkUrl, format: 'json' }],
  };
  await h.db.collection('devices').doc(deviceId).set(profile);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('redelivery after faults', () => {
  it('a function failing after its writes is redelivered without duplicating anything', async () => {
    await registerDevice('dev-f');
    const before = h.pushes.ingest;
    await h.publish(batchBytes('gw-fault', series('dev-f', 'temperature', 1, 60, 20)));
    await h.publish(batchBytes('gw-fault', series('dev-f', 'temperature', 61, 60, 35)));
    await waitFor('raised delivered', async () => {
      const snap = await h.db.collection('alerts').where('deviceId', '==', 'dev-f').get();
      return snap.docs[0]?.data().deliveries?.raised?.status === 'done' ? true : undefined;
    });
    // Each batch failed once after writing and is pushed again; the emulator picks its own
    // moment to redeliver (later after a run of failures), so wait for it, bounded.
    await waitFor(
      'both batches redelivered',
      async () => (h.pushes.ingest - before >= 4 ? true : undefined),
      60_000,
    );
    await settle(h);
    expect(await storedSeqs(h.db, 'dev-f', 'temperature')).toEqual(range(1, 120));
    const alerts = await h.db.collection('alerts').where('deviceId', '==', 'dev-f').get();
    expect(alerts.size).toBe(1);
    expect(alerts.docs[0]?.data().state).toBe('open');
    expect(h.sink.filter((r) => r.body.alert?.deviceId === 'dev-f')).toHaveLength(1);
  }, 90_000);

  it('Firestore briefly unavailable: the batch is redelivered and persisted once', async () => {
    const p = proxy as FaultProxy;
    p.cut();
    const before = h.pushes.ingest;
    await h.publish(batchBytes('gw-fault', series('dev-g', 'temperature', 1000, 60, 21)));
    // At least one delivery attempt fails while the link is down.
    await waitFor('a failed attempt', async () => (h.pushes.ingest > before ? true : undefined));
    await new Promise((r) => setTimeout(r, 2500));
    expect(await storedSeqs(h.db, 'dev-g', 'temperature')).toEqual([]);
    p.restore();
    const seqs = await waitFor(
      'persisted after restore',
      async () => {
        const s = await storedSeqs(h.db, 'dev-g', 'temperature');
        return s.length >= 60 ? s : undefined;
      },
      60_000,
    );
    await settle(h);
    expect(seqs).toEqual(range(1000, 1059));
    expect(await storedSeqs(h.db, 'dev-g', 'temperature')).toEqual(range(1000, 1059));
    expect(h.pushes.ingest - before).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
