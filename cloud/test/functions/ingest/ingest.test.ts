import {
  type AlertEvent,
  decodeBatch,
  encodeBatch,
  type GatewayHealth,
  ManualClock,
  type Reading,
  telemetryTopicName,
} from '@edgeflow/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CloudError, CloudErrorCodes } from '../../../src/adapters/errors.ts';
import { type IngestMessage, Ingestor } from '../../../src/functions/ingest/ingest.ts';
import { ProfileCache } from '../../../src/functions/ingest/profile-cache.ts';
import { sharedRuleStepper } from '../../../src/functions/ingest/rules.ts';
import {
  MemoryAlertBus,
  MemoryDeadLetters,
  MemoryGatewayStore,
  MemoryProfileStore,
  MemoryReadingStore,
} from './fakes.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

function readings(deviceId: string, startSeq: number, count: number, value: number): Reading[] {
  return Array.from({ length: count }, (_, i) => ({
    deviceId,
    metric: 'temperature',
    tsMs: T0 + (startSeq + i) * 1000,
    value,
    seq: startSeq + i,
  }));
}

/** A message as it arrives on `gatewayId`'s telemetry topic. */
function msg(data: Uint8Array, id = 'm1', gatewayId = 'gw-1'): IngestMessage {
  return {
    data: Buffer.from(data),
    attributes: {},
    messageId: id,
    publishTimeMs: undefined,
    deliveryAttempt: undefined,
    subscription: undefined,
    transportTopic: telemetryTopicName(gatewayId),
  };
}

function setup(
  options: {
    failAfterWrite?: boolean;
    decode?: (b: Uint8Array) => ReturnType<typeof decodeBatch>;
    maxSeqJump?: number;
  } = {},
) {
  const profiles = new MemoryProfileStore();
  profiles.profiles.set('d1', {
    deviceId: 'd1',
    gatewayId: 'gw-1',
    site: 's1',
    name: 'one',
    units: {},
    notify: [],
  });
  const clock = new ManualClock(T0);
  const store = new MemoryReadingStore();
  const bus = new MemoryAlertBus();
  const letters = new MemoryDeadLetters();
  const gateways = new MemoryGatewayStore();
  const ingestor = new Ingestor({
    decode: options.decode ?? ((b) => decodeBatch(b)),
    profiles: new ProfileCache(profiles, clock, { ttlMs: 60_000, maxEntries: 100 }),
    readings: store,
    gateways,
    bus,
    deadLetters: letters,
    rules: sharedRuleStepper(),
    clock,
    logger: pino({ level: 'silent' }),
    options: {
      bucket: { bucketWindowMs: 3_600_000, retentionMs: 86_400_000 },
      latestShards: 4,
      maxSeqJump: options.maxSeqJump ?? 100_000_000,
      failAfterWrite: options.failAfterWrite ?? false,
    },
  });
  return { ingestor, profiles, clock, store, bus, letters, gateways };
}

const edgeAlert: AlertEvent = {
  alertId: 'd1.temperature.temperature-high.1763892000000',
  kind: 'raised',
  deviceId: 'd1',
  metric: 'temperature',
  ruleId: 'temperature-high',
  ruleKind: 'threshold',
  severity: 'warning',
  value: 35,
  tsMs: T0,
  seq: 5,
  source: 'edge',
  message: 'temperature above 30 for 10 s',
};

