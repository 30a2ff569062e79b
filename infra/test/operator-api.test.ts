/**
 * The operator API component against Pulumi mocks: the api function, its service account's
 * exact roles, invokers limited to the configured operators (no public invoker), and the
 * indexes its queries need. Expectations spelled out, not imported from the program.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOPOLOGY } from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseInfraConfig } from '../src/config.ts';
import { installMocks, type RecordedResource, resolved, settle } from './mocks.ts';

const recorded = installMocks();
const { createEdgeflow } = await import('../src/program.ts');

const PROJECT = 'acme-iot-prod';
const OPERATORS = ['group:ops@acme.example', 'user:lea@acme.example'];
const base = {
  'gcp:project': PROJECT,
  'gcp:region': 'europe-west1',
  'edgeflow:alertChannels': '[{"type":"email","emailAddress":"ops@acme.example"}]',
};
const config = parseInfraConfig({ ...base, 'edgeflow:operators': JSON.stringify(OPERATORS) });
const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'functions');
const API_MEMBER = `serviceAccount:edgeflow-fn-api@${PROJECT}.iam.gserviceaccount.com`;

let stack: ReturnType<typeof createEdgeflow>;
beforeAll(async () => {
  stack = createEdgeflow({
    config,
    topology: TOPOLOGY,
    source: { archive: new pulumi.asset.FileArchive(fixtureDir), sha256: 'ab'.repeat(32) },
  });
  await settle();
});

const ofType = (type: string): RecordedResource[] => recorded.filter((r) => r.type === type);

describe('operator API', () => {
  it('deploys the api function from the shared source, private, trusting only Google-verified identity', async () => {
    const fns = ofType('gcp:cloudfunctionsv2/function:Function').filter(
      (r) => r.inputs.name === 'edgeflow-api',
    );
    expect(fns).toHaveLength(1);
    const fn = fns[0] as RecordedResource;
    expect(fn.inputs.buildConfig).toMatchObject({ entryPoint: 'api', runtime: 'nodejs24' });
    expect(fn.inputs.eventTrigger).toBeUndefined();
    expect(fn.inputs.serviceConfig).toMatchObject({
      serviceAccountEmail: `edgeflow-fn-api@${PROJECT}.iam.gserviceaccount.com`,
      timeoutSeconds: 3600,
      maxInstanceCount: 3,
      environmentVariables: {
        EDGEFLOW_CONSOLE_DIR: '/workspace/console',
        EDGEFLOW_API_TRUST_GOOGLE_IDENTITY: 'true',
        EDGEFLOW_PROJECT_ID: PROJECT,
      },
    });
    expect(await resolved(stack.outputs.apiUrl as pulumi.Output<string>)).toBe(
      'https://edgeflow-api-x7k2-ew.a.run.app',
    );
  });

  it('lets exactly the configured operators invoke it, and nobody public invoke anything', () => {
    const invokers = ofType('gcp:cloudrunv2/serviceIamMember:ServiceIamMember').filter(
      (r) => r.inputs.name === 'edgeflow-api',
    );
    expect(invokers.map((r) => [r.inputs.role, r.inputs.member]).sort()).toEqual(
      OPERATORS.map((m) => ['roles/run.invoker', m]).sort(),
    );
    const text = JSON.stringify(recorded.map((r) => r.inputs));
    expect(text).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  it('gives its service account Firestore read/write and publish on the replay topics, nothing else', () => {
    const grants = recorded
      .filter((r) => /IAMMember|IamMember/.test(r.type) && r.inputs.member === API_MEMBER)
      .map((r) => `${r.type.split(':').pop()} ${r.inputs.topic ?? r.inputs.project} ${r.inputs.role}`)
      .sort();
    expect(grants).toEqual([
      `IAMMember ${PROJECT} roles/datastore.user`,
      'TopicIAMMember edgeflow-alerts roles/pubsub.publisher',
      'TopicIAMMember edgeflow-telemetry roles/pubsub.publisher',
    ]);
  });

  it('creates the composite indexes of the alert and series queries', () => {
    const indexes = ofType('gcp:firestore/index:Index').map(
      (r) =>
        `${r.inputs.collection}: ${r.inputs.fields.map((f: { fieldPath: string; order: string }) => `${f.fieldPath} ${f.order}`).join(', ')}`,
    );
    expect(indexes).toEqual(
      expect.arrayContaining([
        'alerts: state ASCENDING, raisedAt DESCENDING',
        'alerts: deviceId ASCENDING, raisedAt DESCENDING',
        'alerts: severity ASCENDING, raisedAt DESCENDING',
        'readings: deviceId ASCENDING, metric ASCENDING, windowStartMs ASCENDING',
      ]),
    );
  });

  it('refuses public members as operators', () => {
    for (const member of ['allUsers', 'allAuthenticatedUsers', 'user:nobody']) {
      expect(() => parseInfraConfig({ ...base, 'edgeflow:operators': JSON.stringify([member]) })).toThrow(
        /edgeflow:operators|operators/,
      );
    }
  });
});
