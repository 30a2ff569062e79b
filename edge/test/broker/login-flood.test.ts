/**
 * Login throttling and secret rotation over real TCP. The flood comes from 127.0.0.2 (the
 * whole of 127/8 is loopback on Linux), the real device from 127.0.0.1.
 */
import { connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSecret, hashSecret } from '../../src/registry/secret.ts';
import { readRegistry, writeRegistry } from '../../src/registry/store.ts';
import { closedWithin, startTestGateway, TEST_SCRYPT, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const FLOOD_ADDRESS = '127.0.0.2';

/** One raw CONNECT from `localAddress`; resolves with the CONNACK return code (-1: none). */
function rawConnect(port: number, localAddress: string, username: string, password: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port, localAddress });
    let chunks = Buffer.alloc(0);
    const done = (code: number): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(code);
    };
    const timer = setTimeout(() => done(-1), 10_000);
    socket.on('connect', () => {
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          // The client id is bound to the account (exact policy), so each CONNECT uses its user's.
          clientId: username,
          keepalive: 0,
          username,
          password: Buffer.from(password),
        }),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      chunks = Buffer.concat([chunks, chunk]);
      // CONNACK: 0x20 0x02 <flags> <return code>.
      if (chunks.length >= 4) done(chunks[3] as number);
    });
    socket.on('error', () => done(-1));
    socket.on('close', () => done(-1));
  });
}

/** `count` CONNECTs, at most `parallel` at a time. */
async function flood(port: number, count: number, parallel: number, username: string): Promise<number[]> {
  const codes: number[] = [];
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < count) {
      started++;
      // A new guess each time: a repeated wrong secret is refused from memory at no cost.
      codes.push(await rawConnect(port, FLOOD_ADDRESS, username, `guess-${started}`));
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return codes;
}

describe('login throttling over real TCP', () => {
  it('throttles a bad-password flood on a real name (counted) while the real device connects and is acked promptly', async () => {
    gw = await startTestGateway();
    const port = gw.gateway.mqtt?.port as number;
    const flooding = flood(port, 400, 40, 'dev-a');
    // The real dev-a, never verified since start-up (no remembered verification), from elsewhere.
    const device = await gw.connect('dev-a');
    const latenciesMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await device.publishAsync('sensors/dev-a/temperature', String(20 + i / 10), { qos: 1 });
      latenciesMs.push(performance.now() - t0);
    }
    const codes = await flooding;
    expect(codes).toHaveLength(400);
    expect(codes.every((c) => c === 4)).toBe(true); // refused as bad credentials, never "connected"
    expect(gw.outbox.readings).toHaveLength(20);
    // A generous bound: this is about not queueing behind the flood, not about speed.
    expect(Math.max(...latenciesMs)).toBeLessThan(2000);

    const refusals = async (reason: string) =>
      gw?.metric('edgeflow_gateway_auth_refusals_total', { reason }) as Promise<number>;
    const verified = await refusals('bad_password');
    const held = (await refusals('throttled')) + (await refusals('banned'));
    // Only the free failures (and at most one per elapsed back-off) ever reached scrypt.
    expect(verified).toBeGreaterThanOrEqual(5);
    expect(verified).toBeLessThanOrEqual(gw.config.mqtt.loginThrottle.perAddress.banAfterFailures);
    expect(verified + held).toBe(400);
    // The flooding address is still held for anything scrypt would have to check...
    expect(await rawConnect(port, FLOOD_ADDRESS, 'dev-b', 'another-guess')).toBe(4);
    expect((await refusals('throttled')) + (await refusals('banned'))).toBe(held + 1);
    // ...while the secret remembered from the device's verification passes at no scrypt cost.
    expect(await rawConnect(port, FLOOD_ADDRESS, 'dev-a', gw.secrets['dev-a'] as string)).toBe(0);
    expect(await refusals('bad_password')).toBe(verified);
  }, 30_000);

  it('bans an address at banAfterFailures (counted by scope) and lets it back after banMs', async () => {
    gw = await startTestGateway({
      config: {
        mqtt: {
          host: '127.0.0.1',
          port: 0,
          loginThrottle: {
            perAddress: { freeFailures: 2, baseDelayMs: 1, maxDelayMs: 1, banAfterFailures: 4, banMs: 1500 },
          },
        },
      },
    });
    const port = gw.gateway.mqtt?.port as number;
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 5));
      expect(await rawConnect(port, FLOOD_ADDRESS, 'ghost', 'x')).toBe(4);
    }
    expect(await gw.metric('edgeflow_gateway_login_bans_total', { scope: 'address' })).toBe(1);
    expect(await rawConnect(port, FLOOD_ADDRESS, 'dev-b', gw.secrets['dev-b'] as string)).toBe(4);
    expect(await gw.metric('edgeflow_gateway_auth_refusals_total', { reason: 'banned' })).toBe(1);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await rawConnect(port, FLOOD_ADDRESS, 'dev-b', gw.secrets['dev-b'] as string)).toBe(0);
  }, 30_000);
});

describe('secret rotation over real TCP', () => {
  it('rewriting the registry with a new secret disconnects the old sessions; unchanged devices stay', async () => {
    gw = await startTestGateway();
    const a = await gw.connect('dev-a');
    const b = await gw.connect('dev-b');
    // What `devices rotate dev-a` does: a new entry for dev-a, the rest of the file as it was.
    const registry = await readRegistry(gw.config.registryFile);
    const secret = generateSecret();
    registry.devices['dev-a'] = { ...(await hashSecret(secret, TEST_SCRYPT)), role: 'device' };
    await writeRegistry(gw.config.registryFile, registry);
    // Picked up by the file watcher (registryPollMs 100), not by a direct reload.
    expect(await closedWithin(a, 5000)).toBe(true);
    expect(b.connected).toBe(true);
    await b.publishAsync('sensors/dev-b/temperature', '21', { qos: 1 });
    const old = await mqtt
      .connectAsync(gw.url, {
        username: 'dev-a',
        clientId: 'dev-a',
        password: gw.secrets['dev-a'],
        reconnectPeriod: 0,
        connectTimeout: 5000,
      })
      .then(
        async (c) => {
          await c.endAsync(true);
          return 'connected';
        },
        (err: Error & { code?: number }) => `refused:${err.code}`,
      );
    expect(old).toBe('refused:4');
    const rotated = await gw.connect('dev-a', { password: secret, clientId: 'dev-a' });
    expect(rotated.connected).toBe(true);
  }, 30_000);
});