describe('Ingestor', () => {
  it('persists, forwards edge alerts and costs one write per bucket plus one per shard', async () => {
    const { ingestor, store, bus } = setup();
    const bytes = encodeBatch({
      gatewayId: 'gw-1',
      createdAtMs: T0,
      readings: readings('d1', 1, 60, 20),
      alerts: [edgeAlert],
    });
    const out = await ingestor.handle(msg(bytes));
    expect(out).toMatchObject({
      status: 'persisted',
      batchId: 'gw-1:1-60',
      readings: 60,
      buckets: 1,
      edgeAlerts: 1,
    });
    expect(bus.published).toEqual([{ ...edgeAlert, gatewayId: 'gw-1' }]);
    expect(store.writes).toBe(2);
    // Redelivery: the bucket merge is repeated (idempotent), the shard is not written again.
    await ingestor.handle(msg(bytes));
    expect(store.writes).toBe(3);
    expect(Object.keys([...store.buckets.values()][0]?.cols ?? {})).toEqual(['gw-1_1']);
  });

  it('does not publish again a cloud transition the edge already reported (same alert id)', async () => {
    // 30 s above 30 degC: the default temperature-high rule (10 s hold) raises in the cloud too.
    const hot = readings('d1', 1, 30, 35);
    // What the cloud derives from these readings alone (another instance, same deterministic id).
    const alone = setup();
    const cloudOnly = await alone.ingestor.handle(
      msg(encodeBatch({ gatewayId: 'gw-1', createdAtMs: T0, readings: hot, alerts: [] }), 'a'),
    );
    expect(cloudOnly).toMatchObject({ transitions: 1 });
    const raised = alone.bus.published.find((e) => e.source === 'cloud' && e.kind === 'raised') as AlertEvent;
    expect(raised).toBeDefined();

    // The gateway's edge reported that same transition first, in an alerts batch.
    const { ingestor, bus } = setup();
    const edge = { ...raised, source: 'edge' as const, gatewayId: 'gw-1' };
    await ingestor.handle(
      msg(encodeBatch({ gatewayId: 'gw-1', createdAtMs: T0, readings: [], alerts: [edge] }), 'b'),
    );
    await ingestor.handle(
      msg(encodeBatch({ gatewayId: 'gw-1', createdAtMs: T0, readings: hot, alerts: [] }), 'c'),
    );
    expect(bus.published.map((e) => `${e.alertId}:${e.kind}:${e.source}`)).toEqual([
      `${raised.alertId}:raised:edge`,
    ]);
    expect(ingestor.counters.transitionsSuppressed).toBe(1);
  });

  it('rejects and counts invalid readings without failing the batch', async () => {
    const good = readings('d1', 1, 3, 20);
    const bad = [
      { ...good[0], seq: 9, value: 500 } as Reading,
      { ...good[0], seq: 10, deviceId: 'bad id!' } as Reading,
    ];
    const { ingestor } = setup({
      decode: () => ({ gatewayId: 'gw-1', createdAtMs: T0, readings: [...good, ...bad], alerts: [] }),
    });
    const out = await ingestor.handle(msg(new Uint8Array([1])));
    expect(out).toMatchObject({ status: 'persisted', readings: 3, rejected: 2 });
    expect(ingestor.counters.readingsRejected).toBe(2);
  });

  it('persists unknown devices under the unregistered profile and reports each once', async () => {
    const { ingestor, profiles, store } = setup();
    await ingestor.handle(
      msg(
        encodeBatch({
          gatewayId: 'gw-1',
          createdAtMs: T0,
          readings: readings('ghost', 1, 5, 20),
          alerts: [],
        }),
      ),
    );
    await ingestor.handle(
      msg(
        encodeBatch({
          gatewayId: 'gw-1',
          createdAtMs: T0,
          readings: readings('ghost', 6, 5, 20),
          alerts: [],
        }),
      ),
    );
    expect(profiles.reported).toEqual(['ghost']);
    const bucket = [...store.buckets.values()].find((b) => b.meta.deviceId === 'ghost');
    expect(bucket?.meta.enrichment).toMatchObject({ site: 'unregistered', registered: false });
  });

  it('caches profiles for the TTL, then reads them again', async () => {
    const { ingestor, profiles, clock } = setup();
    const b = (seq: number) =>
      msg(
        encodeBatch({ gatewayId: 'gw-1', createdAtMs: T0, readings: readings('d1', seq, 2, 20), alerts: [] }),
      );
    await ingestor.handle(b(1));
    await ingestor.handle(b(3));
    expect(profiles.reads).toBe(1);
    clock.advance(60_001);
    await ingestor.handle(b(5));
    expect(profiles.reads).toBe(2);
  });

  it('dead-letters undecodable bytes and acknowledges', async () => {
    const { ingestor, letters, store } = setup();
    const out = await ingestor.handle(msg(Buffer.from('garbage'), 'poison-1'));
    expect(out.status).toBe('dead-lettered');
    expect(letters.letters.get('poison-1')).toMatchObject({
      source: 'ingest',
      code: expect.stringMatching(/^EDGEFLOW_CODEC_/),
    });
    expect(store.writes).toBe(0);
  });

  it('throws transient failures so Pub/Sub redelivers, and the redelivery completes the batch', async () => {
    const { ingestor, store, letters } = setup();
    const bytes = encodeBatch({
      gatewayId: 'gw-1',
      createdAtMs: T0,
      readings: readings('d1', 1, 10, 20),
      alerts: [],
    });
    store.failNext = Object.assign(new Error('unavailable'), { code: 14 });
    await expect(ingestor.handle(msg(bytes))).rejects.toThrow('unavailable');
    expect(letters.letters.size).toBe(0);
    await expect(ingestor.handle(msg(bytes))).resolves.toMatchObject({ status: 'persisted' });
  });

  it('fails after writing once per batch when the test setting is on', async () => {
    const { ingestor, bus } = setup({ failAfterWrite: true });
    const bytes = encodeBatch({
      gatewayId: 'gw-1',
      createdAtMs: T0,
      readings: readings('d1', 1, 10, 20),
      alerts: [edgeAlert],
    });
    await expect(ingestor.handle(msg(bytes))).rejects.toSatisfy(
      (e) => e instanceof CloudError && e.code === CloudErrorCodes.TEST_FAULT,
    );
    await expect(ingestor.handle(msg(bytes))).resolves.toMatchObject({ status: 'persisted' });
    // Forwarded twice; notify dedups by alert id + kind.
    expect(bus.published.map((e) => e.alertId)).toEqual([edgeAlert.alertId, edgeAlert.alertId]);
  });
});

