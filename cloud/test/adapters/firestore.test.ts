/** Firestore adapters against the Firestore emulator: idempotent merges, transactions under contention (shards, alerts, gateway state), write counts. */
import type { AlertEvent, Reading } from '@edgeflow/shared';
import { Firestore, Timestamp } from '@google-cloud/firestore';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreAlertStore } from '../../src/adapters/firestore/alerts.ts';
import { newWriteCounter } from '../../src/adapters/firestore/client.ts';
import { FirestoreDeadLetterStore } from '../../src/adapters/firestore/dead-letters.ts';
import { FirestoreGatewayStore } from '../../src/adapters/firestore/gateways.ts';
import { FirestoreProfileStore } from '../../src/adapters/firestore/profiles.ts';
import { FirestoreReadingStore, readSeries } from '../../src/adapters/firestore/readings.ts';
import { bucketReadings } from '../../src/functions/ingest/bucket.ts';
import { emptyGatewayState, foldBatch, type GatewayState } from '../../src/functions/ingest/gateway-state.ts';
import { sharedRuleStepper } from '../../src/functions/ingest/rules.ts';
import { applyToShard } from '../../src/functions/ingest/shard.ts';
import { claimTransition } from '../../src/functions/notify/record.ts';
import { type EmulatorHandle, startFirestoreEmulator } from '../../src/local/index.ts';

const PROJECT = 'demo-adapters';
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
let emulator: EmulatorHandle;
let db: Firestore;

beforeAll(async () => {
  const env = { ...process.env };
  delete env.FIRESTORE_EMULATOR_HOST;
  emulator = await startFirestoreEmulator({ env, projectId: PROJECT });
  process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  db = new Firestore({ projectId: PROJECT, ignoreUndefinedProperties: true });
}, 90_000);

afterAll(async () => {
  await db?.terminate();
  await emulator?.stop();
});

function readings(deviceId: string, startSeq: number, count: number, value = 20): Reading[] {
  return Array.from({ length: count }, (_, i) => ({
    deviceId,
    metric: 'temperature',
    tsMs: T0 + (startSeq + i) * 1000,
    value,
    seq: startSeq + i,
  }));
}

const enrich = () => ({ site: 's', name: 'n', unit: 'degC', registered: true });

