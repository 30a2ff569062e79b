/**
 * The whole stack built against Pulumi mocks: what would be sent to GCP is asserted resource
 * by resource. The expectations are spelled out here rather than imported from the program,
 * so a change to a role, a name or a setting has to be made twice, on purpose.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicsOf, topologyFor } from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseInfraConfig } from '../src/config.ts';
import { installMocks, PUBSUB_AGENT, type RecordedResource, resolved, settle } from './mocks.ts';

// Mocks first, then the program (Pulumi's testing contract).
const recorded = installMocks();
const { createEdgeflow } = await import('../src/program.ts');

const PROJECT = 'acme-iot-prod';
const WEBHOOK = 'https://hooks.example/services/T0/B0/very-secret-token';
const SMTP = 'smtps://alerts:very-secret-password@smtp.example:465';
const config = parseInfraConfig({
  'gcp:project': PROJECT,
  'gcp:region': 'europe-west1',
  'edgeflow:firestoreLocation': 'eur3',
  'edgeflow:retentionDays': '45',
  'edgeflow:alertChannels':
    '[{"type":"email","emailAddress":"ops@acme.example"},{"type":"webhook","url":"https://oncall.example/hook"}]',
  'edgeflow:monitoring': '{"oldestUnackedAgeSeconds":900,"functionErrorRatio":0.1}',
  'edgeflow:gateways': '["site-a","plant-berlin-line-07"]',
  'edgeflow:functions': '{"ingest":{"minInstances":1,"maxInstances":30,"memoryMb":1024}}',
  'edgeflow:webhookUrl': WEBHOOK,
  'edgeflow:webhookFormat': 'slack',
  'edgeflow:webhookAllowedHosts': '["hooks.example","*.acme.example"]',
  'edgeflow:smtpUrl': SMTP,
  'edgeflow:smtpFrom': 'alerts@acme.example',
});
const SHA = 'c0ffee'.repeat(10).padEnd(64, '0');
const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'functions');

const sa = (id: string) => `${id}@${PROJECT}.iam.gserviceaccount.com`;
const member = (id: string) => `serviceAccount:${sa(id)}`;
const FUNCTIONS = ['ingest', 'notify', 'triage'] as const;
const GATEWAYS = ['site-a', 'plant-berlin-line-07'] as const;
// The shared topology's definition for these gateways: what the stack must provision.
const TOPOLOGY = topologyFor(GATEWAYS);

let stack: ReturnType<typeof createEdgeflow>;
beforeAll(async () => {
  stack = createEdgeflow({
    config,
    source: { archive: new pulumi.asset.FileArchive(fixtureDir), sha256: SHA },
  });
  await settle();
});

const ofType = (type: string): RecordedResource[] => recorded.filter((r) => r.type === type);
function one(type: string, where: (r: RecordedResource) => boolean): RecordedResource {
  const found = ofType(type).filter(where);
  expect(found, `${type} matching`).toHaveLength(1);
  return found[0] as RecordedResource;
}
const fnResource = (fn: string) =>
  one('gcp:cloudfunctionsv2/function:Function', (r) => r.inputs.name === `edgeflow-${fn}`);
const fnUrl = (fn: string) => `https://edgeflow-${fn}-x7k2-ew.a.run.app`;

describe('structure', () => {
  it('declares every cloud resource as a child of one of the concern components', () => {
    // The mock monitor keys resources by URN; a child's URN carries its parent's type chain.
    const monitor = pulumi.runtime.getMonitor() as unknown as { resources: Map<string, unknown> };
    const urns = [...monitor.resources.keys()];
    const custom = urns.filter((urn) => urn.includes('gcp:'));
    expect(custom.length).toBe(recorded.filter((r) => r.type.startsWith('gcp:')).length);
    const parents = new Set(custom.map((urn) => urn.split('::')[2]?.split('$')[0]));
    expect([...parents].sort()).toEqual([
      'edgeflow:infra:Apis',
      'edgeflow:infra:Functions',
      'edgeflow:infra:Identity',
      'edgeflow:infra:Messaging',
      'edgeflow:infra:Monitoring',
      'edgeflow:infra:Storage',
    ]);
  });
});

describe('project services', () => {
  it('enables every API the stack uses and leaves them on at teardown', () => {
    const services = ofType('gcp:projects/service:Service');
    expect(services.map((s) => s.inputs.service).sort()).toEqual([
      'artifactregistry.googleapis.com',
      'cloudbuild.googleapis.com',
      'cloudfunctions.googleapis.com',
      'cloudresourcemanager.googleapis.com',
      'firestore.googleapis.com',
      'iam.googleapis.com',
      'iamcredentials.googleapis.com',
      'logging.googleapis.com',
      'monitoring.googleapis.com',
      'pubsub.googleapis.com',
      'run.googleapis.com',
      'secretmanager.googleapis.com',
      'storage.googleapis.com',
    ]);
    for (const s of services) expect(s.inputs).toMatchObject({ project: PROJECT, disableOnDestroy: false });
  });
});

describe('firestore', () => {
  it('is the default database in native mode, protected, at the configured location', () => {
    const db = one('gcp:firestore/database:Database', () => true);
    expect(db.inputs).toMatchObject({
      name: '(default)',
      type: 'FIRESTORE_NATIVE',
      locationId: 'eur3',
      deleteProtectionState: 'DELETE_PROTECTION_ENABLED',
      deletionPolicy: 'ABANDON',
    });
  });

  it('has the composite indexes for state-filtered, newest-first listings', () => {
    const indexes = ofType('gcp:firestore/index:Index').map((r) => ({
      collection: r.inputs.collection,
      database: r.inputs.database,
      queryScope: r.inputs.queryScope,
      fields: r.inputs.fields,
    }));
    const byState = (time: string) => [
      { fieldPath: 'state', order: 'ASCENDING' },
      { fieldPath: time, order: 'DESCENDING' },
    ];
    expect(indexes).toEqual([
      { collection: 'alerts', database: '(default)', queryScope: 'COLLECTION', fields: byState('raisedAt') },
      {
        collection: 'deadLetters',
        database: '(default)',
        queryScope: 'COLLECTION',
        fields: byState('recordedAt'),
      },
    ]);
  });

  it('turns off automatic indexing of the bulky fields no query filters on', () => {
    const exempt = ofType('gcp:firestore/field:Field')
      .filter((r) => r.inputs.ttlConfig === undefined)
      .map((r) => [`${r.inputs.collection}.${r.inputs.field}`, r.inputs.indexConfig]);
    expect(exempt.sort()).toEqual([
      ['deadLetters.data', {}],
      ['latest.recent', {}],
      ['latest.series', {}],
      ['readings.cols', {}],
    ]);
  });

  it("has a TTL policy on the readings' expireAt field", () => {
    const ttl = one('gcp:firestore/field:Field', (r) => r.inputs.field === 'expireAt');
    expect(ttl.inputs).toMatchObject({ collection: 'readings', database: '(default)', ttlConfig: {} });
  });
});

describe('pub/sub topology', () => {
  it('creates exactly the shared topics with their retention', () => {
    const topics = ofType('gcp:pubsub/topic:Topic');
    const expected = topicsOf(TOPOLOGY);
    expect(topics.map((t) => t.inputs.name).sort()).toEqual(expected.map((t) => t.name).sort());
    for (const spec of expected) {
      const topic = one('gcp:pubsub/topic:Topic', (r) => r.inputs.name === spec.name);
      expect(topic.inputs.messageRetentionDuration).toBe(`${spec.messageRetentionSeconds}s`);
    }
  });

  it('creates exactly the shared subscriptions, settings equal to the definition', () => {
    const subs = ofType('gcp:pubsub/subscription:Subscription');
    expect(subs.map((s) => s.inputs.name).sort()).toEqual(TOPOLOGY.subscriptions.map((s) => s.name).sort());
    for (const spec of TOPOLOGY.subscriptions) {
      const sub = one('gcp:pubsub/subscription:Subscription', (r) => r.inputs.name === spec.name);
      expect(sub.inputs.topic).toBe(`projects/${PROJECT}/topics/${spec.topic}`);
      expect(sub.inputs.ackDeadlineSeconds).toBe(spec.ackDeadlineSeconds);
      expect(sub.inputs.enableMessageOrdering).toBe(spec.messageOrdering);
      expect(sub.inputs.retryPolicy).toEqual({
        minimumBackoff: `${spec.retry.minimumBackoffSeconds}s`,
        maximumBackoff: `${spec.retry.maximumBackoffSeconds}s`,
      });
      expect(sub.inputs.expirationPolicy).toEqual({ ttl: '' });
    }
  });

  it('gives every subscription the dead-letter policy of the definition', () => {
    for (const sub of ofType('gcp:pubsub/subscription:Subscription')) {
      const spec = TOPOLOGY.subscriptions.find((s) => s.name === sub.inputs.name);
      expect(spec?.deadLetter, `${sub.inputs.name} declares a dead-letter topic`).toBeDefined();
      expect(sub.inputs.deadLetterPolicy).toEqual({
        deadLetterTopic: `projects/${PROJECT}/topics/${spec?.deadLetter?.topic}`,
        maxDeliveryAttempts: spec?.deadLetter?.maxDeliveryAttempts,
      });
    }
  });

  it("pushes to its function with an OIDC token from that function's own invoker account", () => {
    for (const spec of TOPOLOGY.subscriptions) {
      const sub = one('gcp:pubsub/subscription:Subscription', (r) => r.inputs.name === spec.name);
      expect(sub.inputs.pushConfig).toEqual({
        pushEndpoint: `${fnUrl(spec.pushTo)}/projects/${PROJECT}/topics/${spec.topic}`,
        oidcToken: { serviceAccountEmail: sa(`edgeflow-push-${spec.pushTo}`), audience: fnUrl(spec.pushTo) },
      });
    }
  });

  it('lets the Pub/Sub service agent publish to dead-letter topics and ack on source subscriptions', () => {
    const agent = `serviceAccount:${PUBSUB_AGENT}`;
    const publishes = ofType('gcp:pubsub/topicIAMMember:TopicIAMMember').filter(
      (r) => r.inputs.member === agent,
    );
    const subscribes = ofType('gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember').filter(
      (r) => r.inputs.member === agent,
    );
    const dlTopics = new Set(TOPOLOGY.subscriptions.map((s) => s.deadLetter?.topic));
    expect(publishes.map((r) => [r.inputs.topic, r.inputs.role]).sort()).toEqual(
      [...dlTopics].map((t) => [t, 'roles/pubsub.publisher']).sort(),
    );
    expect(subscribes.map((r) => [r.inputs.subscription, r.inputs.role]).sort()).toEqual(
      TOPOLOGY.subscriptions.map((s) => [s.name, 'roles/pubsub.subscriber']).sort(),
    );
  });
});

describe('functions', () => {
  it('uploads the bundle to the private source bucket under a content-addressed name', () => {
    const bucket = one('gcp:storage/bucket:Bucket', () => true);
    expect(bucket.inputs).toMatchObject({
      name: `${PROJECT}-edgeflow-fn-source`,
      location: 'europe-west1',
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
    });
    const object = one('gcp:storage/bucketObject:BucketObject', () => true);
    expect(object.inputs.bucket).toBe(bucket.inputs.name);
    expect(object.inputs.name).toBe(`functions-${SHA.slice(0, 16)}.zip`);
  });

  it('builds each from the bundle on nodejs24 as its own entry point, with the build account', () => {
    const object = one('gcp:storage/bucketObject:BucketObject', () => true);
    for (const fn of FUNCTIONS) {
      expect(fnResource(fn).inputs).toMatchObject({
        location: 'europe-west1',
        buildConfig: {
          runtime: 'nodejs24',
          entryPoint: fn,
          serviceAccount: `projects/${PROJECT}/serviceAccounts/${sa('edgeflow-fn-build')}`,
          source: { storageSource: { bucket: object.inputs.bucket, object: object.inputs.name } },
        },
      });
    }
  });

  it('runs each as its own account, internal-only, sized from config', () => {
    const sizing = {
      ingest: { min: 1, max: 30, memory: '1024Mi' },
      notify: { min: 0, max: 5, memory: '256Mi' },
      triage: { min: 0, max: 2, memory: '256Mi' },
    };
    for (const fn of FUNCTIONS) {
      const sub = TOPOLOGY.subscriptions.find((s) => s.pushTo === fn);
      expect(fnResource(fn).inputs.serviceConfig).toMatchObject({
        serviceAccountEmail: sa(`edgeflow-fn-${fn}`),
        ingressSettings: 'ALLOW_INTERNAL_ONLY',
        minInstanceCount: sizing[fn].min,
        maxInstanceCount: sizing[fn].max,
        availableMemory: sizing[fn].memory,
        timeoutSeconds: sub?.ackDeadlineSeconds,
      });
    }
  });

  it('points every function at the created project and topics, in the variables cloud/ reads', () => {
    const alertsTopic = one('gcp:pubsub/topic:Topic', (r) => r.inputs.name === TOPOLOGY.topics.alerts.name);
    const env = (fn: string) => fnResource(fn).inputs.serviceConfig.environmentVariables;
    for (const fn of FUNCTIONS) expect(env(fn).GOOGLE_CLOUD_PROJECT).toBe(PROJECT);
    expect(env('ingest').EDGEFLOW_INGEST_ALERTS_TOPIC).toBe(alertsTopic.inputs.name);
    expect(env('ingest').EDGEFLOW_INGEST_RETENTION_MS).toBe(String(45 * 86_400_000));
    expect(env('notify').EDGEFLOW_NOTIFY_MAIL_FROM).toBe('alerts@acme.example');
    // Only ingest publishes, so only ingest is told a topic.
    expect(Object.keys(env('notify')).filter((k) => k.includes('TOPIC'))).toEqual([]);
    expect(Object.keys(env('triage')).filter((k) => k.includes('TOPIC'))).toEqual([]);
  });

  it('hands notify its secrets as Secret Manager references, and only notify', () => {
    const secretIds = ofType('gcp:secretmanager/secret:Secret').map((s) => s.inputs.secretId);
    expect(secretIds.sort()).toEqual(['edgeflow-notify-default-targets', 'edgeflow-smtp-url']);
    expect(fnResource('notify').inputs.serviceConfig.secretEnvironmentVariables).toEqual([
      {
        key: 'EDGEFLOW_NOTIFY_DEFAULT_TARGETS',
        projectId: PROJECT,
        secret: 'edgeflow-notify-default-targets',
        version: 'latest',
      },
      { key: 'EDGEFLOW_SMTP_URL', projectId: PROJECT, secret: 'edgeflow-smtp-url', version: 'latest' },
    ]);
    expect(fnResource('ingest').inputs.serviceConfig.secretEnvironmentVariables).toBeUndefined();
    expect(fnResource('triage').inputs.serviceConfig.secretEnvironmentVariables).toBeUndefined();
  });

  it('stores secret values, marked secret, in Secret Manager versions and nowhere else', () => {
    const versions = ofType('gcp:secretmanager/secretVersion:SecretVersion');
    // A secret input reaches the engine wrapped in Pulumi's secret signature.
    const asSecret = (value: string) => ({
      [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      value,
    });
    const defaultTargets = JSON.stringify([
      { kind: 'webhook', url: WEBHOOK, format: 'slack' },
      { kind: 'log' },
    ]);
    expect(versions.map((v) => v.inputs.secretData)).toEqual(
      expect.arrayContaining([asSecret(defaultTargets), asSecret(SMTP)]),
    );
    expect(versions).toHaveLength(2);
    for (const r of recorded.filter((r) => r.type !== 'gcp:secretmanager/secretVersion:SecretVersion')) {
      const text = JSON.stringify(r.inputs);
      expect(text, r.name).not.toContain('very-secret');
    }
  });
});

/** Every IAM member grant as `role on <resource>[ if <condition>]`, by member. */
function grantsByMember(): Map<string, string[]> {
  const grants = new Map<string, string[]>();
  for (const r of recorded.filter((r) => /IAMMember|IamMember/.test(r.type))) {
    const i = r.inputs;
    const target =
      r.type === 'gcp:projects/iAMMember:IAMMember'
        ? `project ${i.project}`
        : r.type === 'gcp:pubsub/topicIAMMember:TopicIAMMember'
          ? `topic ${i.topic}`
          : r.type === 'gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember'
            ? `subscription ${i.subscription}`
            : r.type === 'gcp:secretmanager/secretIamMember:SecretIamMember'
              ? `secret ${i.secretId}`
              : r.type === 'gcp:cloudrunv2/serviceIamMember:ServiceIamMember'
                ? `service ${i.name}`
                : r.type === 'gcp:serviceaccount/iAMMember:IAMMember'
                  ? `account ${String(i.serviceAccountId).split('/').pop()}`
                  : `unexpected ${r.type}`;
    const condition = i.condition ? ` if ${i.condition.expression}` : '';
    const list = grants.get(i.member) ?? [];
    list.push(`${i.role} on ${target}${condition}`);
    grants.set(i.member, list);
  }
  return grants;
}

