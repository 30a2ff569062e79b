/**
 * The fault-injection suite: each fault under a steady device load through the whole
 * pipeline (devices -> gateway -> proxy -> Pub/Sub emulator -> functions -> Firestore
 * emulator -> webhook sink), judged by a per-reading ledger (what the gateway PUBACKed)
 * against the gateway sequence numbers stored in Firestore. One pipeline for the file; the
 * faults run one after the other, each on its own event-time window so their readings and
 * alerts never mix. `npm run test:faults` runs the full lengths (EDGEFLOW_FAULTS=full);
 * `npm test` the reduced ones, with the same checks.
 */
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type FaultProxy, pubsubClient, pushEndpoint, startFaultProxy } from '@edgeflow/cloud/local';
import {
  encodeBatch,
  type RuleSet,
  subscriptionFor,
  TelemetryAttributes,
  telemetryTopicName,
} from '@edgeflow/shared';
import type { PubSub } from '@google-cloud/pubsub';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { persistedReadings } from '../../src/accounting.ts';
import { startDuplicator } from '../../src/faults/duplicator.ts';
import {
  expectedReasons,
  type GarbageMessage,
  garbageMessages,
  prng,
  publishGarbage,
  randomBytes,
  withMajorVersion,
} from '../../src/faults/garbage.ts';
import {
  alertRecordsFor,
  deliveriesFor,
  drainAndJudge,
  FAULT_PLAN,
  FULL,
  SEED,
  sleep,
  waitFor,
} from '../../src/faults/harness.ts';
import { type LedgerVerdict, seqGaps, seqRuns, storedByKey } from '../../src/faults/ledger-accounting.ts';
import { type LedgerPublisher, startLedgerPublisher } from '../../src/faults/ledger-publisher.ts';
import { startPushProxy } from '../../src/faults/push-proxy.ts';
import { byLabel, scrapeGateway, total } from '../../src/observe.ts';
import { GATEWAY_ID, type Pipeline, startPipeline } from '../../src/pipeline.ts';

const DLQ_CLI = fileURLToPath(new URL('../../../cloud/src/cli/dlq.ts', import.meta.url));
const run = promisify(execFile);

const HOT = 95;
const RULES: RuleSet = {
  temperature: [
    {
      id: 'too-hot',
      kind: 'threshold',
      severity: 'critical',
      direction: 'above',
      threshold: 80,
      clearBand: 5,
      raiseHoldMs: 0,
      clearHoldMs: 0,
    },
  ],
};
const LOAD = FAULT_PLAN.loadDevices;
const GARBAGE_DEVICE = LOAD;
const REPLAY_DEVICE = LOAD + 1;
/** Each fault gets its own 6 h event-time window, in test order, 3 days back. */
const WINDOW_MS = 6 * 3_600_000;
const T0 = Math.floor((Date.now() - 3 * 86_400_000) / 3_600_000) * 3_600_000;
let windowIndex = 0;
const TS_STEP_MS = 10;
/** Bounds on the drain after a fault: minutes of backlog drain in the full run. */
const DRAIN_MS = Number(process.env.EDGEFLOW_FAULTS_DRAIN_MS) || (FULL ? 300_000 : 60_000);

let p: Pipeline;
let proxy: FaultProxy;
let pubsub: PubSub;
const gatewayLines: string[] = [];

beforeAll(async () => {
  p = await startPipeline({
    devices: LOAD + 2,
    rules: RULES,
    lingerMs: 300,
    logger: pino({ level: 'warn' }),
    pubsubHostForGateway: async (emulatorHost) => {
      proxy = await startFaultProxy(emulatorHost);
      return proxy.host;
    },
    onGatewayLine: (line) => {
      gatewayLines.push(line);
      if (gatewayLines.length > 200) gatewayLines.shift();
    },
    onFunctionLine: (fn, line) => {
      if (process.env.EDGEFLOW_FAULTS_LOG) appendFileSync(process.env.EDGEFLOW_FAULTS_LOG, `${fn} ${line}\n`);
    },
  });
  pubsub = pubsubClient(p.cloud.pubsubHost, p.cloud.projectId);
  await pinMqttPort();
}, 120_000);

afterAll(async () => {
  await pubsub?.close().catch(() => undefined);
  await p?.stop();
  await proxy?.close();
}, 60_000);

