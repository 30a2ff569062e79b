/**
 * A small stack: no notify secrets, one keyless gateway, Firestore unprotected. Optional
 * parts must be absent, not half-created, and nothing may reference them.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topologyFor } from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseInfraConfig } from '../src/config.ts';
import { installMocks, resolved, settle } from './mocks.ts';

const recorded = installMocks();
const { createEdgeflow } = await import('../src/program.ts');

const config = parseInfraConfig({
  'gcp:project': 'edgeflow-sandbox',
  'gcp:region': 'us-central1',
  'edgeflow:alertChannels': '[{"type":"email","emailAddress":"me@example.com"}]',
  'edgeflow:firestoreDeleteProtection': 'false',
  'edgeflow:gateways': '["site-keyless"]',
  'edgeflow:gatewayKeys': 'false',
  'edgeflow:gatewayKeyFilename': '/etc/edgeflow/wif-credentials.json',
});

let stack: ReturnType<typeof createEdgeflow>;
beforeAll(async () => {
  const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'functions');
  stack = createEdgeflow({
    config,
    source: { archive: new pulumi.asset.FileArchive(fixture), sha256: 'f'.repeat(64) },
  });
  await settle();
});

const ofType = (type: string) => recorded.filter((r) => r.type === type);

describe('minimal stack', () => {
  it('creates no secrets and gives notify no secret references or accessor grants', () => {
    expect(ofType('gcp:secretmanager/secret:Secret')).toEqual([]);
    expect(ofType('gcp:secretmanager/secretVersion:SecretVersion')).toEqual([]);
    expect(ofType('gcp:secretmanager/secretIamMember:SecretIamMember')).toEqual([]);
    const notify = ofType('gcp:cloudfunctionsv2/function:Function').find(
      (r) => r.inputs.name === 'edgeflow-notify',
    );
    expect(notify?.inputs.serviceConfig.secretEnvironmentVariables).toBeUndefined();
    expect(notify?.inputs.serviceConfig.environmentVariables.EDGEFLOW_NOTIFY_MAIL_FROM).toBeUndefined();
  });

  it('creates keyless gateways: account and telemetry publisher, no key, config without keyJson', async () => {
    expect(ofType('gcp:serviceaccount/key:Key')).toEqual([]);
    const accounts = ofType('gcp:serviceaccount/account:Account').map((a) => a.inputs.accountId);
    expect(accounts.filter((a: string) => a.startsWith('gw-'))).toEqual(['gw-site-keyless']);
    const telemetryPublishers = ofType('gcp:pubsub/topicIAMMember:TopicIAMMember').filter(
      (r) => r.inputs.topic === 'edgeflow-telemetry-site-keyless',
    );
    expect(telemetryPublishers.map((r) => r.inputs.member)).toEqual([
      'serviceAccount:gw-site-keyless@edgeflow-sandbox.iam.gserviceaccount.com',
    ]);
    expect(await resolved(stack.outputs.gateways)).toEqual({
      'site-keyless': {
        config: {
          gatewayId: 'site-keyless',
          forwarder: {
            projectId: 'edgeflow-sandbox',
            topic: 'edgeflow-telemetry-site-keyless',
            keyFilename: '/etc/edgeflow/wif-credentials.json',
          },
        },
      },
    });
  });

  it('lets Firestore be deleted with the stack when protection is off', () => {
    const [db] = ofType('gcp:firestore/database:Database');
    expect(db?.inputs).toMatchObject({
      locationId: 'us-central1',
      deleteProtectionState: 'DELETE_PROTECTION_DISABLED',
      deletionPolicy: 'DELETE',
    });
  });

  it('still builds the full topology', () => {
    const topology = topologyFor(['site-keyless']);
    expect(ofType('gcp:pubsub/subscription:Subscription')).toHaveLength(topology.subscriptions.length);
    expect(ofType('gcp:cloudfunctionsv2/function:Function')).toHaveLength(3);
  });
});