describe('access', () => {
  it('grants nothing to allUsers or allAuthenticatedUsers, anywhere', () => {
    const text = JSON.stringify(recorded.map((r) => r.inputs));
    expect(text).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  it('uses only additive IAM members, never authoritative bindings or policies', () => {
    expect(recorded.filter((r) => /IAM(Binding|Policy)|Iam(Binding|Policy)/.test(r.type))).toEqual([]);
  });

  it('gives every account exactly its allowlisted roles, each on the narrowest resource', () => {
    const actual = Object.fromEntries([...grantsByMember()].map(([m, list]) => [m, list.sort()]));
    const firestore = `roles/datastore.user on project ${PROJECT} if resource.name == "projects/${PROJECT}/databases/(default)"`;
    const expected: Record<string, string[]> = {
      [member('edgeflow-fn-ingest')]: [firestore, 'roles/pubsub.publisher on topic edgeflow-alerts'],
      [member('edgeflow-fn-notify')]: [
        firestore,
        'roles/secretmanager.secretAccessor on secret edgeflow-notify-default-targets',
        'roles/secretmanager.secretAccessor on secret edgeflow-smtp-url',
      ],
      [member('edgeflow-fn-triage')]: [firestore],
      [member('edgeflow-fn-build')]: [
        `roles/artifactregistry.writer on project ${PROJECT}`,
        `roles/logging.logWriter on project ${PROJECT}`,
        `roles/storage.objectAdmin on project ${PROJECT} if resource.name == "projects/_/buckets/${PROJECT}-edgeflow-fn-source" || resource.name.startsWith("projects/_/buckets/${PROJECT}-edgeflow-fn-source/") || resource.name.startsWith("projects/_/buckets/gcf-v2-")`,
      ],
      [member('edgeflow-push-ingest')]: ['roles/run.invoker on service edgeflow-ingest'],
      [member('edgeflow-push-notify')]: ['roles/run.invoker on service edgeflow-notify'],
      [member('edgeflow-push-triage')]: ['roles/run.invoker on service edgeflow-triage'],
      [member('gw-site-a')]: ['roles/pubsub.publisher on topic edgeflow-telemetry-site-a'],
      [member('gw-plant-berlin-line-07')]: [
        'roles/pubsub.publisher on topic edgeflow-telemetry-plant-berlin-line-07',
      ],
      [`serviceAccount:${PUBSUB_AGENT}`]: [
        `roles/iam.serviceAccountTokenCreator on account ${sa('edgeflow-push-ingest')}`,
        `roles/iam.serviceAccountTokenCreator on account ${sa('edgeflow-push-notify')}`,
        `roles/iam.serviceAccountTokenCreator on account ${sa('edgeflow-push-triage')}`,
        'roles/pubsub.publisher on topic edgeflow-dead-letters',
        'roles/pubsub.publisher on topic edgeflow-triage-failures',
        'roles/pubsub.subscriber on subscription edgeflow-alerts-notify',
        'roles/pubsub.subscriber on subscription edgeflow-dead-letters-triage',
        'roles/pubsub.subscriber on subscription edgeflow-telemetry-plant-berlin-line-07-ingest',
        'roles/pubsub.subscriber on subscription edgeflow-telemetry-site-a-ingest',
      ],
    };
    expect(actual).toEqual(expected);
  });

  it('creates one account per function, an invoker per function, the build account and one per gateway', () => {
    expect(
      ofType('gcp:serviceaccount/account:Account')
        .map((a) => a.inputs.accountId)
        .sort(),
    ).toEqual([
      'edgeflow-fn-build',
      'edgeflow-fn-ingest',
      'edgeflow-fn-notify',
      'edgeflow-fn-triage',
      'edgeflow-push-ingest',
      'edgeflow-push-notify',
      'edgeflow-push-triage',
      'gw-plant-berlin-line-07',
      'gw-site-a',
    ]);
  });
});

describe('telemetry isolation', () => {
  const telemetryTopics = TOPOLOGY.telemetry.map((t) => t.topic.name);
  const onTopic = (topic: string) =>
    ofType('gcp:pubsub/topicIAMMember:TopicIAMMember').filter((r) => r.inputs.topic === topic);

  it('provisions one topic and one push subscription to ingest per configured gateway', () => {
    expect(telemetryTopics).toEqual(['edgeflow-telemetry-site-a', 'edgeflow-telemetry-plant-berlin-line-07']);
    for (const id of GATEWAYS) {
      one('gcp:pubsub/topic:Topic', (r) => r.inputs.name === `edgeflow-telemetry-${id}`);
      const sub = one(
        'gcp:pubsub/subscription:Subscription',
        (r) => r.inputs.name === `edgeflow-telemetry-${id}-ingest`,
      );
      expect(sub.inputs.topic).toBe(`projects/${PROJECT}/topics/edgeflow-telemetry-${id}`);
      expect(sub.inputs.pushConfig.pushEndpoint).toBe(
        `${fnUrl('ingest')}/projects/${PROJECT}/topics/edgeflow-telemetry-${id}`,
      );
    }
  });

  it("lets gateway A publish to its own topic and not to B's: each telemetry topic has exactly its gateway as member", () => {
    for (const id of GATEWAYS) {
      const grants = onTopic(`edgeflow-telemetry-${id}`);
      expect(grants.map((r) => [r.inputs.member, r.inputs.role])).toEqual([
        [member(`gw-${id}`), 'roles/pubsub.publisher'],
      ]);
    }
    const a = grantsByMember().get(member('gw-site-a')) ?? [];
    expect(a.some((g) => g.includes('edgeflow-telemetry-plant-berlin-line-07'))).toBe(false);
  });

  it('grants no role at project level that can publish, and nothing on a telemetry topic to any non-gateway', () => {
    const projectRoles = ofType('gcp:projects/iAMMember:IAMMember').map((r) => r.inputs.role);
    // Roles that carry pubsub.topics.publish project-wide (basic roles, Pub/Sub's, Cloud Build's).
    const publishing = /^roles\/(owner|editor|pubsub\.|cloudbuild\.builds\.builder)/;
    expect(projectRoles.filter((r: string) => publishing.test(r))).toEqual([]);
    expect(new Set(projectRoles)).toEqual(
      new Set([
        'roles/datastore.user',
        'roles/logging.logWriter',
        'roles/artifactregistry.writer',
        'roles/storage.objectAdmin',
      ]),
    );
    for (const topic of telemetryTopics) {
      for (const r of onTopic(topic)) expect(r.inputs.member, topic).toMatch(/^serviceAccount:gw-/);
    }
  });

  it('gives the gateways nothing but their topic, and each config its own topic', async () => {
    const gateways = await resolved(stack.outputs.gateways);
    for (const id of GATEWAYS) {
      expect(grantsByMember().get(member(`gw-${id}`))).toEqual([
        `roles/pubsub.publisher on topic edgeflow-telemetry-${id}`,
      ]);
      expect(gateways[id]?.config.forwarder.topic).toBe(`edgeflow-telemetry-${id}`);
    }
  });

  it('pins every project-level data grant with a condition', () => {
    for (const r of ofType('gcp:projects/iAMMember:IAMMember')) {
      if (r.inputs.role === 'roles/datastore.user' || r.inputs.role === 'roles/storage.objectAdmin') {
        expect(r.inputs.condition?.expression, r.name).toBeTruthy();
      }
    }
  });
});

describe('gateways', () => {
  it('outputs a ready-to-use gateway config with its key, as a secret', async () => {
    const out = stack.outputs.gateways;
    expect(await pulumi.isSecret(out)).toBe(true);
    const gateways = await resolved(out);
    expect(Object.keys(gateways).sort()).toEqual(['plant-berlin-line-07', 'site-a']);
    for (const [id, g] of Object.entries(gateways)) {
      expect(g.config).toEqual({
        gatewayId: id,
        forwarder: {
          projectId: PROJECT,
          topic: `edgeflow-telemetry-${id}`,
          keyFilename: '/etc/edgeflow/pubsub-key.json',
        },
      });
      const key = JSON.parse(g.keyJson ?? 'null') as { type: string; client_email: string };
      expect(key.type).toBe('service_account');
      expect(key.client_email).toBe(sa(`gw-${id}`));
    }
    expect(ofType('gcp:serviceaccount/key:Key')).toHaveLength(2);
  });
});

describe('monitoring', () => {
  const channelNames = () => ofType('gcp:monitoring/notificationChannel:NotificationChannel');
  const policy = (display: string) =>
    one('gcp:monitoring/alertPolicy:AlertPolicy', (r) => r.inputs.displayName === display);

  it('creates a notification channel per configured target', () => {
    const channels = channelNames();
    expect(channels.map((c) => [c.inputs.type, c.inputs.labels]).sort()).toEqual([
      ['email', { email_address: 'ops@acme.example' }],
      ['webhook_tokenauth', { url: 'https://oncall.example/hook' }],
    ]);
  });

  it('alerts on dead-lettering, telemetry backlog and function errors, to every channel', () => {
    const names = channelNames().map((c) => c.state.name);
    const dl = policy('edgeflow: messages dead-lettered');
    const backlog = policy('edgeflow: telemetry backing up');
    const errors = policy('edgeflow: function error rate');
    expect(ofType('gcp:monitoring/alertPolicy:AlertPolicy')).toHaveLength(3);
    for (const p of [dl, backlog, errors])
      expect([...p.inputs.notificationChannels].sort()).toEqual([...names].sort());

    const dlFilters = dl.inputs.conditions.map(
      (c: { conditionThreshold: { filter: string } }) => c.conditionThreshold.filter,
    );
    expect(dlFilters[0]).toContain(
      'resource.labels.topic_id = one_of("edgeflow-dead-letters", "edgeflow-triage-failures")',
    );
    expect(dlFilters[1]).toContain('pubsub.googleapis.com/subscription/dead_letter_message_count');

    const b = backlog.inputs.conditions[0].conditionThreshold;
    expect(b.filter).toContain(
      'resource.labels.subscription_id = one_of("edgeflow-telemetry-site-a-ingest", "edgeflow-telemetry-plant-berlin-line-07-ingest")',
    );
    expect(b.filter).toContain('pubsub.googleapis.com/subscription/oldest_unacked_message_age');
    expect(b.thresholdValue).toBe(900);

    const e = errors.inputs.conditions[0].conditionThreshold;
    expect(e.filter).toContain(
      'resource.labels.service_name = one_of("edgeflow-ingest", "edgeflow-notify", "edgeflow-triage")',
    );
    expect(e.filter).toContain('metric.labels.response_code_class = "5xx"');
    expect(e.denominatorFilter).not.toContain('5xx');
    expect(e.thresholdValue).toBe(0.1);
  });
});
