/**
 * Wires the components into the whole stack. Separate from index.ts so tests can build the
 * stack from a config and a fixture archive, without reading stack config or bundling cloud/.
 */
import { type FunctionName, subscriptionFor, type Topology } from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';
import { Apis } from './components/apis.ts';
import { type FunctionSource, Functions } from './components/functions.ts';
import { Identity } from './components/identity.ts';
import { Messaging } from './components/messaging.ts';
import { Monitoring } from './components/monitoring.ts';
import { OperatorApi } from './components/operator-api.ts';
import { Storage } from './components/storage.ts';
import { type InfraConfig, secretSetting } from './config.ts';
import { notifySecrets } from './env.ts';
import { FUNCTION_NAMES, functionName } from './names.ts';

export interface ProgramArgs {
  readonly config: InfraConfig;
  readonly topology: Topology;
  readonly source: FunctionSource;
}

/** What a gateway needs: its config's cloud-facing part, and the key file to put beside it. */
export interface GatewayBootstrap {
  readonly config: {
    readonly gatewayId: string;
    readonly forwarder: { readonly projectId: string; readonly topic: string; readonly keyFilename: string };
  };
  /** Service account key JSON, to be written to `config.forwarder.keyFilename`; absent when keyless. */
  readonly keyJson?: string;
}

export interface EdgeflowStack {
  readonly apis: Apis;
  readonly identity: Identity;
  readonly storage: Storage;
  readonly functions: Functions;
  readonly messaging: Messaging;
  readonly monitoring: Monitoring;
  /** Only with operators configured: an API nobody may invoke would be cost and surface for nothing. */
  readonly operatorApi: OperatorApi | undefined;
  readonly outputs: ReturnType<typeof stackOutputs>;
}

export function createEdgeflow(args: ProgramArgs): EdgeflowStack {
  const { config, topology } = args;
  const project = config.project;
  const apis = new Apis('edgeflow-apis', { project });
  const afterApis = { dependsOn: [apis] };

  const identity = new Identity(
    'edgeflow-identity',
    { project, gatewayIds: config.gateways, gatewayKeys: config.gatewayKeys },
    afterApis,
  );
  const storage = new Storage(
    'edgeflow-storage',
    {
      project,
      region: config.region,
      firestoreLocation: config.firestoreLocation,
      deleteProtection: config.firestoreDeleteProtection,
    },
    afterApis,
  );
  const functions = new Functions(
    'edgeflow-functions',
    {
      project,
      region: config.region,
      topology,
      source: args.source,
      sourceBucket: storage.sourceBucket,
      runtimeAccounts: identity.runtime,
      buildAccount: identity.build,
      invoker: identity.invoker,
      sizing: config.functions,
      retentionDays: config.retentionDays,
      mailFrom: config.smtpFrom,
      notifySecrets: notifySecrets({
        webhookUrl: secretSetting(config, 'webhookUrl'),
        webhookFormat: config.webhookFormat,
        smtpUrl: secretSetting(config, 'smtpUrl'),
      }),
    },
    // Builds fail on a fresh project until the build account holds its role.
    { dependsOn: [apis, identity, storage] },
  );

  const pushUrls = {} as Record<FunctionName, pulumi.Output<string>>;
  for (const fn of FUNCTION_NAMES) pushUrls[fn] = functions.functions[fn].url;
  const telemetry = topology.topics.telemetry.name;
  const messaging = new Messaging(
    'edgeflow-messaging',
    {
      project,
      topology,
      pushUrls,
      invokerEmail: identity.invoker.email,
      pubsubAgentMember: identity.pubsubAgent.member,
      publishers: [
        // ingest publishes alert transitions; nothing else publishes anywhere.
        { who: 'ingest', topic: topology.topics.alerts.name, member: identity.runtime.ingest.member },
        ...identity.gateways.map((g) => ({
          who: `gw-${g.gatewayId}`,
          topic: telemetry,
          member: g.account.member,
        })),
      ],
    },
    afterApis,
  );

  const deadLettering = topology.subscriptions.filter((s) => s.deadLetter !== undefined);
  const monitoring = new Monitoring(
    'edgeflow-monitoring',
    {
      project,
      channels: config.alertChannels,
      deadLetterTopics: [...new Set(deadLettering.map((s) => s.deadLetter?.topic ?? ''))],
      deadLetteringSubscriptions: deadLettering.map((s) => s.name),
      telemetrySubscription: subscriptionFor('ingest', topology).name,
      oldestUnackedAgeSeconds: config.monitoring.oldestUnackedAgeSeconds,
      functionServices: FUNCTION_NAMES.map(functionName),
      functionErrorRatio: config.monitoring.functionErrorRatio,
    },
    afterApis,
  );

  const operatorApi =
    config.operators.length === 0
      ? undefined
      : new OperatorApi(
          'edgeflow-api',
          {
            project,
            region: config.region,
            topology,
            sourceBucket: storage.sourceBucket,
            sourceObject: functions.sourceObject,
            buildAccount: identity.build,
            database: storage.database,
            operators: config.operators,
            sizing: config.apiFunction,
          },
          // The replay topics must exist before the publisher bindings on them.
          { dependsOn: [apis, identity, storage, messaging] },
        );

  const parts = { apis, identity, storage, functions, messaging, monitoring, operatorApi };
  return { ...parts, outputs: stackOutputs(config, topology, parts) };
}

