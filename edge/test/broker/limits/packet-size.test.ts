import type { Socket } from 'node:net';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { closedWithin, sleep, startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { connectHeader, openSocket, socketClosedWithin } from './support.ts';

let gw: TestGateway | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await gw?.close();
  gw = undefined;
});

const LIMIT = 'edgeflow_gateway_limit_hits_total';
const MiB = 1024 * 1024;

/** Writes up to `totalBytes` in 64 KiB chunks until the peer closes; returns the bytes written. */
async function stream(socket: Socket, totalBytes: number, deadlineMs: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const deadline = performance.now() + deadlineMs;
  let written = 0;
  socket.on('error', () => undefined);
  while (written < totalBytes && !socket.destroyed && performance.now() < deadline) {
    if (!socket.write(chunk)) {
      await Promise.race([
        new Promise((resolve) => socket.once('drain', resolve)),
        new Promise((resolve) => socket.once('close', resolve)),
        sleep(200),
      ]);
    }
    written += chunk.length;
  }
  return written;
}

function mqttPort(gateway: TestGateway): number {
  return gateway.gateway.mqtt?.port ?? 0;
}

describe('packet size limits over real TCP', () => {
  it('closes a socket whose CONNECT declares 64 MiB as soon as the header is in, and buffers none of it', async () => {
    gw = await startTestGateway();
    const rssBefore = process.memoryUsage().rss;
    const socket = await openSocket(mqttPort(gw));
    sockets.push(socket);
    socket.write(connectHeader(64 * MiB));
    expect(await socketClosedWithin(socket, 2000)).toBe(true);
    // The rest of the declared body has nowhere to go.
    const written = await stream(socket, 64 * MiB, 2000);
    expect(written).toBeLessThan(4 * MiB);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(32 * MiB);
    expect(await gw.metric(LIMIT, { limit: 'packet_size_pre_connect' })).toBe(1);
    expect(await gw.metric(LIMIT, { limit: 'packet_size' })).toBe(0);
  });

  it('without the guard (caps at the protocol maximum) the same socket stays open and is fed (the finding)', async () => {
    gw = await startTestGateway({
      config: {
        mqtt: {
          host: '127.0.0.1',
          port: 0,
          limits: { maxConnectPacketBytes: 268_435_455, maxPacketBytes: 268_435_455 },
        },
      },
    });
    const socket = await openSocket(mqttPort(gw));
    sockets.push(socket);
    socket.write(connectHeader(64 * MiB));
    const written = await stream(socket, 4 * MiB, 5000);
    expect(written).toBeGreaterThanOrEqual(4 * MiB);
    expect(socket.destroyed).toBe(false);
  });

  it('refuses a CONNECT over the pre-CONNECT cap from a real client (a large will)', async () => {
    gw = await startTestGateway();
    const client = mqtt.connect(gw.url, {
      username: 'dev-a',
      password: gw.secrets['dev-a'],
      reconnectPeriod: 0,
      will: { topic: 'sensors/dev-a/status', payload: Buffer.alloc(8192, 0x62), qos: 0, retain: false },
    });
    let connacked = false;
    client.on('connect', () => {
      connacked = true;
    });
    client.on('error', () => undefined);
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3000);
      client.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    client.end(true);
    expect(closed).toBe(true);
    expect(connacked).toBe(false);
    expect(await gw.metric(LIMIT, { limit: 'packet_size_pre_connect' })).toBe(1);
  });

  it('after CONNECT: a PUBLISH over the derived cap disconnects and is counted; one at maxPayloadBytes passes', async () => {
    gw = await startTestGateway();
    const client = await gw.connect('dev-a');
    // Largest payload ingest accepts (4096 by default): the connection stays.
    await client.publishAsync('sensors/dev-a/temperature', Buffer.alloc(4096, 0x20), { qos: 1 });
    expect(client.connected).toBe(true);
    // 4096 + 256 (topic) + 64 (header) is the cap.
    client.publish('sensors/dev-a/temperature', Buffer.alloc(4096 + 512, 0x20), { qos: 1 });
    expect(await closedWithin(client, 3000)).toBe(true);
    expect(await gw.metric(LIMIT, { limit: 'packet_size' })).toBe(1);
    expect(await gw.metric(LIMIT, { limit: 'packet_size_pre_connect' })).toBe(0);
    expect(gw.outbox.readings).toEqual([]);
  });

  it('honours a configured maxPacketBytes', async () => {
    gw = await startTestGateway({
      config: {
        mqtt: { host: '127.0.0.1', port: 0, limits: { maxPacketBytes: 20_000 } },
        ingest: { maxPayloadBytes: 16_384 },
      },
    });
    const client = await gw.connect('dev-a');
    await client.publishAsync('sensors/dev-a/temperature', Buffer.alloc(16_384, 0x20), { qos: 1 });
    client.publish('sensors/dev-a/temperature', Buffer.alloc(20_001, 0x20), { qos: 1 });
    expect(await closedWithin(client, 3000)).toBe(true);
    expect(await gw.metric(LIMIT, { limit: 'packet_size' })).toBe(1);
  });
});
