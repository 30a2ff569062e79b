/**
 * Pins the aedes behaviour edge/src/broker/aedes-adapter.ts and hooks.ts rely on, on a bare
 * aedes over TCP: if an aedes upgrade changes one, this fails before the policy silently
 * weakens.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  handleAsQoS0,
  incomingStoreOf,
  isUndeliverable,
  markUndeliverable,
  rewriteSubscriptions,
  stripRetain,
} from '../../src/broker/aedes-adapter.ts';
import { BoundedPersistence } from '../../src/broker/persistence/bounded.ts';
import { sleep } from '../helpers/gateway.ts';

interface Bare {
  aedes: Aedes;
  server: Server;
  url: string;
  persistence: BoundedPersistence;
}

let bare: Bare | undefined;
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  if (bare) {
    const { aedes, server } = bare;
    server.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  }
  bare = undefined;
});

const LOOSE = {
  maxRetainedMessages: 100,
  maxRetainedBytes: 1 << 20,
  maxQueuedMessages: 100,
  maxQueuedBytes: 1 << 20,
};

async function startBare(hooks: AedesOptions): Promise<Bare> {
  const persistence = new BoundedPersistence(LOOSE, { onRetainedRefused() {}, onQueuedDropped() {} });
  const aedes = await Aedes.createBroker({ ...hooks, persistence });
  const server = createServer(aedes.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  bare = { aedes, server, url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, persistence };
  return bare;
}

async function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options });
  clients.push(client);
  return client;
}

describe('aedes behaviour the broker hooks rely on', () => {
  it('a mark on the payload made in authorizePublish reaches authorizeForward: live, retained and queued', async () => {
    const seen: string[] = [];
    const { url } = await startBare({
      authorizePublish(_client, packet, callback) {
        if (packet.topic.startsWith('marked/')) markUndeliverable(packet);
        callback(null);
      },
      authorizeForward(client, packet) {
        seen.push(`${client.id} ${packet.topic} ${isUndeliverable(packet)}`);
        return packet;
      },
    });
    const live0 = await connect(url, { clientId: 'live0' });
    await live0.subscribeAsync('marked/#', { qos: 0 });
    const live1 = await connect(url, { clientId: 'live1' });
    await live1.subscribeAsync('marked/#', { qos: 1 });
    const offline = await connect(url, { clientId: 'offline', clean: false });
    await offline.subscribeAsync('marked/#', { qos: 1 });
    await offline.endAsync();
    const publisher = await connect(url, { clientId: 'pub' });
    await publisher.publishAsync('marked/a', 'x', { qos: 1, retain: true });
    await publisher.publishAsync('plain/a', 'y', { qos: 1, retain: true });
    const late = await connect(url, { clientId: 'late' });
    await late.subscribeAsync(['marked/#', 'plain/#'], { qos: 1 });
    const back = await connect(url, { clientId: 'offline', clean: false });
    for (let i = 0; i < 100 && seen.length < 5; i++) await sleep(10);
    expect(back.connected).toBe(true);
    expect(seen.sort()).toEqual([
      'late marked/a true',
      'late plain/a false',
      'live0 marked/a true',
      'live1 marked/a true',
      'offline marked/a true',
    ]);
  });

  it('retain and qos changed in authorizePublish are what aedes stores and acknowledges', async () => {
    const { url } = await startBare({
      authorizePublish(_client, packet, callback) {
        if (packet.topic === 'unretained') stripRetain(packet);
        if (packet.topic === 'as-qos0') handleAsQoS0(packet);
        callback(null);
      },
    });
    const publisher = await connect(url, { clientId: 'pub' });
    await publisher.publishAsync('unretained', 'x', { qos: 1, retain: true });
    let acked = false;
    publisher.publish('as-qos0', 'y', { qos: 1 }, () => {
      acked = true;
    });
    await sleep(200);
    // No PUBACK from aedes: the gateway writes it itself (hooks.ts ClientAcker).
    expect(acked).toBe(false);
    const late = await connect(url, { clientId: 'late' });
    const got: string[] = [];
    late.on('message', (topic) => got.push(topic));
    await late.subscribeAsync('#');
    await sleep(100);
    expect(got).toEqual([]);
  });

  it("rewriteSubscriptions changes a SUBSCRIBE before aedes grants it; the QoS 2 store is the broker's", async () => {
    let client: Client | undefined;
    const { url, persistence } = await startBare({
      preConnect(c, _packet, callback) {
        client = c;
        expect(rewriteSubscriptions(c, (sub) => (sub.qos = 0))).toBe(true);
        callback(null, true);
      },
    });
    const subscriber = await connect(url, { clientId: 'sub' });
    const granted = await subscriber.subscribeAsync('x/#', { qos: 1 });
    expect(granted[0]?.qos).toBe(0);
    expect(incomingStoreOf(client as Client)).toBe(persistence);
  });

  it('authenticate runs before aedes wipes a clean session or kicks the client holding the id', async () => {
    const order: string[] = [];
    let refuse = false;
    const { url, persistence } = await startBare({
      authenticate(_client, _user, _password, callback) {
        order.push('authenticate');
        if (refuse) callback(Object.assign(new Error('no'), { returnCode: 2 }) as never, false);
        else callback(null, true);
      },
    });
    const cleanSubscriptions = persistence.cleanSubscriptions.bind(persistence);
    persistence.cleanSubscriptions = (client) => {
      order.push('cleanSubscriptions');
      return cleanSubscriptions(client);
    };
    const holder = await connect(url, { clientId: 'same', clean: false });
    await holder.subscribeAsync('t/#', { qos: 1 });
    holder.on('close', () => order.push('kicked'));
    order.length = 0;
    refuse = true;
    await expect(connect(url, { clientId: 'same', clean: true })).rejects.toThrow(/Identifier rejected/);
    await sleep(50);
    expect(order).toEqual(['authenticate']);
    expect(holder.connected).toBe(true);
    refuse = false;
    await connect(url, { clientId: 'same', clean: true });
    for (let i = 0; i < 100 && order.length < 4; i++) await sleep(10);
    expect(order).toEqual(['authenticate', 'authenticate', 'cleanSubscriptions', 'kicked']);
  });
});