describe('Ingestor keeps gateways/<id>', () => {
  const batch = (rs: Reading[], extra: { health?: GatewayHealth } = {}) =>
    encodeBatch({ gatewayId: 'gw-1', createdAtMs: T0, readings: rs, alerts: [], ...extra });

  it('folds each batch in one write, from the clock, and counts the gaps', async () => {
    const { ingestor, gateways, clock } = setup();
    await ingestor.handle(msg(batch(readings('d1', 1, 10, 20), { health: healthAt(T0) })));
    clock.advance(60_000);
    await ingestor.handle(msg(batch(readings('d1', 16, 5, 20)), 'm2'));
    expect(gateways.writes).toBe(2);
    expect(gateways.states.get('gw-1')).toMatchObject({
      lastBatchAtMs: T0 + 60_000,
      newestReadingAtMs: T0 + 20_000,
      lastSeq: 20,
      seqGapCount: 1,
      recentGaps: [{ fromSeq: 11, toSeq: 15, detectedAtMs: T0 + 60_000 }],
      health: healthAt(T0),
    });
    expect(ingestor.counters.seqGapsDetected).toBe(1);
  });

  it('takes readings it drops for their device as sent (no gap), and leaves out seq jumps', async () => {
    const { ingestor, gateways, profiles } = setup({ maxSeqJump: 1000 });
    profiles.profiles.set('d2', {
      deviceId: 'd2',
      gatewayId: 'gw-2',
      site: 's',
      name: 'n',
      units: {},
      notify: [],
    });
    const rs = [...readings('d1', 1, 5, 20), ...readings('d2', 6, 5, 20), ...readings('d1', 11, 5, 20)];
    const out = await ingestor.handle(msg(batch([...rs, ...readings('d1', 5_000_000, 1, 20)])));
    expect(out).toMatchObject({ status: 'persisted', readings: 10, dropped: 6 });
    expect(gateways.states.get('gw-1')).toMatchObject({ firstSeq: 1, lastSeq: 15, seqGapCount: 0 });
  });

  it('counts a batch whose health did not validate and keeps the health it had', async () => {
    const { ingestor, gateways } = setup({
      decode: (b) => ({ ...decodeBatch(b), healthRejected: true }),
    });
    await ingestor.handle(msg(batch(readings('d1', 1, 3, 20))));
    expect(ingestor.counters.healthRejected).toBe(1);
    expect(gateways.states.get('gw-1')?.health).toBeNull();
  });

  it('does not touch the gateway state when the batch is dead-lettered', async () => {
    const { ingestor, gateways } = setup();
    await ingestor.handle(msg(Buffer.from('garbage'), 'poison'));
    expect(gateways.writes).toBe(0);
  });
});

function healthAt(reportedAtMs: number): GatewayHealth {
  return {
    outboxRecords: 1,
    outboxBytes: 10,
    oldestUnsentAgeMs: 0,
    evictedReadings: 0,
    rejectedByReason: {},
    clientsConnected: 1,
    rulesVersion: 2,
    uptimeS: 5,
    rssBytes: 1000,
    reportedAtMs,
  };
}
