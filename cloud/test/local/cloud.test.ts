import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TOPOLOGY } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { applyTopology, pushEndpoint } from '../../src/local/index.ts';
import { isGroupAlive } from '../../src/local/process-group.ts';
import { createLogger } from '../../src/logging.ts';
import { useLocalCloud } from '../support/local-cloud.ts';

function liveMembers(pgid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => c[1] === String(pgid) && !c[2]?.startsWith('Z'))
    .map((c) => c.join(' '));
}

describe('startLocalCloud', () => {
  const local = useLocalCloud({ env: { EDGEFLOW_TEST_MARKER: 'from-test' } });

  it('applies the shared topology: topics, dead-letter and retry policies, ack deadlines, push to each function', async () => {
    const { cloud, pubsub } = local;
    const [topics] = await pubsub.getTopics();
    expect(topics.map((t) => t.name.split('/').pop()).sort()).toEqual(
      Object.values(TOPOLOGY.topics)
        .map((t) => t.name)
        .sort(),
    );
    for (const spec of TOPOLOGY.subscriptions) {
      const [meta] = await pubsub.subscription(spec.name).getMetadata();
      expect(meta.topic).toBe(`projects/${cloud.projectId}/topics/${spec.topic}`);
      expect(meta.ackDeadlineSeconds).toBe(spec.ackDeadlineSeconds);
      expect(Number(meta.retryPolicy?.maximumBackoff?.seconds)).toBe(spec.retry.maximumBackoffSeconds);
      expect(meta.deadLetterPolicy?.deadLetterTopic).toBe(
        `projects/${cloud.projectId}/topics/${spec.deadLetter?.topic}`,
      );
      expect(meta.deadLetterPolicy?.maxDeliveryAttempts).toBe(spec.deadLetter?.maxDeliveryAttempts);
      expect(meta.pushConfig?.pushEndpoint).toBe(
        pushEndpoint(cloud.functionUrls[spec.pushTo], cloud.projectId, spec.topic),
      );
    }
  }, 60_000);

  it('re-applying the topology is harmless', async () => {
    const { cloud, pubsub } = local;
    const args = {
      pubsubHost: cloud.pubsubHost,
      projectId: cloud.projectId,
      topology: TOPOLOGY,
      functionUrls: cloud.functionUrls,
      logger: createLogger('t', { level: 'silent' }),
    };
    await applyTopology(args);
    await applyTopology(args);
    const [subs] = await pubsub.getSubscriptions();
    expect(subs).toHaveLength(TOPOLOGY.subscriptions.length);
  }, 60_000);

  it('exposes the environment a client needs', () => {
    const { cloud } = local;
    expect(cloud.env).toMatchObject({
      PUBSUB_EMULATOR_HOST: cloud.pubsubHost,
      FIRESTORE_EMULATOR_HOST: cloud.firestoreHost,
      GOOGLE_CLOUD_PROJECT: cloud.projectId,
      EDGEFLOW_PROJECT_ID: cloud.projectId,
      EDGEFLOW_TELEMETRY_TOPIC: TOPOLOGY.topics.telemetry.name,
    });
    expect(Object.keys(cloud.functionUrls).sort()).toEqual(['api', 'ingest', 'notify', 'triage']);
    // The JVMs we launched (none when the environment names shared emulators).
    const launched = Number(!process.env.PUBSUB_EMULATOR_HOST) + Number(!process.env.FIRESTORE_EMULATOR_HOST);
    expect(ourJavaEmulators()).toHaveLength(launched);
  });

  it('clearFirestore deletes every document', async () => {
    const { cloud, firestore } = local;
    await firestore.collection('scratch').doc('a').set({ n: 1 });
    await firestore.collection('scratch').doc('b').collection('sub').doc('c').set({ n: 2 });
    await cloud.clearFirestore();
    expect((await firestore.collection('scratch').get()).size).toBe(0);
    expect((await firestore.collection('scratch/b/sub').get()).size).toBe(0);
  }, 30_000);

  it('restartFunction starts a new process on a new port and re-points its push subscription', async () => {
    const { cloud, pubsub } = local;
    const oldPgid = cloud.functionPgid('triage');
    const oldUrl = cloud.functionUrls.triage;
    await cloud.restartFunction('triage', { EDGEFLOW_TEST_MARKER: 'restarted' });
    expect(isGroupAlive(oldPgid)).toBe(false);
    expect(cloud.functionUrls.triage).not.toBe(oldUrl);
    const [meta] = await pubsub.subscription('edgeflow-dead-letters-triage').getMetadata();
    expect(meta.pushConfig?.pushEndpoint).toBe(
      pushEndpoint(cloud.functionUrls.triage, cloud.projectId, TOPOLOGY.topics.deadLetters.name),
    );
    // The function process got the stack's environment plus the extra setting.
    const node = liveMembers(cloud.functionPgid('triage')).find((m) => !m.endsWith(' sh'));
    const environ = readFileSync(`/proc/${node?.split(' ')[0]}/environ`, 'utf8').split('\0');
    expect(environ).toContain('EDGEFLOW_TEST_MARKER=restarted');
    expect(environ).toContain(`PUBSUB_EMULATOR_HOST=${cloud.pubsubHost}`);
    expect(environ).toContain(`FIRESTORE_EMULATOR_HOST=${cloud.firestoreHost}`);
    expect(environ).toContain(`GOOGLE_CLOUD_PROJECT=${cloud.projectId}`);
  }, 60_000);
});

describe('LocalCloud.stop', () => {
  it('leaves no process of the stack behind', async () => {
    const { startLocalCloud } = await import('../../src/local/index.ts');
    const env = { ...process.env };
    delete env.PUBSUB_EMULATOR_HOST;
    delete env.FIRESTORE_EMULATOR_HOST;
    const cloud = await startLocalCloud({
      functions: ['triage'],
      hostEnv: env,
      logger: createLogger('t', { level: 'silent' }),
    });
    const pgids = [cloud.functionPgid('triage')];
    const ports = [cloud.pubsubHost, cloud.firestoreHost];
    await cloud.stop();
    for (const pgid of pgids) expect(liveMembers(pgid)).toEqual([]);
    for (const host of ports) await expect(fetch(`http://${host}/`)).rejects.toThrow();
  }, 120_000);
});

describe('startLocalCloud failure', () => {
  it('reports a function that cannot start with its output, and stops what it had started', async () => {
    const { startLocalCloud, LocalErrorCodes } = await import('../../src/local/index.ts');
    const env = { ...process.env };
    delete env.PUBSUB_EMULATOR_HOST;
    delete env.FIRESTORE_EMULATOR_HOST;
    const err = await startLocalCloud({
      functions: ['triage'],
      functionSources: {
        triage: fileURLToPath(new URL('../support/fixtures/registers-nothing.ts', import.meta.url)),
      },
      hostEnv: env,
      logger: createLogger('t', { level: 'silent' }),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: LocalErrorCodes.FUNCTION_START_FAILED });
    expect((err as Error).message).toContain("Function 'triage' is not defined");
    // Emulators this start launched are gone again: no JVM whose supervisor is our child.
    expect(ourJavaEmulators()).toEqual([]);
  }, 120_000);
});

function ourJavaEmulators(): string[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => c.length > 3);
  const parent = new Map(rows.map((c) => [c[0], c[1]]));
  return rows
    .filter(
      (c) =>
        !c[2]?.startsWith('Z') &&
        /java/.test(c[3] ?? '') &&
        /pubsub-emulator|CloudFirestore/.test(c.join(' ')),
    )
    .filter((c) => parent.get(c[1] as string) === String(process.pid))
    .map((c) => c.join(' '));
}
