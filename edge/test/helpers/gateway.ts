/** Starts the broker side on free loopback ports with a fake outbox and a temp registry. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, systemClock } from '@edgeflow/shared';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { type GatewayConfig, gatewayConfigFrom } from '../../src/config.ts';
import { type RunningGateway, startGateway } from '../../src/gateway.ts';
import { generateSecret, hashSecret } from '../../src/registry/secret.ts';
import { type Role, writeRegistry } from '../../src/registry/store.ts';
import { FakeOutbox } from './fake-outbox.ts';

/** Cheap scrypt for tests: the cost parameter does not change the code path. */
export const TEST_SCRYPT = { N: 16, r: 1, p: 1, keyLen: 32 } as const;

export interface TestGateway {
  readonly gateway: RunningGateway;
  readonly outbox: FakeOutbox;
  readonly registry: Registry;
  readonly config: GatewayConfig;
  readonly url: string;
  readonly dir: string;
  readonly secrets: Record<string, string>;
  connect(user?: string, options?: IClientOptions): Promise<MqttClient>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export async function writeTestRegistry(
  path: string,
  accounts: Record<string, Role>,
): Promise<Record<string, string>> {
  const devices: Record<
    string,
    { scryptHash: string; salt: string; params: typeof TEST_SCRYPT; role: Role }
  > = {};
  const secrets: Record<string, string> = {};
  for (const [id, role] of Object.entries(accounts)) {
    const secret = generateSecret();
    secrets[id] = secret;
    const hash = await hashSecret(secret, TEST_SCRYPT);
    devices[id] = { scryptHash: hash.scryptHash, salt: hash.salt, params: TEST_SCRYPT, role };
  }
  await writeRegistry(path, { version: 1, devices });
  return secrets;
}

export async function startTestGateway(
  options: {
    accounts?: Record<string, Role>;
    config?: Record<string, unknown>;
    outbox?: FakeOutbox;
    clock?: Clock;
    logger?: Logger;
  } = {},
): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeflow-gw-'));
  const registryFile = join(dir, 'devices.json');
  const secrets = await writeTestRegistry(
    registryFile,
    options.accounts ?? { 'dev-a': 'device', 'dev-b': 'device', 'op-1': 'operator' },
  );
  const config = gatewayConfigFrom({
    gatewayId: 'test-gw',
    logLevel: 'silent',
    registryFile,
    registryPollMs: 100,
    mqtt: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0 },
    outbox: { dir: join(dir, 'outbox') },
    ...options.config,
  });
  const outbox = options.outbox ?? new FakeOutbox();
  const registry = new Registry();
  const gateway = await startGateway(config, {
    outbox,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? pino({ level: 'silent' }),
    registry,
  });
  // TLS only (`mqtt.plaintext: false`): the TLS listener; connect() then needs `ca`.
  const url = gateway.mqtt
    ? `mqtt://127.0.0.1:${gateway.mqtt.port}`
    : `mqtts://127.0.0.1:${gateway.mqtts?.port}`;
  const clients: MqttClient[] = [];
  return {
    gateway,
    outbox,
    registry,
    config,
    url,
    dir,
    secrets,
    async connect(user, clientOptions = {}) {
      const client = await mqtt.connectAsync(url, {
        reconnectPeriod: 0,
        connectTimeout: 5000,
        // The client id is bound to the identity (mqtt.clientIdPolicy): by default, the user.
        ...(user === undefined ? {} : { username: user, password: secrets[user] ?? 'wrong', clientId: user }),
        ...clientOptions,
      });
      clients.push(client);
      return client;
    },
    async metric(name, labels = {}) {
      const metric = await registry.getSingleMetric(name)?.get();
      const value = metric?.values.find((v) =>
        Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
      );
      return value?.value ?? Number.NaN;
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await gateway.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the first message on `topic` (exact), or rejects after `timeoutMs`. */
export function nextMessage(
  client: MqttClient,
  topic: string,
  timeoutMs = 3000,
): Promise<{ payload: Buffer; retain: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no message on ${topic} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (t: string, payload: Buffer, packet: { retain: boolean }): void => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ payload, retain: packet.retain });
    };
    client.on('message', onMessage);
  });
}

/** Resolves true if the client is closed by the broker within `timeoutMs`, else false. */
export function closedWithin(client: MqttClient, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve(true);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
