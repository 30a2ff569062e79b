/**
 * The issue's slow-subscriber scenario at full scale, as a diagnostic (the CI-sized version
 * is edge/test/broker/slow-clients.test.ts): 100 devices publish QoS 1 as fast as a small
 * in-flight window allows while an operator subscribed to `sensors/#` never reads; then the
 * operator's connection is destroyed with its backlog. Run against (a) aedes with default
 * options and (b) the gateway's broker side (broker-only.ts: auth, ACL, ingest, rules,
 * bounded delivery; in-memory sink), each in its own process:
 *
 *   node edge/bench/slow-subscriber.ts
 *
 * Prints, per broker: readings/s acknowledged, the broker's peak RSS, whether it survived
 * the subscriber's disconnect, and its exit status; and the gateway's broker side under the
 * same load without the slow subscriber, as the reference for rate and memory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { generateSecret, hashSecret } from '../src/registry/secret.ts';
import { writeRegistry } from '../src/registry/store.ts';
import { closeAll, connectPublishers, runThroughput } from './load.ts';

const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 100);
const PER_PUBLISHER = Number(process.env.BENCH_PER_PUBLISHER ?? 2000);
const WINDOW = 10;
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function spawnReady(args: string[]): Promise<{ proc: ChildProcess; port: number; output: () => string }> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out = (out + d.toString()).slice(-20_000);
      const match = /ready (\d+)/.exec(out);
      if (match) resolve({ proc, port: Number(match[1]), output: () => out });
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`exited early (${code}):\n${out}`)));
  });
}

function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

async function scenario(
  name: string,
  args: string[],
  creds: Array<{ deviceId: string; password?: string }>,
  panel: { deviceId: string; password: string } | undefined,
  withSlowSubscriber = true,
) {
  const broker = await spawnReady(args);
  let exitCode: number | null | undefined;
  let exitSignal: string | null | undefined;
  broker.proc.removeAllListeners('exit');
  broker.proc.on('exit', (code, signal) => {
    exitCode = code;
    exitSignal = signal;
  });
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const slow = await mqtt.connectAsync(url, {
    reconnectPeriod: 0,
    clientId: panel?.deviceId ?? 'slow-operator',
    ...(panel ? { username: panel.deviceId, password: panel.password } : {}),
  });
  if (withSlowSubscriber) await slow.subscribeAsync('sensors/#', { qos: 1 });
  (slow.stream as unknown as { pause(): void }).pause();
  const publishers = await connectPublishers(url, creds);
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(broker.proc.pid as number));
  }, 50);
  const result = await runThroughput(publishers, {
    perPublisher: PER_PUBLISHER,
    window: WINDOW,
    maxMs: 60_000,
  });
  // The subscriber goes away with whatever backlog the broker holds for it.
  slow.stream.destroy();
  await new Promise((r) => setTimeout(r, 3000));
  clearInterval(sampler);
  const alive = exitCode === undefined;
  const crash = /RangeError[^\n]*/.exec(broker.output())?.[0];
  process.stdout.write(
    `${name.padEnd(28)} ${result.perSecond.toFixed(0).padStart(6)} readings/s acked (${result.messages}/${PUBLISHERS * PER_PUBLISHER} in ${(result.elapsedMs / 1000).toFixed(1)} s), peak RSS ${peak.toFixed(0)} MB, ` +
      `after the slow subscriber's disconnect: ${alive ? 'alive' : `DEAD (exit ${exitCode ?? exitSignal}${crash ? `: ${crash}` : ''})`}\n`,
  );
  await closeAll(publishers);
  if (alive) broker.proc.kill('SIGTERM');
}

const dir = await mkdtemp(join(tmpdir(), 'edgeflow-slowsub-'));
try {
  const registryFile = join(dir, 'devices.json');
  const registry: Parameters<typeof writeRegistry>[1] = { version: 1, devices: {} };
  const creds: Array<{ deviceId: string; password: string }> = [];
  const params = { N: 16, r: 1, p: 1, keyLen: 32 };
  for (let i = 0; i < PUBLISHERS; i++) {
    const deviceId = `dev-${String(i).padStart(3, '0')}`;
    const password = generateSecret();
    registry.devices[deviceId] = { ...(await hashSecret(password, params)), role: 'device' };
    creds.push({ deviceId, password });
  }
  const panel = { deviceId: 'panel', password: generateSecret() };
  registry.devices.panel = { ...(await hashSecret(panel.password, params)), role: 'operator' };
  await writeRegistry(registryFile, registry);
  process.stdout.write(
    `slow subscriber: ${PUBLISHERS} publishers x ${PER_PUBLISHER} QoS 1 (window ${WINDOW}), one sensors/# subscriber that never reads\n`,
  );
  await scenario(
    '(a) aedes, default options',
    [here('./raw-aedes.ts')],
    creds.map(({ deviceId }) => ({ deviceId })),
    undefined,
  );
  await scenario('(b) gateway broker side', [here('./broker-only.ts'), registryFile], creds, panel);
  await scenario(
    '    same, no slow subscriber',
    [here('./broker-only.ts'), registryFile],
    creds,
    panel,
    false,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