function stackOutputs(
  config: InfraConfig,
  topology: Topology,
  parts: {
    identity: Identity;
    storage: Storage;
    functions: Functions;
    messaging: Messaging;
    operatorApi: OperatorApi | undefined;
  },
) {
  const { identity, functions, messaging } = parts;
  const telemetryTopic = messaging.topics.get(topology.topics.telemetry.name);
  if (!telemetryTopic) throw new Error('the telemetry topic was not created');
  const gateways: Record<string, pulumi.Output<GatewayBootstrap>> = {};
  for (const g of identity.gateways) {
    const privateKey: pulumi.Output<string | undefined> = g.key ? g.key.privateKey : pulumi.output(undefined);
    gateways[g.gatewayId] = pulumi.all([telemetryTopic.name, privateKey]).apply(([topic, key]) => ({
      config: {
        gatewayId: g.gatewayId,
        forwarder: { projectId: config.project, topic, keyFilename: config.gatewayKeyFilename },
      },
      // The API returns the key file base64-encoded.
      ...(key === undefined ? {} : { keyJson: Buffer.from(key, 'base64').toString('utf8') }),
    }));
  }
  const serviceAccounts: Record<string, pulumi.Output<string>> = {
    invoker: identity.invoker.email,
    build: identity.build.email,
  };
  for (const fn of FUNCTION_NAMES) serviceAccounts[fn] = identity.runtime[fn].email;
  if (parts.operatorApi) serviceAccounts.api = parts.operatorApi.account.email;
  const functionUrls = {} as Record<FunctionName, pulumi.Output<string>>;
  for (const fn of FUNCTION_NAMES) functionUrls[fn] = functions.functions[fn].url;
  return {
    projectId: config.project,
    region: config.region,
    topics: Object.fromEntries([...messaging.topics].map(([name, t]) => [name, t.id])),
    subscriptions: Object.fromEntries([...messaging.subscriptions].map(([name, s]) => [name, s.id])),
    functionUrls,
    /** The operator API (/v1) and console (/): call with `Authorization: Bearer $(gcloud auth print-identity-token)`. */
    apiUrl: parts.operatorApi ? parts.operatorApi.function.url : pulumi.output(null),
    serviceAccounts,
    firestoreDatabase: parts.storage.database.name,
    functionSourceObject: functions.sourceObject.name,
    /** Secret: holds service account keys. `pulumi stack output gateways --show-secrets --json`. */
    gateways: pulumi.secret(gateways),
  };
}
