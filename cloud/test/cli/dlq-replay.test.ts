/**
 * The dead-letter round trip on real parts: ingest cannot reach Firestore, so Pub/Sub gives
 * up after max delivery attempts and triage records the batch; once Firestore is back,
 * `dlq replay` republishes it and ingest persists it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { encodeBatch, telemetryTopicName, topologyFor } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTERS_COLLECTION, type DeadLetterDoc } from '../../src/functions/triage/dead-letter.ts';
import { freePort } from '../../src/local/index.ts';
import { dumpFunctionLogsOnFailure, useLocalCloud } from '../support/local-cloud.ts';
import { withoutOrdering } from '../support/topology.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const DLQ = fileURLToPath(new URL('../../src/cli/dlq.ts', import.meta.url));

describe('dead letter -> triage -> dlq replay -> persisted', () => {
  const local = useLocalCloud({
    functions: ['ingest', 'triage'],
    gateways: ['gw-replay'],
    topology: (ids) => withoutOrdering(topologyFor(ids)),
  });
  const telemetry = telemetryTopicName('gw-replay');

  it('replays a batch that failed while Firestore was unreachable, and ingest then persists it', async () => {
    dumpFunctionLogsOnFailure(local);
    const { cloud, firestore, pubsub } = local;
    await cloud.clearFirestore();
    // Ingest only: a Firestore address nothing listens on, and a short deadline, so every
    // delivery fails fast as transient (thrown -> HTTP 500 -> redelivery).
    const deadPort = await freePort();
    await cloud.restartFunction('ingest', {
      FIRESTORE_EMULATOR_HOST: `127.0.0.1:${deadPort}`,
      EDGEFLOW_INGEST_DEADLINE_MS: '300',
    });
    const tsMs = 1_767_225_600_000;
    const batch = encodeBatch({
      gatewayId: 'gw-replay',
      createdAtMs: tsMs,
      readings: [
        { deviceId: 'dev-replay', metric: 'temperature', tsMs, value: 20.5, seq: 1 },
        { deviceId: 'dev-replay', metric: 'temperature', tsMs: tsMs + 1000, value: 20.6, seq: 2 },
      ],
      alerts: [],
    });
    await pubsub.topic(telemetry).publishMessage({
      data: Buffer.from(batch),
      attributes: { schema: 'edgeflow.telemetry', encoding: 'cbor', gatewayId: 'gw-replay' },
    });

    const letter = await waitFor(
      async () => {
        const snap = await firestore
          .collection(DEAD_LETTERS_COLLECTION)
          .where('source', '==', 'triage')
          .get();
        const d = snap.docs[0];
        return d ? { id: d.id, doc: d.data() as DeadLetterDoc } : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'the dead letter recorded by triage' },
    );
    expect(letter.doc).toMatchObject({
      sourceTopic: telemetry,
      subscription: 'edgeflow-telemetry-gw-replay-ingest',
      deliveryAttempt: 5,
      attributes: { schema: 'edgeflow.telemetry', encoding: 'cbor', gatewayId: 'gw-replay' },
    });
    expect((await firestore.collection('readings').get()).size).toBe(0);

    // Firestore is back for ingest; replay through the CLI.
    await cloud.restartFunction('ingest');
    const { stdout } = await run(process.execPath, [DLQ, 'replay', letter.id], {
      env: { PATH: process.env.PATH, ...cloud.env },
      timeout: 60_000,
    });
    expect(stdout).toContain(`replayed ${letter.id} to ${telemetry}`);

    const readings = await waitFor(
      async () => {
        const snap = await firestore.collection('readings').where('deviceId', '==', 'dev-replay').get();
        return snap.size > 0 ? snap.docs.map((d) => d.data()) : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, what: 'the replayed readings in Firestore' },
    );
    const seqs = readings.flatMap((r) =>
      Object.values(r.cols as Record<string, { seq: number[] }>).flatMap((c) => c.seq),
    );
    expect(seqs.sort()).toEqual([1, 2]);
    const after = (await firestore.collection(DEAD_LETTERS_COLLECTION).doc(letter.id).get()).data();
    expect(after).toMatchObject({ state: 'replayed', replayCount: 1 });
  }, 240_000);
});
