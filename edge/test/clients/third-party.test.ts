/**
 * The gateway driven by MQTT clients no one here wrote: mosquitto's command-line clients
 * (Debian mosquitto-clients) for password login, publishing and confinement, and Python's
 * paho-mqtt (Debian python3-paho-mqtt) for a persistent session that loses a PUBACK and
 * retransmits. `.ci/run` installs both with apt.
 */
import { execFile, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const run = promisify(execFile);
/** Debian's python, which has python3-paho-mqtt (a pyenv shim on PATH may not). */
const PYTHON = '/usr/bin/python3';
const PAHO_SCRIPT = fileURLToPath(new URL('./retransmit.py', import.meta.url));

let gw: TestGateway | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  proxy?.close();
  proxy = undefined;
  await gw?.close();
  gw = undefined;
});

const port = (g: TestGateway) => String(g.gateway.mqtt?.port ?? 0);

/** mosquitto_pub / mosquitto_sub as `user`, exit code and output (never throws). */
async function mosquitto(
  tool: 'mosquitto_pub' | 'mosquitto_sub',
  g: TestGateway,
  user: string,
  args: string[],
  password = g.secrets[user] as string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      tool,
      ['-h', '127.0.0.1', '-p', port(g), '-u', user, '-P', password, '-i', user, ...args],
      { timeout: 15_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('mosquitto clients', () => {
  it('publish with a password: QoS 1 reading stored; a wrong password refused', async () => {
    gw = await startTestGateway();
    const ok = await mosquitto('mosquitto_pub', gw, 'dev-a', [
      '-q',
      '1',
      '-t',
      'sensors/dev-a/temperature',
      '-m',
      '21.5',
    ]);
    expect(ok.code).toBe(0);
    expect(gw.outbox.readings.map((r) => [r.deviceId, r.metric, r.value])).toEqual([
      ['dev-a', 'temperature', 21.5],
    ]);
    const bad = await mosquitto(
      'mosquitto_pub',
      gw,
      'dev-a',
      ['-q', '1', '-t', 'sensors/dev-a/temperature', '-m', '1'],
      'wrong',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/not authori[sz]ed|refused/i);
    expect(gw.outbox.readings).toHaveLength(1);
  });

  it("a device cannot publish as another device or read another device's commands", async () => {
    gw = await startTestGateway();
    // Publishing on dev-b's topic as dev-a: the gateway closes the connection (MQTT 3.1.1 has
    // no per-PUBLISH refusal) and nothing is stored.
    await mosquitto('mosquitto_pub', gw, 'dev-a', ['-q', '1', '-t', 'sensors/dev-b/temperature', '-m', '1']);
    expect(gw.outbox.readings).toHaveLength(0);
    // dev-a subscribes to dev-b's commands, dev-b to its own; the operator sends one.
    const thief = mosquitto('mosquitto_sub', gw, 'dev-a', [
      '-t',
      'commands/dev-b/#',
      '-C',
      '1',
      '-W',
      '4',
      '-v',
    ]);
    const owner = mosquitto('mosquitto_sub', gw, 'dev-b', [
      '-t',
      'commands/dev-b/#',
      '-C',
      '1',
      '-W',
      '8',
      '-v',
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    const sent = await mosquitto('mosquitto_pub', gw, 'op-1', [
      '-q',
      '1',
      '-t',
      'commands/dev-b/unlock',
      '-m',
      'now',
    ]);
    expect(sent.code).toBe(0);
    const [t, o] = await Promise.all([thief, owner]);
    expect(o.stdout.trim()).toBe('commands/dev-b/unlock now');
    expect(t.stdout).toBe('');
  });
});

/**
 * A TCP proxy to the gateway that swallows the first PUBACK (0x40 0x02 ..) coming back and
 * then cuts both sides: the device has sent, the gateway has stored, the ack is lost.
 */
async function dropFirstPuback(
  target: number,
): Promise<{ server: Server; port: number; dropped: () => number }> {
  let dropped = 0;
  const server = createServer((client: Socket) => {
    const upstream = tcpConnect(target, '127.0.0.1');
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      const at = dropped === 0 ? d.indexOf(Buffer.from([0x40, 0x02])) : -1;
      if (at === -1) {
        client.write(d);
        return;
      }
      dropped++;
      client.write(d.subarray(0, at));
      client.destroy();
      upstream.destroy();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, dropped: () => dropped };
}

describe('paho-mqtt', () => {
  it('a persistent session that loses its PUBACK retransmits (DUP): acked, stored once, counted', async () => {
    gw = await startTestGateway();
    const p = await dropFirstPuback(Number(port(gw)));
    proxy = p.server;
    const child = spawn(PYTHON, [
      PAHO_SCRIPT,
      '127.0.0.1',
      String(p.port),
      'dev-a',
      gw.secrets['dev-a'] as string,
      'sensors/dev-a/temperature',
      '22.5',
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).toBe(0);
    expect(JSON.parse(out)).toEqual({ connects: 2, published: true });
    expect(p.dropped()).toBe(1);
    expect(gw.outbox.readings.map((r) => r.value)).toEqual([22.5]);
    expect(await gw.metric('edgeflow_gateway_duplicates_dropped_total', { reason: 'retransmit' })).toBe(1);
  }, 30_000);
});