// Explicit timeouts: the first calls on a fresh emulator take seconds on a loaded box.
describe('FirestoreReadingStore', () => {
  it('merges bucket columns idempotently and counts one write per document', async () => {
    const counter = newWriteCounter();
    const store = new FirestoreReadingStore(db, { deadlineMs: 10_000, counter });
    const first = bucketReadings(readings('b1', 1, 30), 'gw-1', 1, enrich);
    await store.writeBuckets(first);
    const snap1 = (await db.collection('readings').doc(`b1:temperature:${T0}`).get()).data();
    await store.writeBuckets(first);
    expect((await db.collection('readings').doc(`b1:temperature:${T0}`).get()).data()).toEqual(snap1);
    // A re-formed batch overlapping the first lands under another key; readers dedup by seq.
    await store.writeBuckets(bucketReadings(readings('b1', 21, 30), 'gw-1', 21, enrich));
    expect(counter.writes).toBe(3);
    const series = await readSeries(db, 'b1', 'temperature');
    expect(series.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  }, 30_000);

  it('applies concurrent batches to one shard without losing either (transaction retry)', async () => {
    const counter = newWriteCounter();
    const store = new FirestoreReadingStore(db, { deadlineMs: 20_000, counter });
    const rules = sharedRuleStepper();
    const input = (deviceId: string, start: number) => ({
      gatewayId: 'gw-2',
      shard: 0,
      firstSeq: start,
      lastSeq: start + 9,
      series: [
        { deviceId, metric: 'temperature', profile: undefined, readings: readings(deviceId, start, 10) },
      ],
    });
    await Promise.all([
      store.updateShard('gw-2', 0, (cur) => applyToShard(cur, input('s1', 1), rules)),
      store.updateShard('gw-2', 0, (cur) => applyToShard(cur, input('s2', 11), rules)),
    ]);
    const doc = (await db.collection('latest').doc('gw-2_0').get()).data();
    expect(doc?.series.s1.temperature.seq).toBe(10);
    expect(doc?.series.s2.temperature.seq).toBe(20);
    // A redelivery changes nothing and writes nothing.
    await store.updateShard('gw-2', 0, (cur) => applyToShard(cur, input('s1', 1), rules));
    expect(counter.writes).toBe(2);
  }, 30_000);
});

describe('FirestoreAlertStore', () => {
  const event: AlertEvent = {
    alertId: 'c1.temperature.temperature-high.1763892000000',
    kind: 'raised',
    deviceId: 'c1',
    metric: 'temperature',
    ruleId: 'temperature-high',
    ruleKind: 'threshold',
    severity: 'warning',
    value: 35,
    tsMs: T0,
    seq: 5,
    source: 'edge',
    message: 'hot',
  };

  it('lets exactly one of two concurrent deliveries of a transition claim it', async () => {
    const store = new FirestoreAlertStore(db, {
      deadlineMs: 20_000,
      counter: newWriteCounter(),
      nowMs: () => T0,
    });
    const claim = () =>
      store.claim(event, (r, b) =>
        claimTransition(r, b, event, { nowMs: T0, leaseMs: 60_000, storm: { limit: 5, windowMs: 600_000 } }),
      );
    const results = await Promise.all([claim(), claim()]);
    expect(results.map((r) => r.action).sort()).toEqual(['busy', 'deliver']);
    await store.finish(event.alertId, 'raised', { log_0: 'delivered' }, [], true);
    expect((await claim()).action).toBe('duplicate');
    const record = await store.get(event.alertId);
    expect(record).toMatchObject({
      state: 'open',
      source: 'edge',
      deliveries: { raised: { status: 'done' } },
    });
    expect((await db.collection('notifyBudgets').doc('c1').get()).data()).toMatchObject({ sent: 1 });
  });
});

describe('profiles and dead letters', () => {
  it('reads profiles, treats broken ones as unregistered, reports unknown devices once', async () => {
    const counter = newWriteCounter();
    const store = new FirestoreProfileStore(db, {
      deadlineMs: 10_000,
      counter,
      logger: pino({ level: 'silent' }),
    });
    await db.collection('devices').doc('p1').set({ site: 'a', name: 'b', units: {}, notify: [] });
    await db.collection('devices').doc('p2').set({ site: 'a' });
    const got = await store.getMany(['p1', 'p2', 'p3']);
    expect(got.get('p1')).toMatchObject({ deviceId: 'p1', site: 'a' });
    expect(got.get('p2')).toBeUndefined();
    expect(got.get('p3')).toBeUndefined();
    expect(await store.reportUnregistered('p3', 'gw-1', T0)).toBe('gw-1');
    // The first reporter keeps the device: a second gateway learns whose it is.
    expect(await store.reportUnregistered('p3', 'gw-9', T0 + 1)).toBe('gw-1');
    expect((await db.collection('unregisteredDevices').doc('p3').get()).data()).toMatchObject({
      gatewayId: 'gw-1',
    });
    expect(counter.writes).toBe(1);
    await store.flagUnregistered('p3', 'gw-9', T0 + 2);
    await store.flagUnregistered('p3', 'gw-9', T0 + 3);
    await store.flagUnregistered('p3', 'gw-8', T0 + 4);
    expect((await db.collection('unregisteredDevices').doc('p3').get()).data()).toMatchObject({
      gatewayId: 'gw-1',
      claimedBy: ['gw-9', 'gw-8'],
    });
  }, 30_000);

  it('finds the highest sequence a gateway has applied across its shards', async () => {
    const store = new FirestoreReadingStore(db, { deadlineMs: 10_000, counter: newWriteCounter() });
    expect(await store.highestSeq('gw-hs', 4)).toBeUndefined();
    const rules = sharedRuleStepper();
    const input = (deviceId: string, shard: number, start: number) => ({
      gatewayId: 'gw-hs',
      shard,
      firstSeq: start,
      lastSeq: start + 9,
      series: [
        { deviceId, metric: 'temperature', profile: undefined, readings: readings(deviceId, start, 10) },
      ],
    });
    await store.updateShard('gw-hs', 1, (cur) => applyToShard(cur, input('h1', 1, 100), rules));
    await store.updateShard('gw-hs', 3, (cur) => applyToShard(cur, input('h2', 3, 40), rules));
    expect(await store.highestSeq('gw-hs', 4)).toBe(109);
    // A document from before maxSeq existed: its series still count.
    await db
      .collection('latest')
      .doc('gw-hs_0')
      .set({
        gatewayId: 'gw-hs',
        shard: 0,
        series: { old: { temperature: { v: 1, tsMs: T0, seq: 500, rules: {} } } },
        recent: [],
      });
    expect(await store.highestSeq('gw-hs', 4)).toBe(500);
    expect(await store.highestSeq('gw-other', 4)).toBeUndefined();
  }, 30_000);

  it('records a dead letter once per message', async () => {
    const store = new FirestoreDeadLetterStore(db, {
      deadlineMs: 10_000,
      counter: newWriteCounter(),
      nowMs: () => T0,
      sourceTopic: 'edgeflow-telemetry',
    });
    const letter = {
      source: 'ingest' as const,
      subscription: undefined,
      messageId: '42',
      code: 'EDGEFLOW_CODEC_MALFORMED',
      reason: 'not CBOR',
      data: Buffer.from([1, 2, 3]),
      attributes: { a: 'b' },
      deliveryAttempt: 1,
      publishTimeMs: T0,
    };
    await store.record(letter);
    await store.record({ ...letter, deliveryAttempt: 2 });
    const doc = (await db.collection('deadLetters').doc('ingest-42').get()).data();
    expect(doc).toMatchObject({
      code: 'EDGEFLOW_CODEC_MALFORMED',
      deliveryAttempt: 1,
      sourceTopic: 'edgeflow-telemetry',
    });
    expect(Buffer.from(doc?.data).equals(Buffer.from([1, 2, 3]))).toBe(true);
  });
});

describe('FirestoreGatewayStore', () => {
  const facts = (fromSeq: number, toSeq: number) => ({
    runs: [{ fromSeq, toSeq }],
    newestReadingAtMs: T0 + toSeq * 1000,
    health: undefined,
    healthRejected: false,
  });
  const fold = (fromSeq: number, toSeq: number, nowMs: number) => (cur: GatewayState | undefined) => {
    const out = foldBatch(cur, 'gw-state', facts(fromSeq, toSeq), nowMs);
    return { next: out.state, result: out.opened.length };
  };

  it('creates the document, applies concurrent batches without losing either, and lists it back', async () => {
    const counter = newWriteCounter();
    const store = new FirestoreGatewayStore(db, { deadlineMs: 20_000, counter });
    await store.update('gw-state', fold(1, 10, T0));
    await Promise.all([
      store.update('gw-state', fold(21, 30, T0 + 1)),
      store.update('gw-state', fold(41, 50, T0 + 2)),
    ]);
    expect(counter.writes).toBe(3);
    const doc = (await db.collection('gateways').doc('gw-state').get()).data();
    expect(doc?.lastBatchAt).toBeInstanceOf(Timestamp);
    const { gateways } = await store.list(10);
    const state = gateways.find((g) => g.gatewayId === 'gw-state');
    expect(state).toMatchObject({ firstSeq: 1, lastSeq: 50, seqGapCount: 2, missingReadings: 20 });
    expect(state?.newestReadingAtMs).toBe(T0 + 50_000);
    expect(
      state?.recentGaps.map((g) => [g.fromSeq, g.toSeq]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0)),
    ).toEqual([
      [11, 20],
      [31, 40],
    ]);
  }, 30_000);

  it('stores no timestamps for a gateway that sent no readings yet (no uplink lag to show)', async () => {
    const store = new FirestoreGatewayStore(db, { deadlineMs: 20_000 });
    await store.update('gw-empty', (cur) => {
      const state = { ...emptyGatewayState('gw-empty'), ...cur };
      return { next: state, result: undefined };
    });
    const { gateways } = await store.list(10);
    expect(gateways.find((g) => g.gatewayId === 'gw-empty')).toMatchObject({
      lastBatchAtMs: null,
      newestReadingAtMs: null,
      lastSeq: null,
    });
  }, 30_000);
});
