/**
 * The whole pipeline on one machine, as `npm start`, the end-to-end tests, the fault suite
 * and the benchmark use it: Google's emulators with the topology and the functions (the
 * local cloud), a webhook sink standing in for the team's alert endpoint, a provisioned
 * fleet (registry + credentials through the devices CLI), device profiles seeded in
 * Firestore, and the gateway as a child process. The fleet itself is run by the caller.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type LocalCloud, startLocalCloud } from '@edgeflow/cloud/local';
import { type DeviceProfile, METRIC_CATALOG, type RuleSet, telemetryTopicName } from '@edgeflow/shared';
import { type CredentialsFile, loadCredentials } from '@edgeflow/simulators';
import { Firestore } from '@google-cloud/firestore';
import type { Logger } from 'pino';
import { runNode } from './child.ts';
import { DEVICES_CLI, type GatewayProcess, startGatewayProcess } from './gateway-process.ts';
import { startWebhookSink, type WebhookSink } from './webhook-sink.ts';

export const GATEWAY_ID = 'demo-gw1';
export const SITE = 'demo-site';
export const DEVICE_PREFIX = 'sim-';
export const CONSOLE_ACCOUNT = 'console';

export interface PipelineOptions {
  readonly devices: number;
  /**
   * The rules in force at the edge and in the cloud: one set for the whole fleet, or one per
   * device (by fleet index), when several scenarios share the pipeline.
   */
  readonly rules: RuleSet | ((deviceIndex: number) => RuleSet);
  /** Forwarder linger: short for a demo or a test, long (the default 60 s) for cost. */
  readonly lingerMs: number;
  readonly logger: Logger;
  /** Extra gateway config, merged over the pipeline's (e.g. a small outbox cap). */
  readonly gatewayConfig?: Readonly<Record<string, unknown>>;
  /** Extra environment for the functions (test settings). */
  readonly cloudEnv?: Readonly<Record<string, string>>;
  /** Each line the gateway prints (its JSON logs). */
  readonly onGatewayLine?: (line: string) => void;
  readonly onFunctionLine?: (fn: string, line: string) => void;
  /** Keep the data directory (outbox, registry, credentials) after stop. */
  readonly keepData?: boolean;
  /** Put the gateway's uplink through this host instead of the emulator (a fault proxy). */
  readonly pubsubHostForGateway?: (emulatorHost: string) => Promise<string> | string;
}

export interface Pipeline {
  readonly dataDir: string;
  readonly cloud: LocalCloud;
  readonly sink: WebhookSink;
  readonly gateway: GatewayProcess;
  readonly credentials: CredentialsFile;
  /** An operator account allowed to subscribe to everything (the console's view of alerts). */
  readonly console: { readonly username: string; readonly password: string };
  /** A Firestore client on the emulator, for observation and accounting. */
  readonly db: Firestore;
  readonly timings: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const mark = (what: string) => {
    timings[what] = Math.round(performance.now() - t0);
  };
  const dataDir = await mkdtemp(join(tmpdir(), 'edgeflow-'));
  // Per-device rules travel as overrides over an empty fleet default, at the edge (gateway
  // config) and in the cloud (device profiles), so both evaluate the same rules.
  const perDevice = typeof options.rules === 'function' ? options.rules : undefined;
  const fleetRules: RuleSet = perDevice ? {} : (options.rules as RuleSet);
  const deviceRules = (index: number): RuleSet => (perDevice ? perDevice(index) : fleetRules);
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    if (!options.keepData) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const sink = await startWebhookSink();
    cleanups.push(() => sink.close());

    const registryFile = join(dataDir, 'devices.json');
    const credentialsFile = join(dataDir, 'credentials.json');
    // The cloud (Java emulators) takes seconds to start; provisioning runs meanwhile.
    const [cloud, consolePassword] = await Promise.all([
      startLocalCloud({
        gateways: [GATEWAY_ID],
        logger: options.logger,
        env: { ...options.cloudEnv, EDGEFLOW_INGEST_DEFAULT_RULES: JSON.stringify(fleetRules) },
        ...(options.onFunctionLine ? { onFunctionOutput: options.onFunctionLine } : {}),
      }).then((c) => {
        cleanups.push(() => c.stop());
        mark('cloudReadyMs');
        return c;
      }),
      provision(registryFile, credentialsFile, options.devices),
    ]);
    mark('provisionedMs');
    const credentials = loadCredentials(credentialsFile);

