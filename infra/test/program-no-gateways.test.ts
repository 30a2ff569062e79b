/**
 * A stack before any gateway is configured: the shared topics and functions, no telemetry
 * topic, no gateway account, and nothing anywhere that may publish telemetry.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED_TOPICS } from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseInfraConfig } from '../src/config.ts';
import { installMocks, settle } from './mocks.ts';

const recorded = installMocks();
const { createEdgeflow } = await import('../src/program.ts');

const config = parseInfraConfig({
  'gcp:project': 'edgeflow-empty',
  'gcp:region': 'us-central1',
  'edgeflow:alertChannels': '[{"type":"email","emailAddress":"me@example.com"}]',
});

let stack: ReturnType<typeof createEdgeflow>;
beforeAll(async () => {
  const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'functions');
  stack = createEdgeflow({
    config,
    source: { archive: new pulumi.asset.FileArchive(fixture), sha256: 'e'.repeat(64) },
  });
  await settle();
});

const ofType = (type: string) => recorded.filter((r) => r.type === type);

describe('stack without gateways', () => {
  it('creates only the shared topics and their subscriptions', () => {
    const topics = ofType('gcp:pubsub/topic:Topic').map((t) => t.inputs.name);
    expect(topics.sort()).toEqual(
      Object.values(SHARED_TOPICS)
        .map((t) => t.name)
        .sort(),
    );
    expect(
      ofType('gcp:pubsub/subscription:Subscription')
        .map((s) => s.inputs.name)
        .sort(),
    ).toEqual(['edgeflow-alerts-notify', 'edgeflow-dead-letters-triage']);
    expect(stack.topology.telemetry).toEqual([]);
  });

  it('has no gateway accounts, no telemetry publisher and no telemetry backlog policy', () => {
    const accounts = ofType('gcp:serviceaccount/account:Account').map((a) => a.inputs.accountId);
    expect(accounts.filter((a: string) => a.startsWith('gw-'))).toEqual([]);
    const publishers = ofType('gcp:pubsub/topicIAMMember:TopicIAMMember').map((r) => r.inputs.topic);
    expect(publishers.filter((t: string) => t.startsWith('edgeflow-telemetry'))).toEqual([]);
    expect(stack.monitoring.backlogPolicy).toBeUndefined();
    expect(ofType('gcp:monitoring/alertPolicy:AlertPolicy')).toHaveLength(2);
  });
});