/**
 * The pipeline's gateway config asks for MQTT port 0, so a restarted gateway would listen on
 * a new port while `gateway.mqttUrl` keeps the first one. Pin the port the gateway got, so
 * devices reconnect where they were (as real devices would).
 */
async function pinMqttPort(): Promise<void> {
  const config = JSON.parse(await readFile(p.gateway.configPath, 'utf8'));
  config.mqtt = { ...config.mqtt, port: Number(new URL(p.gateway.mqttUrl).port) };
  await writeFile(p.gateway.configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

function device(i: number) {
  const d = p.credentials.devices[i];
  if (!d) throw new Error(`no device ${i}`);
  return d;
}

/** Starts the steady load on the next event-time window. */
function steadyLoad(overrides: { ratePerDevice?: number; maxInFlight?: number } = {}): {
  pub: LedgerPublisher;
  fromMs: number;
  toMs: number;
  /**
   * The device whose alert episode this fault checks: a different one per fault, so the
   * notifier's per-device storm limit (more than 5 notifications in 10 min) never applies.
   */
  alertDevice: string;
} {
  const alertDevice = device(windowIndex % LOAD).deviceId;
  const fromMs = T0 + windowIndex * WINDOW_MS;
  windowIndex += 1;
  const pub = startLedgerPublisher({
    brokerUrl: p.gateway.mqttUrl,
    devices: p.credentials.devices.slice(0, LOAD),
    metric: 'temperature',
    ratePerDevice: overrides.ratePerDevice ?? FAULT_PLAN.ratePerDevice,
    tsBaseMs: fromMs,
    tsStepMs: TS_STEP_MS,
    maxInFlight: overrides.maxInFlight ?? 20,
    value: (d, i) => 20 + ((d * 7 + i) % 50) / 10,
  });
  return { pub, fromMs, toMs: fromMs + WINDOW_MS - 1, alertDevice };
}

/** An alert episode: one hot reading, then the steady values clear it. */
async function alertEpisode(pub: LedgerPublisher, deviceId: string): Promise<void> {
  pub.inject(deviceId, HOT);
  await pub.waitAcked(3, 20_000);
}

/** One raised and one cleared transition, once each, in the cloud record and at the webhook. */
async function expectOneEpisode(id: string, fromMs: number, toMs: number): Promise<void> {
  const records = await waitFor(
    'the resolved alert record',
    async () => {
      const r = await alertRecordsFor(p.db, id, fromMs, toMs);
      return r.length > 0 && r.every((x) => x.state === 'resolved') ? r : undefined;
    },
    30_000,
  );
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ value: HOT, metric: 'temperature' });
  const hooks = await waitFor(
    'raised and cleared webhook deliveries',
    async () => {
      const d = deliveriesFor(p.sink.deliveries, id, fromMs, toMs);
      return d.length >= 2 ? d : undefined;
    },
    30_000,
  );
  await sleep(1000);
  expect(
    deliveriesFor(p.sink.deliveries, id, fromMs, toMs)
      .map((a) => a.kind)
      .sort(),
  ).toEqual(['cleared', 'raised']);
  expect(hooks.every((a) => a.alertId === records[0]?.alertId)).toBe(true);
  expect(p.sink.repeats).toBe(0);
}

function expectNothingLostOrDuplicated(v: LedgerVerdict): void {
  expect(v.lostAcked, `${v.lostAckedCount} acknowledged readings missing`).toEqual([]);
  expect(v.duplicated, `${v.duplicatedCount} readings stored twice`).toEqual([]);
  expect(v.wrongValue).toEqual([]);
  expect(v.phantom).toBe(0);
  expect(v.acked).toBeGreaterThan(0);
}

/** No fault touched the device connections: every reading acknowledged, seqs contiguous. */
function expectCleanRun(v: LedgerVerdict): void {
  expectNothingLostOrDuplicated(v);
  expect(v.unknown).toBe(0);
  expect(v.seqs).toHaveLength(v.acked);
  expect(seqGaps(v.seqs)).toEqual([]);
}

async function expectNoSeqDuplicatesAnywhere(): Promise<void> {
  const all = await persistedReadings(p.db);
  expect(all.duplicated).toBe(0);
}

