import { fileURLToPath } from 'node:url';
import {
  PUSH_POLICIES,
  SHARED_TOPICS,
  telemetrySubscriptionName,
  telemetryTopicName,
  topologyFor,
} from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import {
  DEAD_LETTERS_COLLECTION,
  type DeadLetterDoc,
  MAX_ATTEMPTS_CODE,
  MAX_ATTEMPTS_REASON,
} from '../../../src/functions/triage/dead-letter.ts';
import { toDeadLetterInput } from '../../../src/functions/triage/triage.ts';
import { dumpFunctionLogsOnFailure, useLocalCloud } from '../../support/local-cloud.ts';
import { withoutOrdering } from '../../support/topology.ts';
import { waitFor } from '../../support/wait.ts';

const alwaysFail = fileURLToPath(new URL('../../support/fixtures/always-fail.ts', import.meta.url));
const telemetry = telemetryTopicName('gw-1');
const ingestSub = { name: telemetrySubscriptionName('gw-1'), ...PUSH_POLICIES.ingest };

describe('toDeadLetterInput', () => {
  it('lifts Pub/Sub dead-letter bookkeeping out of the attributes and finds the source topic', () => {
    const input = toDeadLetterInput(
      'ev-1',
      {
        message: {
          messageId: '77',
          data: Buffer.from([0xde, 0xad]).toString('base64'),
          publishTime: '2026-01-01T00:00:00.000Z',
          attributes: {
            schema: 'edgeflow.telemetry',
            CloudPubSubDeadLetterSourceSubscription: 'edgeflow-telemetry-gw-1-ingest',
            CloudPubSubDeadLetterSourceSubscriptionProject: 'p',
            CloudPubSubDeadLetterSourceDeliveryCount: '5',
          },
        },
      },
      1_000,
    );
    expect(input).toMatchObject({
      source: 'triage',
      messageId: '77',
      // A gateway's telemetry subscription, known by its name alone (triage knows no fleet).
      sourceTopic: 'edgeflow-telemetry-gw-1',
      subscription: 'edgeflow-telemetry-gw-1-ingest',
      deliveryAttempt: 5,
      code: MAX_ATTEMPTS_CODE,
      reason: MAX_ATTEMPTS_REASON,
      attributes: { schema: 'edgeflow.telemetry' },
      publishTimeMs: Date.parse('2026-01-01T00:00:00.000Z'),
      recordedAtMs: 1_000,
    });
    expect([...input.data]).toEqual([0xde, 0xad]);
  });

  it('keeps a reason set by the publisher and tolerates a bare event', () => {
    const withReason = toDeadLetterInput(
      'e',
      {
        message: {
          attributes: { 'edgeflow.deadLetterReason': 'bad', 'edgeflow.deadLetterCode': 'EDGEFLOW_X' },
        },
      },
      5,
    );
    expect(withReason).toMatchObject({
      reason: 'bad',
      code: 'EDGEFLOW_X',
      messageId: 'e',
      sourceTopic: null,
    });
    const bare = toDeadLetterInput('e2', undefined, 5);
    expect(bare).toMatchObject({
      messageId: 'e2',
      subscription: null,
      deliveryAttempt: null,
      publishTimeMs: null,
    });
    expect(bare.data.byteLength).toBe(0);
  });
});

describe('triage on the local cloud', () => {
  // ingest is replaced by a function that always fails, so its messages dead-letter.
  const local = useLocalCloud({
    functions: ['ingest', 'triage'],
    functionSources: { ingest: alwaysFail },
    gateways: ['gw-1'],
    topology: (ids) => withoutOrdering(topologyFor(ids)),
  });

  it('records a message that always fails after max delivery attempts, with source and attempts', async () => {
    dumpFunctionLogsOnFailure(local);
    await local.cloud.clearFirestore();
    const payload = Buffer.from('not really a batch');
    const messageId = await local.pubsub
      .topic(telemetry)
      .publishMessage({ data: payload, attributes: { schema: 'edgeflow.telemetry', gateway: 'gw-1' } });

    const doc = await waitFor(
      async () => {
        const snap = await local.firestore.collection(DEAD_LETTERS_COLLECTION).get();
        return snap.docs[0]?.data() as DeadLetterDoc | undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'the dead letter recorded by triage' },
    );
    expect(doc).toMatchObject({
      source: 'triage',
      sourceTopic: telemetry,
      subscription: ingestSub?.name,
      code: MAX_ATTEMPTS_CODE,
      reason: MAX_ATTEMPTS_REASON,
      attributes: { schema: 'edgeflow.telemetry', gateway: 'gw-1' },
      state: 'open',
      replayCount: 0,
    });
    expect(Buffer.from(doc.data).equals(payload)).toBe(true);
    // Pub/Sub gave up after exactly the subscription's max attempts: that many failed pushes.
    const failures = local.functionLogs.filter((l) => l.fn === 'ingest' && l.json?.messageId === messageId);
    expect(failures).toHaveLength(ingestSub?.deadLetter?.maxDeliveryAttempts ?? -1);
    expect(doc.deliveryAttempt).toBe(ingestSub?.deadLetter?.maxDeliveryAttempts);
  }, 120_000);

  it('stores a redelivered dead letter once (idempotent by message id)', async () => {
    dumpFunctionLogsOnFailure(local);
    await local.cloud.clearFirestore();
    // The raw push body Pub/Sub sends, posted twice to the real functions-framework server.
    const body = {
      subscription: `projects/${local.cloud.projectId}/subscriptions/edgeflow-dead-letters-triage`,
      message: {
        messageId: 'dup-1',
        data: Buffer.from('x').toString('base64'),
        attributes: { CloudPubSubDeadLetterSourceSubscription: 'edgeflow-alerts-notify' },
      },
    };
    const url = `${local.cloud.functionUrls.triage}/projects/${local.cloud.projectId}/topics/${SHARED_TOPICS.deadLetters.name}`;
    for (let i = 0; i < 2; i++) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBeLessThan(300);
    }
    const snap = await local.firestore.collection(DEAD_LETTERS_COLLECTION).get();
    expect(snap.docs.map((d) => d.id)).toEqual(['triage-dup-1']);
    expect(snap.docs[0]?.data()).toMatchObject({
      sourceTopic: SHARED_TOPICS.alerts.name,
      subscription: 'edgeflow-alerts-notify',
    });
    const outcomes = local.functionLogs
      .filter((l) => l.fn === 'triage' && l.json?.deadLetterId === 'triage-dup-1')
      .map((l) => l.json?.outcome);
    expect(outcomes).toEqual(['created', 'exists']);
  }, 60_000);

  it('records a message that has attributes but no data (functions-framework does not convert those)', async () => {
    dumpFunctionLogsOnFailure(local);
    await local.cloud.clearFirestore();
    const url = `${local.cloud.functionUrls.triage}/projects/${local.cloud.projectId}/topics/${SHARED_TOPICS.deadLetters.name}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        subscription: `projects/${local.cloud.projectId}/subscriptions/edgeflow-dead-letters-triage`,
        message: {
          messageId: 'attrs-only',
          attributes: { k: 'v', CloudPubSubDeadLetterSourceSubscription: 'edgeflow-telemetry-gw-1-ingest' },
        },
      }),
    });
    expect(res.status).toBeLessThan(300);
    const doc = (
      await local.firestore.collection(DEAD_LETTERS_COLLECTION).doc('triage-attrs-only').get()
    ).data();
    expect(doc).toMatchObject({ attributes: { k: 'v' }, dataBytes: 0, sourceTopic: telemetry });
  }, 60_000);
});
