/**
 * `npm run bench:login-flood`: outbox commit (fsync) latency while a bad-password CONNECT
 * flood makes the gateway run scrypt flat out, against the same outbox idle, in one run.
 *
 * The gateway (broker side + the real durable outbox, in this process) has one device whose
 * entry uses the default scrypt cost (N=2^14, what `devices add` writes), and the login
 * throttle off: the worst case, every CONNECT costs a full scrypt (with the throttle on, one
 * address gets its 5 free failures and is then refused at no cost). A child process sends
 * CONNECTs with wrong passwords for that device at BENCH_FLOOD_RATE/s over 127.0.0.1; a probe
 * here appends one reading every 10 ms and times append -> onDurable. Phases, same outbox:
 *   idle      the probe alone
 *   flood     the probe during the TCP flood (scrypt on the gateway's worker threads)
 *   libuv     the probe while the same scrypt work (maxConcurrentAuth verifications kept in
 *             flight) runs on libuv's thread pool, as the authenticator did before
 *             scrypt-pool.ts: the baseline the worker threads are there to beat
 * Prints p50/p99/max per phase and the ratios to idle. Options (env): BENCH_PHASE_MS (5000),
 * BENCH_FLOOD_RATE (1000), BENCH_SCRYPT_N (16384), BENCH_AUTH_CONCURRENCY (mqtt.maxConcurrentAuth, 4).
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { systemClock } from '@edgeflow/shared';
import mqttPacket from 'mqtt-packet';
import pino from 'pino';
import { Registry } from 'prom-client';
import { Value } from 'typebox/value';
import { gatewayConfigFrom } from '../src/config.ts';
import { startGateway } from '../src/gateway.ts';
import { type OutboxConfig, OutboxConfigSchema, openOutbox } from '../src/outbox/index.ts';
import { DEFAULT_SCRYPT_PARAMS, generateSecret, hashSecret, verifySecret } from '../src/registry/secret.ts';
import { writeRegistry } from '../src/registry/store.ts';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 5000);
const FLOOD_RATE = Number(process.env.BENCH_FLOOD_RATE ?? 1000);
const SCRYPT_N = Number(process.env.BENCH_SCRYPT_N ?? DEFAULT_SCRYPT_PARAMS.N);
const AUTH_CONCURRENCY = Number(process.env.BENCH_AUTH_CONCURRENCY ?? 4);
const PROBE_EVERY_MS = 10;
/** Flood sockets open at once, at most (each is closed on its CONNACK). */
const MAX_OPEN_SOCKETS = 2000;

interface FloodReport {
  sent: number;
  skipped: number;
  codes: Record<string, number>;
}

/** The child: CONNECTs with a wrong password at `rate`/s for `durationMs`, to 127.0.0.1 only. */
async function runFlooder(port: number, rate: number, durationMs: number): Promise<void> {
  const report: FloodReport = { sent: 0, skipped: 0, codes: {} };
  let open = 0;
  const once = (): void => {
    if (open >= MAX_OPEN_SOCKETS) {
      report.skipped++;
      return;
    }
    open++;
    report.sent++;
    const socket = tcpConnect({ host: '127.0.0.1', port });
    let settled = false;
    const done = (code: string): void => {
      if (settled) return;
      settled = true;
      open--;
      report.codes[code] = (report.codes[code] ?? 0) + 1;
      socket.destroy();
    };
    socket.setTimeout(10_000, () => done('timeout'));
    socket.on('connect', () =>
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: `flood-${report.sent}`,
          keepalive: 0,
          username: 'victim',
          // A new guess each time: a repeated wrong secret is refused from memory, no scrypt.
          password: Buffer.from(`guess-${report.sent}`),
        }),
      ),
    );
    socket.on('data', (chunk: Buffer) => done(`connack-${chunk[3]}`));
    socket.on('error', () => done('error'));
    socket.on('close', () => done('closed'));
  };
  const t0 = performance.now();
  let due = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsedMs = performance.now() - t0;
      if (elapsedMs >= durationMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      const target = Math.floor((elapsedMs * rate) / 1000);
      while (due < target) {
        due++;
        once();
      }
    }, 5);
  });
  const deadline = performance.now() + 10_000;
  while (open > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  process.send?.(report);
}

