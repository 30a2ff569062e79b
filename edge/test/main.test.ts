/** The gateway as a process: readiness line, real outbox, clean exit on SIGTERM, config errors. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTestRegistry } from './helpers/gateway.ts';

const CLI = fileURLToPath(new URL('../src/cli/gateway.ts', import.meta.url));
let child: ChildProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function run(
  args: string[],
  env: Record<string, string> = {},
): { proc: ChildProcess; out: () => string; exit: Promise<number | null> } {
  let out = '';
  const proc = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, PUBSUB_EMULATOR_HOST: '127.0.0.1:9', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  child = proc;
  return { proc, out: () => out, exit };
}

async function waitFor(out: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(out());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${out()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('gateway process', () => {
  it('prints the readiness line, acks a durable QoS 1 reading, alerts locally with the uplink down, exits 0 on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeflow-main-'));
    const registryFile = join(dir, 'devices.json');
    const secrets = await writeTestRegistry(registryFile, { 'dev-a': 'device', 'panel-1': 'operator' });
    const configFile = join(dir, 'gateway.yaml');
    await writeFile(
      configFile,
      [
        'gatewayId: proc-gw',
        'logLevel: warn',
        `registryFile: ${registryFile}`,
        'mqtt: { host: 127.0.0.1, port: 0 }',
        'http: { host: 127.0.0.1, port: 0 }',
        `outbox: { dir: ${join(dir, 'outbox')}, maxBytes: 16777216, segmentBytes: 1048576 }`,
        // The uplink is down for the whole test: PUBSUB_EMULATOR_HOST points at a closed port.
        'forwarder: { stopTimeoutMs: 0, publishTimeoutMs: 500 }',
        'rules:',
        '  defaults:',
        '    temperature:',
        '      - { id: temperature-high, kind: threshold, severity: warning, direction: above,',
        '          threshold: 30, clearBand: 1, raiseHoldMs: 0, clearHoldMs: 0 }',
      ].join('\n'),
    );
    const gw = run(['--config', configFile]);
    const [, url] = await waitFor(gw.out, /gateway ready (mqtt:\/\/\S+)/, 15_000);
    const client = await mqtt.connectAsync(url as string, {
      username: 'dev-a',
      password: secrets['dev-a'],
      clientId: 'dev-a',
      reconnectPeriod: 0,
    });
    await client.publishAsync('sensors/dev-a/temperature', '35', { qos: 1 });
    const panel = await mqtt.connectAsync(url as string, {
      username: 'panel-1',
      password: secrets['panel-1'],
      clientId: 'panel-1',
      reconnectPeriod: 0,
    });
    const alert = new Promise<Buffer>((resolve) => panel.on('message', (_t, payload) => resolve(payload)));
    await panel.subscribeAsync('alerts/dev-a/temperature');
    expect(JSON.parse((await alert).toString())).toMatchObject({
      kind: 'raised',
      deviceId: 'dev-a',
      value: 35,
    });
    await panel.endAsync();
    await client.endAsync();
    gw.proc.kill('SIGTERM');
    expect(await gw.exit).toBe(0);
  }, 30_000);

  it('refuses a bad config with one message naming every problem, exit code 2', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeflow-main-'));
    const configFile = join(dir, 'gateway.json');
    await writeFile(configFile, JSON.stringify({ gatewayId: 'X', mqtt: { port: -1 } }));
    const gw = run(['--config', configFile]);
    expect(await gw.exit).toBe(2);
    expect(gw.out()).toMatch(/EDGEFLOW_CONFIG_INVALID/);
    expect(gw.out()).toMatch(/\/gatewayId/);
    expect(gw.out()).toMatch(/\/mqtt\/port/);
    expect(gw.out()).toMatch(/registryFile/);
  }, 30_000);

  it('has --help', async () => {
    const gw = run(['--help']);
    expect(await gw.exit).toBe(0);
    expect(gw.out()).toMatch(/--config <file>/);
  }, 30_000);
});
