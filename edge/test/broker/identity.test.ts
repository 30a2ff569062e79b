/**
 * The client id belongs to the identity: a device with valid credentials cannot take over,
 * read or wipe another device's session (real mqtt.js over TCP). On aedes alone, dev-a
 * connecting as client id "dev-b" kicks dev-b, receives its queued commands (clean: false)
 * or wipes its persistent session (clean: true).
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closedWithin,
  sleep,
  startTestGateway,
  type TestGateway,
  writeTestRegistry,
} from '../helpers/gateway.ts';

let gw: TestGateway | undefined;
const opened: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  await gw?.close();
  gw = undefined;
});

interface Session {
  readonly client: MqttClient;
  /** Topic and payload of every message, collected from before the CONNACK. */
  readonly messages: string[];
  readonly sessionPresent: boolean;
}

/**
 * Connects collecting messages from the first packet on (queued messages may arrive right
 * behind the CONNACK); rejects with the CONNACK return code when refused.
 */
function open(gateway: TestGateway, user: string, options: IClientOptions): Promise<Session> {
  const client = mqtt.connect(gateway.url, {
    username: user,
    password: gateway.secrets[user],
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  opened.push(client);
  const messages: string[] = [];
  client.on('message', (topic, payload) => messages.push(`${topic} ${payload.toString()}`));
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) =>
      resolve({ client, messages, sessionPresent: connack.sessionPresent }),
    );
    client.once('error', (err: Error & { code?: number }) => {
      client.end(true);
      reject(new Error(`refused:${err.code}`));
    });
  });
}

/** A persistent session for dev-b subscribed to its commands, left offline. */
async function offlineSessionOfDevB(gateway: TestGateway): Promise<void> {
  const b = await open(gateway, 'dev-b', { clientId: 'dev-b', clean: false });
  await b.client.subscribeAsync('commands/dev-b/#', { qos: 1 });
  await b.client.endAsync();
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 20) {
    if (await condition()) return true;
    await sleep(20);
  }
  return condition();
}

describe('client id bound to identity', () => {
  it("refuses a CONNECT with another device's client id (CONNACK 2), without kicking that device", async () => {
    gw = await startTestGateway();
    const b = await open(gw, 'dev-b', { clientId: 'dev-b' });
    await expect(open(gw, 'dev-a', { clientId: 'dev-b' })).rejects.toThrow('refused:2');
    await expect(open(gw, 'dev-a', { clientId: 'mqttjs_1234' })).rejects.toThrow('refused:2');
    expect(await closedWithin(b.client, 300)).toBe(false);
    expect(await gw.metric('edgeflow_gateway_auth_refusals_total', { reason: 'client_id_mismatch' })).toBe(2);
  });

  it("cannot steal another device's queued commands with clean: false", async () => {
    gw = await startTestGateway();
    await offlineSessionOfDevB(gw);
    const operator = await gw.connect('op-1');
    await operator.publishAsync('commands/dev-b/unlock', 'open', { qos: 1 });
    await expect(open(gw, 'dev-a', { clientId: 'dev-b', clean: false })).rejects.toThrow('refused:2');
    // The owner still finds its session and its command.
    const b = await open(gw, 'dev-b', { clientId: 'dev-b', clean: false });
    expect(b.sessionPresent).toBe(true);
    expect(await waitFor(() => b.messages.length > 0)).toBe(true);
    expect(b.messages).toEqual(['commands/dev-b/unlock open']);
  });

  it("cannot wipe another device's persistent session with clean: true", async () => {
    gw = await startTestGateway();
    await offlineSessionOfDevB(gw);
    await expect(open(gw, 'dev-a', { clientId: 'dev-b', clean: true })).rejects.toThrow('refused:2');
    const operator = await gw.connect('op-1');
    await operator.publishAsync('commands/dev-b/unlock', 'open', { qos: 1 });
    const b = await open(gw, 'dev-b', { clientId: 'dev-b', clean: false });
    expect(b.sessionPresent).toBe(true);
    expect(await waitFor(() => b.messages.length > 0)).toBe(true);
    expect(b.messages).toEqual(['commands/dev-b/unlock open']);
  });

  it('accepts a server-assigned client id (empty, clean session: it names no session)', async () => {
    gw = await startTestGateway();
    const assigned = await open(gw, 'dev-a', { clientId: '', clean: true });
    expect(assigned.client.connected).toBe(true);
  });
});

