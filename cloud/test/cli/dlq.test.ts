import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { encodeBatch, telemetrySubscriptionName, telemetryTopicName } from '@edgeflow/shared';
import type { Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEAD_LETTERS_COLLECTION,
  type DeadLetterInput,
  deadLetterDoc,
} from '../../src/functions/triage/dead-letter.ts';
import { useLocalCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const DLQ = fileURLToPath(new URL('../../src/cli/dlq.ts', import.meta.url));
const telemetry = telemetryTopicName('gw-dlq');
const ingestSub = telemetrySubscriptionName('gw-dlq');

const batch = encodeBatch({
  gatewayId: 'gw-dlq',
  createdAtMs: 1_767_225_600_000,
  readings: [
    { deviceId: 'dev-1', metric: 'temperature', tsMs: 1_767_225_600_000, value: 21.5, seq: 10 },
    { deviceId: 'dev-1', metric: 'temperature', tsMs: 1_767_225_601_000, value: 21.7, seq: 11 },
  ],
  alerts: [],
});

function letter(messageId: string, overrides: Partial<DeadLetterInput> = {}): DeadLetterInput {
  return {
    source: 'triage',
    messageId,
    sourceTopic: telemetry,
    subscription: ingestSub,
    deliveryAttempt: 5,
    code: 'EDGEFLOW_MAX_DELIVERY_ATTEMPTS',
    reason: 'max delivery attempts exceeded',
    attributes: { schema: 'edgeflow.telemetry', gatewayId: 'gw-dlq', replayProbe: messageId },
    data: batch,
    publishTimeMs: 1_767_225_602_000,
    recordedAtMs: 1_767_225_603_000 + Number(messageId.replace(/\D/g, '') || 0),
    ...overrides,
  };
}

describe('dlq CLI against the emulators', () => {
  // No functions needed: the telemetry subscription is then a pull subscription we can read.
  const local = useLocalCloud({ functions: ['triage'], gateways: ['gw-dlq'] });
  const received: Message[] = [];

  const dlq = async (...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [DLQ, ...args], {
        env: { PATH: process.env.PATH, ...local.cloud.env },
        timeout: 60_000,
      });
      return { stdout, stderr, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  };

  beforeAll(() => {
    local.pubsub.subscription(ingestSub).on('message', (m: Message) => {
      received.push(m);
      m.ack();
    });
  });
  afterAll(async () => {
    await local.pubsub.subscription(ingestSub).close();
  });

  beforeEach(async () => {
    await local.cloud.clearFirestore();
    const col = local.firestore.collection(DEAD_LETTERS_COLLECTION);
    for (const input of [
      letter('m1'),
      letter('m2'),
      letter('m3', { data: new Uint8Array([1, 2, 3]), attributes: { replayProbe: 'm3' } }),
    ]) {
      const { id, doc } = deadLetterDoc(input);
      await col.doc(id).create(doc);
    }
  });

  it('lists newest first and shows one with its decoded batch header', async () => {
    const list = await dlq('list');
    expect(list.code).toBe(0);
    const ids = list.stdout
      .split('\n')
      .filter((l) => l.startsWith('triage-'))
      .map((l) => l.split(' ')[0]);
    expect(ids).toEqual(['triage-m3', 'triage-m2', 'triage-m1']);

    const show = await dlq('--json', 'show', 'triage-m1');
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({
      id: 'triage-m1',
      subscription: ingestSub,
      deliveryAttempt: 5,
      state: 'open',
      header: { gatewayId: 'gw-dlq', readingCount: 2, firstSeq: 10, lastSeq: 11 },
    });
    expect(Buffer.from(shown.dataBase64 as string, 'base64').equals(Buffer.from(batch))).toBe(true);

    const garbage = JSON.parse((await dlq('--json', 'show', 'triage-m3')).stdout) as Record<string, unknown>;
    expect(garbage.headerError).toMatch(/EDGEFLOW_CODEC_/);

    const missing = await dlq('show', 'nope');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no dead letter nope');
  }, 90_000);

  it('replays one letter to its source topic with its attributes and marks it replayed', async () => {
    const r = await dlq('replay', 'triage-m1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/replayed triage-m1 to edgeflow-telemetry-gw-dlq as message \S+ \(replay #1\)/);
    const msg = await waitFor(() => received.find((m) => m.attributes.replayProbe === 'm1'), {
      timeoutMs: 30_000,
      what: 'the replayed message on the telemetry subscription',
    });
    expect(Buffer.from(msg.data).equals(Buffer.from(batch))).toBe(true);
    expect(msg.attributes).toEqual({ schema: 'edgeflow.telemetry', gatewayId: 'gw-dlq', replayProbe: 'm1' });

    const after = (await local.firestore.collection(DEAD_LETTERS_COLLECTION).doc('triage-m1').get()).data();
    expect(after).toMatchObject({ state: 'replayed', replayCount: 1, lastReplayMessageId: msg.id });
    expect(after?.replayedAt?.toMillis()).toBeGreaterThan(0);

    const again = await dlq('replay', 'triage-m1');
    expect(again.stdout).toContain('(replay #2)');
  }, 90_000);

  it('replay --all replays every open letter once and reports each', async () => {
    await dlq('replay', 'triage-m2');
    const before = received.length;
    const r = await dlq('replay', '--all');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 replayed, 0 failed');
    await waitFor(() => received.length >= before + 2, { timeoutMs: 30_000, what: 'two replayed messages' });
    const probes = received
      .slice(before)
      .map((m) => m.attributes.replayProbe)
      .sort();
    expect(probes).toEqual(['m1', 'm3']);
    const open = await dlq('list', '--state', 'open');
    expect(open.stdout).toContain('no dead letters');
  }, 90_000);

  it('refuses to replay a truncated letter or without an id', async () => {
    const { id, doc } = deadLetterDoc(letter('big', { data: new Uint8Array(900_001) }));
    await local.firestore.collection(DEAD_LETTERS_COLLECTION).doc(id).create(doc);
    const r = await dlq('replay', id);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EDGEFLOW_DLQ_REPLAY_REFUSED: .*cannot replay/);
    const none = await dlq('replay');
    expect(none.code).toBe(2);
  }, 60_000);
});