    // The SDK's documented switch to emulator mode (no credentials) is this variable.
    process.env.FIRESTORE_EMULATOR_HOST = cloud.firestoreHost;
    const db = new Firestore({ projectId: cloud.projectId, ignoreUndefinedProperties: true });
    cleanups.push(() => db.terminate());
    await seedProfiles(db, credentials, deviceRules, sink.url);
    mark('profilesSeededMs');

    const pubsubHost = options.pubsubHostForGateway
      ? await options.pubsubHostForGateway(cloud.pubsubHost)
      : cloud.pubsubHost;
    // Fixed ports, so a restarted gateway (fault tests kill -9 it) is where devices left it.
    const [httpPort, mqttPort] = await Promise.all([freePort(), freePort()]);
    const gateway = await startGatewayProcess({
      configPath: join(dataDir, 'gateway.json'),
      httpPort,
      env: { ...process.env, PUBSUB_EMULATOR_HOST: pubsubHost },
      config: {
        gatewayId: GATEWAY_ID,
        logLevel: 'info',
        mqtt: { host: '127.0.0.1', port: mqttPort },
        registryFile,
        rules: {
          defaults: fleetRules,
          devices: perDevice
            ? Object.fromEntries(credentials.devices.map((d, i) => [d.deviceId, deviceRules(i)]))
            : {},
          // Staleness is checked on this tick; fine enough for time-scaled scenarios too.
          tickMs: 100,
        },
        http: { host: '127.0.0.1', port: httpPort },
        outbox: { dir: join(dataDir, 'outbox') },
        forwarder: {
          projectId: cloud.projectId,
          topic: telemetryTopicName(GATEWAY_ID),
          lingerMs: options.lingerMs,
        },
        ...options.gatewayConfig,
      },
      ...(options.onGatewayLine ? { onLine: options.onGatewayLine } : {}),
    });
    cleanups.push(() => gateway.stop());
    mark('gatewayReadyMs');

    return {
      dataDir,
      cloud,
      sink,
      gateway,
      credentials,
      console: { username: CONSOLE_ACCOUNT, password: consolePassword },
      db,
      timings,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }

  async function provision(registryFile: string, credentialsFile: string, count: number): Promise<string> {
    await runNode(DEVICES_CLI, [
      'provision',
      '--count',
      String(count),
      '--prefix',
      DEVICE_PREFIX,
      '--registry',
      registryFile,
      '--credentials-out',
      credentialsFile,
    ]);
    const out = await runNode(DEVICES_CLI, [
      'add',
      CONSOLE_ACCOUNT,
      '--role',
      'operator',
      '--registry',
      registryFile,
    ]);
    const secret = out.match(/secret \(shown once\): (\S+)/)?.[1];
    if (!secret) throw new Error(`devices add printed no secret:\n${out}`);
    return secret;
  }
}

/** `devices/<id>` for every simulated device: where it is, what to call it, whom to tell. */
async function seedProfiles(
  db: Firestore,
  credentials: CredentialsFile,
  rules: (deviceIndex: number) => RuleSet,
  webhookUrl: string,
) {
  const units: Record<string, string> = {};
  for (const [metric, spec] of Object.entries(METRIC_CATALOG)) units[metric] = spec.unit;
  const MAX_WRITES_PER_COMMIT = 500;
  for (let i = 0; i < credentials.devices.length; i += MAX_WRITES_PER_COMMIT) {
    const batch = db.batch();
    credentials.devices.slice(i, i + MAX_WRITES_PER_COMMIT).forEach(({ deviceId }, j) => {
      const profile: DeviceProfile = {
        deviceId,
        gatewayId: GATEWAY_ID,
        site: SITE,
        name: `Sensor ${i + j + 1}`,
        units,
        rules: rules(i + j),
        notify: [{ kind: 'webhook', url: webhookUrl, format: 'json' }, { kind: 'log' }],
      };
      batch.set(db.collection('devices').doc(deviceId), profile);
    });
    await batch.commit();
  }
}