describe('sessions per identity', () => {
  const prefix = (extra: Record<string, unknown>) => ({
    config: { mqtt: { host: '127.0.0.1', port: 0, clientIdPolicy: 'prefix', ...extra } },
  });

  it('allows <id>/<suffix> under the prefix policy, up to the cap; a reconnect with a held id is never refused', async () => {
    gw = await startTestGateway(prefix({ maxSessionsPerIdentity: 2 }));
    await open(gw, 'dev-a', { clientId: 'dev-a/one' });
    const two = await open(gw, 'dev-a', { clientId: 'dev-a/two' });
    await expect(open(gw, 'dev-a', { clientId: 'dev-a/three' })).rejects.toThrow('refused:3');
    expect(await gw.metric('edgeflow_gateway_auth_refusals_total', { reason: 'too_many_sessions' })).toBe(1);
    // Replacing its own (say half-open) connection is a takeover within the identity.
    const again = await open(gw, 'dev-a', { clientId: 'dev-a/two' });
    expect(await closedWithin(two.client, 3000)).toBe(true);
    expect(again.client.connected).toBe(true);
    // Other identities are not affected by dev-a's cap.
    await open(gw, 'dev-b', { clientId: 'dev-b/one' });
  });

  it("a new session at the cap evicts the identity's longest-offline persistent session", async () => {
    gw = await startTestGateway(prefix({ maxSessionsPerIdentity: 2 }));
    const old = await open(gw, 'dev-b', { clientId: 'dev-b/old', clean: false });
    await old.client.subscribeAsync('commands/dev-b/#', { qos: 1 });
    await old.client.endAsync();
    await open(gw, 'dev-b', { clientId: 'dev-b/live' });
    await open(gw, 'dev-b', { clientId: 'dev-b/new' });
    expect(await gw.metric('edgeflow_gateway_sessions_removed_total', { reason: 'evicted' })).toBe(1);
    const back = await open(gw, 'dev-b', { clientId: 'dev-b/old', clean: false }).catch((e: Error) => e);
    // At the cap again with both others online: refused, and the evicted session is gone.
    expect(back).toEqual(new Error('refused:3'));
  });

  it('forgets a persistent session not reconnected within sessionExpiryMs', async () => {
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, sessionExpiryMs: 200 } },
    });
    await offlineSessionOfDevB(gw);
    const expired = () =>
      gw?.metric('edgeflow_gateway_sessions_removed_total', { reason: 'expired' }).then((n) => n === 1) ??
      false;
    expect(await waitFor(expired)).toBe(true);
    const operator = await gw.connect('op-1');
    await operator.publishAsync('commands/dev-b/unlock', 'open', { qos: 1 });
    const b = await open(gw, 'dev-b', { clientId: 'dev-b', clean: false });
    expect(b.sessionPresent).toBe(false);
    await sleep(100);
    expect(b.messages).toEqual([]);
  });

  it('keeps a persistent session that reconnects in time', async () => {
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, sessionExpiryMs: 1000 } },
    });
    await offlineSessionOfDevB(gw);
    const b = await open(gw, 'dev-b', { clientId: 'dev-b', clean: false });
    expect(b.sessionPresent).toBe(true);
    // Online past the expiry (several sweeps): only offline time counts.
    await sleep(1300);
    expect(await gw.metric('edgeflow_gateway_sessions_removed_total', { reason: 'expired' })).toBe(0);
  });
});

describe('revoked accounts', () => {
  it('a device removed from the registry loses its sessions: re-added later, it finds no old commands', async () => {
    gw = await startTestGateway();
    await offlineSessionOfDevB(gw);
    const operator = await gw.connect('op-1');
    await operator.publishAsync('commands/dev-b/unlock', 'open', { qos: 1 });
    await writeTestRegistry(gw.config.registryFile, { 'dev-a': 'device', 'op-1': 'operator' });
    await gw.gateway.reloadRegistry();
    expect(await gw.metric('edgeflow_gateway_sessions_removed_total', { reason: 'revoked' })).toBe(1);
    const secrets = await writeTestRegistry(gw.config.registryFile, { 'dev-b': 'device' });
    await gw.gateway.reloadRegistry();
    Object.assign(gw.secrets, secrets);
    const b = await open(gw, 'dev-b', { clientId: 'dev-b', clean: false });
    expect(b.sessionPresent).toBe(false);
    await sleep(100);
    expect(b.messages).toEqual([]);
  });
});

describe('offline queue per persistent session', () => {
  it('keeps the newest maxQueuedPerSession messages, dropping (and counting) the oldest', async () => {
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, maxQueuedPerSession: 3 } },
    });
    await offlineSessionOfDevB(gw);
    const operator = await gw.connect('op-1');
    for (let i = 1; i <= 5; i++) await operator.publishAsync('commands/dev-b/step', `${i}`, { qos: 1 });
    // aedes PUBACKs a QoS 1 PUBLISH before it queues it for subscribers.
    const dropped = async () => (await gw?.metric('edgeflow_gateway_session_queue_dropped_total')) === 2;
    expect(await waitFor(dropped)).toBe(true);
    const b = await open(gw, 'dev-b', { clientId: 'dev-b', clean: false });
    expect(await waitFor(() => b.messages.length >= 3)).toBe(true);
    await sleep(100);
    expect(b.messages).toEqual(['commands/dev-b/step 3', 'commands/dev-b/step 4', 'commands/dev-b/step 5']);
  });

  it('an online persistent subscriber gets a message too large to queue, live, and stays connected', async () => {
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, maxQueuedBytesPerSession: 1024 } },
    });
    const b = await open(gw, 'dev-b', { clientId: 'dev-b', clean: false });
    await b.client.subscribeAsync('commands/dev-b/#', { qos: 1 });
    const operator = await gw.connect('op-1');
    await operator.publishAsync('commands/dev-b/blob', Buffer.alloc(2048, 0x62), { qos: 1 });
    await operator.publishAsync('commands/dev-b/small', 'ok', { qos: 1 });
    expect(await waitFor(() => b.messages.length >= 2)).toBe(true);
    expect(b.messages.map((m) => m.split(' ')[0])).toEqual(['commands/dev-b/blob', 'commands/dev-b/small']);
    expect(await gw.metric('edgeflow_gateway_session_queue_dropped_total')).toBe(1);
    expect(await closedWithin(b.client, 200)).toBe(false);
  });
});