describe('faults through the whole pipeline', () => {
  it('7. a device publishing garbage: rejected and counted by reason, good traffic and alerts unaffected, gateway up', async () => {
    const before = await scrapeGateway(p.gateway.httpUrl);
    const pid = p.gateway.child.pid;
    const { pub, fromMs, toMs, alertDevice } = steadyLoad();
    let sent = 0;
    let messages: GarbageMessage[] = [];
    try {
      await pub.waitAcked(5, 30_000);
      messages = garbageMessages(SEED, FAULT_PLAN.garbageMessages, Date.now());
      const garbage = publishGarbage(p.gateway.mqttUrl, device(GARBAGE_DEVICE), messages);
      await alertEpisode(pub, alertDevice);
      sent = await garbage;
      await sleep(FAULT_PLAN.steadyMs);
    } finally {
      await pub.stop();
    }
    const after = await scrapeGateway(p.gateway.httpUrl);
    const name = 'edgeflow_gateway_readings_rejected_total';
    const delta: Record<string, number> = {};
    const b = byLabel(before, name, 'reason');
    for (const [reason, n] of Object.entries(byLabel(after, name, 'reason'))) {
      if (n - (b[reason] ?? 0) > 0) delta[reason] = n - (b[reason] ?? 0);
    }
    expect(sent).toBe(FAULT_PLAN.garbageMessages);
    expect(delta).toEqual(expectedReasons(messages));
    expect(p.gateway.child.pid).toBe(pid);
    expect(p.gateway.child.process.exitCode).toBeNull();

    const v = await drainAndJudge(p.db, pub.entries, DRAIN_MS);
    expectCleanRun(v);
    const garbageStored = await storedByKey(p.db, [device(GARBAGE_DEVICE).deviceId]);
    expect(garbageStored.size).toBe(0);
    await expectOneEpisode(alertDevice, fromMs, toMs);
    console.info('fault 7 (garbage device)', { rejectedByReason: delta, acked: v.acked });
  }, 180_000);

  it('4. every batch delivered twice: Firestore, alerts and webhooks unchanged by the copies', async () => {
    const dup = await startDuplicator(pubsub, telemetryTopicName(GATEWAY_ID), 'faults-duplicator');
    const { pub, fromMs, toMs, alertDevice } = steadyLoad();
    try {
      await pub.waitAcked(5, 30_000);
      await alertEpisode(pub, alertDevice);
      await sleep(FAULT_PLAN.duplicateMs);
    } finally {
      await pub.stop();
    }
    const v = await drainAndJudge(p.db, pub.entries, DRAIN_MS);
    await dup.stop();
    expect(dup.duplicated).toBeGreaterThan(5);
    expectCleanRun(v);
    await expectOneEpisode(alertDevice, fromMs, toMs);
    await expectNoSeqDuplicatesAnywhere();
    console.info('fault 4 (duplicates)', { batchesRepublished: dup.duplicated, acked: v.acked });
  }, 240_000);

  it('5. poison batches among good ones are dead-lettered with a reason; a dead-lettered valid batch is replayable', async () => {
    const telemetry = pubsub.topic(telemetryTopicName(GATEWAY_ID));
    const attributes = { ...TelemetryAttributes, gatewayId: GATEWAY_ID };
    const { pub } = steadyLoad();
    let garbageId = '';
    let futureId = '';
    try {
      await pub.waitAcked(5, 30_000);
      garbageId = await telemetry.publishMessage({ data: randomBytes(prng(SEED), 300), attributes });
      futureId = await telemetry.publishMessage({
        data: withMajorVersion(
          {
            gatewayId: 'faults-future',
            createdAtMs: Date.now(),
            readings: [{ deviceId: device(0).deviceId, metric: 'temperature', tsMs: T0, value: 1, seq: 1 }],
            alerts: [],
          },
          7,
        ),
        attributes,
      });
      await sleep(FAULT_PLAN.steadyMs);
    } finally {
      await pub.stop();
    }
    const letter = (id: string) =>
      waitFor(
        `dead letter ingest-${id}`,
        async () => {
          const d = await p.db.collection('deadLetters').doc(`ingest-${id}`).get();
          return d.exists ? (d.data() as Record<string, unknown>) : undefined;
        },
        60_000,
      );
    const garbage = await letter(garbageId);
    expect(garbage).toMatchObject({ source: 'ingest', state: 'open' });
    expect(String(garbage.code)).toMatch(/^EDGEFLOW_CODEC_/);
    expect(String(garbage.reason).length).toBeGreaterThan(0);
    const future = await letter(futureId);
    expect(future.code).toBe('EDGEFLOW_CODEC_UNKNOWN_MAJOR');
    expect(String(future.reason)).toMatch(/7/);
    expectCleanRun(await drainAndJudge(p.db, pub.entries, DRAIN_MS));

    // The fix/replay path for a valid batch that was dead-lettered: it reaches the dead-letter
    // topic as Pub/Sub forwards it after max delivery attempts (its attributes plus the
    // CloudPubSubDeadLetter* ones), triage records it, `dlq replay` republishes it, ingest
    // persists it. It is put on the dead-letter topic directly: making ingest fail it five
    // times leaves the emulator's push subscription backed off for minutes (see the report),
    // which would stall every later fault.
    const replayDevice = device(REPLAY_DEVICE).deviceId;
    const replayTs = T0 + windowIndex++ * WINDOW_MS;
    // The batch is the gateway's own (ingest admits only what arrives on a gateway's topic
    // under its name), so it takes sequence numbers the running gateway will not reach in
    // this file: reusing 1..5 would store two readings under one (gateway, seq), which is
    // exactly what expectNoSeqDuplicatesAnywhere catches. Within the ingest seq-jump bound.
    const replaySeqBase = 50_000_000;
    const readings = Array.from({ length: 5 }, (_, i) => ({
      deviceId: replayDevice,
      metric: 'temperature',
      tsMs: replayTs + i * 1000,
      value: 21 + i / 10,
      seq: replaySeqBase + i + 1,
    }));
    const ingestSubscription = subscriptionFor('ingest', p.cloud.topology);
    await pubsub.topic(p.cloud.topology.topics.deadLetters.name).publishMessage({
      data: Buffer.from(
        // The gateway's own batch: a replay goes back to its topic, where ingest checks it.
        encodeBatch({ gatewayId: GATEWAY_ID, createdAtMs: replayTs, readings, alerts: [] }),
      ),
      attributes: {
        ...TelemetryAttributes,
        gatewayId: GATEWAY_ID,
        replayProbe: 'faults-replay',
        CloudPubSubDeadLetterSourceSubscription: `projects/${p.cloud.projectId}/subscriptions/${ingestSubscription.name}`,
        CloudPubSubDeadLetterSourceSubscriptionProject: p.cloud.projectId,
        CloudPubSubDeadLetterSourceDeliveryCount: String(
          ingestSubscription.deadLetter?.maxDeliveryAttempts ?? 5,
        ),
      },
    });
    const triaged = await waitFor(
      'the triage dead letter of the valid batch',
      async () => {
        const snap = await p.db.collection('deadLetters').where('source', '==', 'triage').get();
        const d = snap.docs.find(
          (x) => (x.get('attributes') as Record<string, string>)?.replayProbe === 'faults-replay',
        );
        return d ? { id: d.id, data: d.data() } : undefined;
      },
      60_000,
      500,
    );
    expect(triaged.data).toMatchObject({ state: 'open', subscription: ingestSubscription.name });
    expect((await storedByKey(p.db, [replayDevice])).size).toBe(0);
    const { stdout } = await run(process.execPath, [DLQ_CLI, 'replay', triaged.id], {
      env: { PATH: process.env.PATH, ...p.cloud.env },
      timeout: 60_000,
    });
    expect(stdout).toContain(`replayed ${triaged.id}`);
    const stored = await waitFor(
      'the replayed readings',
      async () => {
        const s = await storedByKey(p.db, [replayDevice]);
        return s.size === readings.length ? s : undefined;
      },
      60_000,
    );
    expect([...stored.values()].flatMap((c) => c.map((x) => x.seq)).sort((x, y) => x - y)).toEqual(
      readings.map((r) => r.seq),
    );
    const after = await p.db.collection('deadLetters').doc(triaged.id).get();
    expect(after.data()).toMatchObject({ state: 'replayed', replayCount: 1 });
    console.info('fault 5 (poison + replay)', { garbage: garbage.code, future: future.code });
  }, 360_000);

  it('3. ingest failing transiently (500 after its writes, then unreachable): redelivery leaves no duplicates', async () => {
    // The push subscription goes through the fault proxy for this test only (nothing is
    // pending when it is re-pointed, either way).
    const topic = telemetryTopicName(GATEWAY_ID);
    const subscription = pubsub.subscription(subscriptionFor('ingest', p.cloud.topology).name);
    const push = await startPushProxy(() => p.cloud.functionUrls.ingest);
    await subscription.modifyPushConfig({ pushEndpoint: pushEndpoint(push.url, p.cloud.projectId, topic) });
    const { pub, fromMs, toMs, alertDevice } = steadyLoad();
    let v: LedgerVerdict;
    try {
      try {
        await pub.waitAcked(5, 30_000);
        for (let burst = 0; burst < FAULT_PLAN.ingestFailBursts; burst++) {
          push.mode = 'fail-after-forward';
          if (burst === 0) await alertEpisode(pub, alertDevice);
          await sleep(FAULT_PLAN.ingestFailMs);
          push.mode = 'pass';
          if (burst + 1 < FAULT_PLAN.ingestFailBursts) await sleep(FAULT_PLAN.ingestFailMs);
        }
        push.mode = 'down';
        await sleep(FAULT_PLAN.ingestDownMs);
        push.mode = 'pass';
        await sleep(FAULT_PLAN.steadyMs);
      } finally {
        push.mode = 'pass';
        await pub.stop();
      }
      v = await drainAndJudge(p.db, pub.entries, DRAIN_MS);
    } finally {
      await subscription.modifyPushConfig({
        pushEndpoint: pushEndpoint(p.cloud.functionUrls.ingest, p.cloud.projectId, topic),
      });
      await push.close();
    }
    expect(push.counts['fail-after-forward']).toBeGreaterThan(0);
    expect(push.counts.down).toBeGreaterThan(0);
    expectCleanRun(v);
    await expectOneEpisode(alertDevice, fromMs, toMs);
    await expectNoSeqDuplicatesAnywhere();
    console.info('fault 3 (ingest failing)', { acked: v.acked, pushes: push.counts });
  }, 360_000);

  it('2. the uplink cut, then stalled, then restored: the backlog drains, nothing lost, in order', async () => {
    const { pub } = steadyLoad();
    let peakBacklog = 0;
    try {
      await pub.waitAcked(5, 30_000);
      proxy.cut();
      const cutUntil = Date.now() + FAULT_PLAN.uplinkCutMs;
      while (Date.now() < cutUntil) {
        await sleep(Math.min(1000, Math.max(0, cutUntil - Date.now())));
        const c = await scrapeGateway(p.gateway.httpUrl).catch(() => undefined);
        if (c) peakBacklog = Math.max(peakBacklog, total(c, 'edgeflow_forwarder_backlog_readings'));
      }
      proxy.restore();
      await sleep(FAULT_PLAN.steadyMs);
      proxy.stall();
      await sleep(FAULT_PLAN.uplinkStallMs);
      proxy.restore();
      await sleep(FAULT_PLAN.steadyMs);
    } finally {
      proxy.restore();
      await pub.stop();
    }
    await waitFor(
      'the forwarder backlog to drain',
      async () =>
        total(await scrapeGateway(p.gateway.httpUrl), 'edgeflow_forwarder_backlog_readings') === 0
          ? true
          : undefined,
      DRAIN_MS,
    );
    const v = await drainAndJudge(p.db, pub.entries, DRAIN_MS);
    expectCleanRun(v);
    // The readings were acknowledged during the cut, so the backlog really built up.
    expect(peakBacklog).toBeGreaterThan(0);
    // In order: per device, gateway seqs follow publication order.
    const stored = await storedByKey(
      p.db,
      p.credentials.devices.slice(0, LOAD).map((d) => d.deviceId),
    );
    for (const d of p.credentials.devices.slice(0, LOAD)) {
      const seqs = pub.entries
        .filter((e) => e.deviceId === d.deviceId)
        .map((e) => stored.get(`${e.deviceId}|${e.metric}|${e.tsMs}`)?.[0]?.seq ?? -1);
      expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number))).toBe(true);
    }
    console.info('fault 2 (uplink cut/stall)', {
      acked: v.acked,
      peakBacklog,
      cutMs: FAULT_PLAN.uplinkCutMs,
    });
  }, 900_000);

  it('1. kill -9 of the gateway at seeded random moments: every PUBACKed reading stored exactly once', async () => {
    const rand = prng(SEED + 1);
    const { pub } = steadyLoad();
    const gapsMs: number[] = [];
    try {
      await pub.waitAcked(5, 30_000);
      for (let k = 0; k < FAULT_PLAN.kills; k++) {
        const [lo, hi] = FAULT_PLAN.killGapMs;
        const gap = Math.floor(lo + rand() * (hi - lo));
        gapsMs.push(gap);
        await sleep(gap);
        await p.gateway.kill9();
        await p.gateway.restart();
        await pub.waitAcked(3, 30_000);
      }
      await sleep(FAULT_PLAN.steadyMs);
    } finally {
      await pub.stop();
    }
    const v = await drainAndJudge(p.db, pub.entries, DRAIN_MS);
    expectNothingLostOrDuplicated(v);
    // A gap in the stored seqs is only allowed for a reading whose PUBACK never came.
    expect(seqGaps(v.seqs).length).toBeLessThanOrEqual(v.unknown);
    await expectNoSeqDuplicatesAnywhere();
    console.info('fault 1 (kill -9)', {
      kills: gapsMs.length,
      gapsMs,
      ...pub.counts(),
      stored: v.seqs.length,
    });
  }, 900_000);

  it('6. the outbox at its byte cap during an outage: oldest telemetry evicted and counted, alerts kept', async () => {
    // Same gateway, same outbox, a 4 MiB cap (the smallest allowed) in 64 KiB segments.
    const config = JSON.parse(await readFile(p.gateway.configPath, 'utf8'));
    config.outbox = { ...config.outbox, maxBytes: 4 * 1024 * 1024, segmentBytes: 64 * 1024 };
    await writeFile(p.gateway.configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    await p.gateway.restart();
    proxy.cut();
    const { pub, fromMs, toMs, alertDevice } = steadyLoad({ ratePerDevice: 1000, maxInFlight: 100 });
    let evicted = 0;
    try {
      await pub.waitAcked(5, 30_000);
      await alertEpisode(pub, alertDevice);
      evicted = await waitFor(
        'the outbox to evict',
        async () => {
          const n = total(await scrapeGateway(p.gateway.httpUrl), 'edgeflow_outbox_evicted_readings_total');
          return n > 0 ? n : undefined;
        },
        FULL ? 600_000 : 150_000,
        500,
      );
      // The full run keeps writing into the full outbox for a while (many evictions).
      await sleep(FULL ? 15_000 : 500);
    } finally {
      await pub.stop();
    }
    evicted = total(await scrapeGateway(p.gateway.httpUrl), 'edgeflow_outbox_evicted_readings_total');
    proxy.restore();
    await waitFor(
      'the forwarder backlog to drain',
      async () =>
        total(await scrapeGateway(p.gateway.httpUrl), 'edgeflow_forwarder_backlog_readings') === 0
          ? true
          : undefined,
      DRAIN_MS,
    );
    const v = await drainAndJudge(p.db, pub.entries, DRAIN_MS);
    expect(evicted).toBeGreaterThan(0);
    expect(v.unknown).toBe(0);
    expect(v.duplicated).toEqual([]);
    expect(v.phantom).toBe(0);
    // Exactly the non-evicted readings are stored, and the evicted ones are one block of the
    // oldest on disk: the only older readings kept are the head the forwarder already had in
    // flight when the cap was hit (it delivers those after the restore).
    expect(v.seqs.length).toBe(v.acked - evicted);
    expect(v.lostAckedCount).toBe(evicted);
    const runs = seqRuns(v.seqs);
    expect(runs.length, `stored runs ${runs.slice(0, 10).join(' ')}`).toBeLessThanOrEqual(2);
    expect(seqGaps(v.seqs)).toHaveLength(evicted);
    await expectOneEpisode(alertDevice, fromMs, toMs);
    console.info('fault 6 (outbox cap)', { acked: v.acked, evicted, stored: v.seqs.length, runs });
  }, 900_000);
});