function summarize(samplesMs: number[]): { p50: number; p99: number; max: number; n: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const pick = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: pick(0.5), p99: pick(0.99), max: sorted.at(-1) ?? Number.NaN, n: sorted.length };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeflow-login-flood-'));
  const registryFile = join(dir, 'devices.json');
  const params = { ...DEFAULT_SCRYPT_PARAMS, N: SCRYPT_N };
  const victim = await hashSecret(generateSecret(), params);
  await writeRegistry(registryFile, { version: 1, devices: { victim: { ...victim, role: 'device' } } });
  const config = gatewayConfigFrom({
    gatewayId: 'bench-gw',
    logLevel: 'silent',
    registryFile,
    mqtt: {
      host: '127.0.0.1',
      port: 0,
      maxConcurrentAuth: AUTH_CONCURRENCY,
      maxQueuedAuth: 64,
      loginThrottle: { enabled: false },
    },
    http: { host: '127.0.0.1', port: 0 },
    outbox: { dir: join(dir, 'outbox') },
  });
  const registry = new Registry();
  const logger = pino({ level: 'silent' });
  const outbox = await openOutbox(
    Value.Default(OutboxConfigSchema, { dir: config.outbox.dir }) as OutboxConfig,
    { clock: systemClock, logger, registry },
  );
  const gateway = await startGateway(config, { outbox, clock: systemClock, logger, registry });

  let seq = 0;
  /** Event-loop delay p99 (ms) of the last probe: tells CPU starvation from fsync starvation. */
  let loopP99Ms = Number.NaN;
  const probe = async (durationMs: number): Promise<number[]> => {
    const samples: number[] = [];
    const pending: Promise<void>[] = [];
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const t0 = performance.now();
    while (performance.now() - t0 < durationMs) {
      const start = performance.now();
      pending.push(
        new Promise<void>((resolve) => {
          outbox.appendReadings(
            [{ deviceId: 'probe', metric: 'temperature', tsMs: Date.now(), value: seq++ }],
            () => {
              samples.push(performance.now() - start);
              resolve();
            },
          );
        }),
      );
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    }
    await Promise.all(pending);
    loop.disable();
    loopP99Ms = loop.percentile(99) / 1e6;
    return samples;
  };

  type Phase = ReturnType<typeof summarize> & { loopP99Ms: number };
  const measure = async (durationMs: number): Promise<Phase> => ({
    ...summarize(await probe(durationMs)),
    loopP99Ms,
  });
  const line = (name: string, s: Phase, idle?: Phase) =>
    `  ${name.padEnd(6)} commit latency p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  max ${s.max.toFixed(2)} ms  (n=${s.n}; event-loop delay p99 ${s.loopP99Ms.toFixed(1)} ms)` +
    (idle
      ? `   ratio to idle: p50 ${(s.p50 / idle.p50).toFixed(2)}x  p99 ${(s.p99 / idle.p99).toFixed(2)}x`
      : '');

  try {
    process.stdout.write(
      `login-flood bench: scrypt N=${params.N} r=${params.r}, ${config.mqtt.maxConcurrentAuth} verifications at once, flood ${FLOOD_RATE}/s, ${PHASE_MS} ms per phase, probe every ${PROBE_EVERY_MS} ms\n`,
    );
    await probe(500); // warm-up
    const idle = await measure(PHASE_MS);

    const child = fork(fileURLToPath(import.meta.url), [
      '--flood',
      String(gateway.mqtt?.port),
      String(FLOOD_RATE),
      String(PHASE_MS),
    ]);
    const floodReport = new Promise<FloodReport>((resolve) =>
      child.once('message', (m) => resolve(m as FloodReport)),
    );
    const flood = await measure(PHASE_MS);
    const report = await floodReport;
    child.kill();
    const refusals = await registry.getSingleMetric('edgeflow_gateway_auth_refusals_total')?.get();
    const byReason = Object.fromEntries(
      (refusals?.values ?? []).filter((v) => v.value > 0).map((v) => [String(v.labels.reason), v.value]),
    );

    // Baseline: the same verifications on libuv's pool, kept maxConcurrentAuth in flight.
    let stopLibuv = false;
    let libuvScrypts = 0;
    const libuvLane = async (): Promise<void> => {
      while (!stopLibuv) {
        await verifySecret('not-the-secret', victim);
        libuvScrypts++;
      }
    };
    const lanes = Array.from({ length: config.mqtt.maxConcurrentAuth }, libuvLane);
    const libuv = await measure(PHASE_MS);
    stopLibuv = true;
    await Promise.all(lanes);

    process.stdout.write(
      `${line('idle', idle)}\n${line('flood', flood, idle)}\n${line('libuv', libuv, idle)}\n`,
    );
    process.stdout.write(
      `  flood: ${report.sent} CONNECTs sent (${report.skipped} skipped at ${MAX_OPEN_SOCKETS} open), answers ${JSON.stringify(report.codes)}; gateway refusals ${JSON.stringify(byReason)}\n` +
        `  libuv baseline: ${libuvScrypts} scrypts in ${PHASE_MS} ms\n`,
    );
  } finally {
    await gateway.stop();
    await outbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--flood') {
  await runFlooder(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
  process.exit(0);
} else {
  await main();
}
