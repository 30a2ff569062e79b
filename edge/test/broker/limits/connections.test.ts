import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { freePort } from '@edgeflow/cloud/local';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { openSocket, selfSignedCert, socketClosedWithin } from './support.ts';

let gw: TestGateway | undefined;
const sockets: Socket[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await gw?.close();
  gw = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const LIMIT = 'edgeflow_gateway_limit_hits_total';

function tlsFiles(): { certFile: string; keyFile: string } {
  const { dir, certFile, keyFile } = selfSignedCert();
  dirs.push(dir);
  return { certFile, keyFile };
}

async function open(port: number): Promise<Socket> {
  const socket = await openSocket(port);
  socket.on('error', () => undefined);
  sockets.push(socket);
  return socket;
}

describe('connection limits over real TCP', () => {
  it('closes a socket that sends no CONNECT within connectTimeoutMs, counted', async () => {
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, limits: { connectTimeoutMs: 200 } } },
    });
    const socket = await open(gw.gateway.mqtt?.port ?? 0);
    const started = performance.now();
    expect(await socketClosedWithin(socket, 3000)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(await gw.metric(LIMIT, { limit: 'connect_timeout' })).toBe(1);
    // A client that does connect in time is unaffected.
    const client = await gw.connect('dev-a');
    expect(client.connected).toBe(true);
  });

  it('drops connections past maxConnections at once, counted, and accepts again once one leaves', async () => {
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, limits: { maxConnections: 2 } } },
    });
    const port = gw.gateway.mqtt?.port ?? 0;
    const first = await open(port);
    await open(port);
    const third = await open(port);
    expect(await socketClosedWithin(third, 2000)).toBe(true);
    expect(await gw.metric(LIMIT, { limit: 'max_connections' })).toBe(1);
    first.destroy();
    expect(await socketClosedWithin(first, 1000)).toBe(true);
    // The server notices the close asynchronously; a real client then gets in (bounded retry).
    let connected = false;
    for (let attempt = 0; attempt < 20 && !connected; attempt++) {
      connected = await gw.connect('dev-a', { connectTimeout: 500 }).then(
        () => true,
        () => false,
      );
    }
    expect(connected).toBe(true);
  });

  it('TLS only: no plaintext listener on the configured port; TLS serves', async () => {
    const plaintextPort = await freePort();
    const { certFile, keyFile } = tlsFiles();
    gw = await startTestGateway({
      config: {
        mqtt: {
          host: '127.0.0.1',
          port: plaintextPort,
          plaintext: false,
          tls: { port: 0, certFile, keyFile },
        },
      },
    });
    expect(gw.gateway.mqtt).toBeUndefined();
    expect(gw.gateway.broker.tcp).toBeUndefined();
    await expect(openSocket(plaintextPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(gw.url).toMatch(/^mqtts:/);
    const client = await gw.connect('dev-a', { rejectUnauthorized: false });
    await client.publishAsync('sensors/dev-a/temperature', '21.5', { qos: 1 });
    expect(gw.outbox.readings).toMatchObject([{ deviceId: 'dev-a', value: 21.5 }]);
  });

  it('closes a TLS socket that does not complete its handshake within tlsHandshakeTimeoutMs, counted', async () => {
    const { certFile, keyFile } = tlsFiles();
    gw = await startTestGateway({
      config: {
        mqtt: {
          host: '127.0.0.1',
          port: 0,
          tls: { port: 0, certFile, keyFile },
          limits: { tlsHandshakeTimeoutMs: 200 },
        },
      },
    });
    const tlsPort = gw.gateway.mqtts?.port ?? 0;
    const silent = await open(tlsPort);
    expect(await socketClosedWithin(silent, 3000)).toBe(true);
    expect(await gw.metric(LIMIT, { limit: 'tls_handshake_timeout' })).toBe(1);
    expect(await gw.metric('edgeflow_gateway_tls_handshake_failures_total')).toBe(1);
    // A client that does not trust the cert fails its handshake: counted, not a timeout.
    await new Promise<void>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: true });
      socket.on('error', () => resolve());
      socket.on('secureConnect', () => resolve());
    });
    const deadline = performance.now() + 2000;
    while (
      (await gw.metric('edgeflow_gateway_tls_handshake_failures_total')) < 2 &&
      performance.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await gw.metric('edgeflow_gateway_tls_handshake_failures_total')).toBe(2);
    expect(await gw.metric(LIMIT, { limit: 'tls_handshake_timeout' })).toBe(1);
  });

  it('an error emitted by the aedes instance is logged and counted, never thrown', async () => {
    gw = await startTestGateway();
    expect(() => gw?.gateway.broker.aedes.emit('error', new Error('persistence exploded'))).not.toThrow();
    expect(await gw.metric('edgeflow_gateway_broker_errors_total')).toBe(1);
    const client = await gw.connect('dev-a');
    expect(client.connected).toBe(true);
  });
});
