/**
 * `npm run bench:edge`: the gateway against raw aedes, in one run, same load generator.
 *
 *   (a) raw aedes (default options, in-memory persistence, no hooks) in its own process
 *   (b) the full gateway as deployed (the `npm run build:gateway` bundle with its V8 flags:
 *       auth, ingest, rules, durable outbox with grouped fsync, forwarder to the Pub/Sub
 *       emulator) in its own process
 *   (b') the same gateway bundle with the broker limits off (packet-size guard not installed,
 *       connection/subscription caps and timeouts at their library defaults or beyond), so
 *       the cost of the limits is the difference of the two ratios within one run
 *   and, as a diagnostic, the broker side alone (broker-only.ts: same code, in-memory sink),
 *   which splits the gap between (a) and (b) into broker-side cost and durability/forwarding.
 *
 * Load: 10 mqtt.js publishers in this process, QoS 1, bounded in-flight window each, bounded
 * by count and time. First a steady 10k readings/s on the fresh gateway, 100/s of them from
 * the alert probe (alert-probe.ts, its own process: a device crossing a zero-hold threshold
 * and a panel timing the alerts): device-publish -> local-alert latency p50/p99, and the
 * gateway's RSS (VmRSS from /proc, the max of samples every 100 ms). Then full-speed rounds alternating (a) and (b): readings/s, the ratio, and
 * CPU time per reading of both processes (all threads, user + system), which is steadier
 * than readings/s on a shared machine. Figures are ratios within one run; not test assertions.
 *
 * Options (env): BENCH_PER_PUBLISHER (default 10000), BENCH_WINDOW (100), BENCH_MAX_MS (30000),
 * BENCH_LATENCY_MS (8000), BENCH_RATE (10000), BENCH_ROUNDS (3), BENCH_GATEWAY_NODE_ARGS (extra
 * node flags for the gateway), BENCH_LINGER_MS (forwarder linger, 1000), BENCH_MAX_BATCH
 * (20000), BENCH_CHILD_LOG (file receiving the children's output), BENCH_DEBUG (heap spaces
 * and an smaps breakdown of the gateway after the steady phase), BENCH_LIMITS_ONLY=1 (only the
 * full-speed rounds of (a), (b) and (b'): the limits comparison, in a few minutes).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startPubSubEmulator } from '@edgeflow/cloud/local';
import { DEFAULT_RULES, telemetryTopicName } from '@edgeflow/shared';
import { PubSub } from '@google-cloud/pubsub';
import { stringify } from 'yaml';
import { buildGateway, GATEWAY_NODE_FLAGS } from '../scripts/build.ts';
import { MQTT_MAX_PACKET_BYTES } from '../src/broker/limits/packet-guard.ts';
import { generateSecret, hashSecret } from '../src/registry/secret.ts';
import { writeRegistry } from '../src/registry/store.ts';
import { closeAll, connectPublishers, runAlertLatency, runThroughput } from './load.ts';

const PUBLISHERS = 10;
const PER_PUBLISHER = Number(process.env.BENCH_PER_PUBLISHER ?? 10_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100);
const MAX_MS = Number(process.env.BENCH_MAX_MS ?? 30_000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 8_000);
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LIMITS_ONLY = process.env.BENCH_LIMITS_ONLY === '1';
/** Every broker limit off: caps at the protocol maximum (no packet guard) or beyond any load. */
const LIMITS_OFF = {
  maxConnectPacketBytes: MQTT_MAX_PACKET_BYTES,
  maxPacketBytes: MQTT_MAX_PACKET_BYTES,
  connectTimeoutMs: 30_000, // aedes' default
  maxConnections: 1_000_000_000,
  maxSubscriptionsPerClient: 1_000_000_000,
  tlsHandshakeTimeoutMs: 120_000, // Node's default
};
const PROJECT = 'demo-edgeflow';
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function spawnReady(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // BENCH_CHILD_LOG=<file>: keep the children's output (e.g. with --trace-gc) for diagnosis.
  if (process.env.BENCH_CHILD_LOG) {
    const sink = createWriteStream(process.env.BENCH_CHILD_LOG, { flags: 'a' });
    proc.stdout?.pipe(sink);
    proc.stderr?.pipe(sink);
  }
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ proc, port: Number(match[1]) });
      }
      if (out.length > 100_000) out = out.slice(-10_000);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`exited early (${code}):\n${out}`)));
  });
}

function stop(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    proc.removeAllListeners('exit');
    proc.on('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
  });
}

/** kB fields of /proc/<pid>/status, in MB. */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rssMb: field('VmRSS'), peakMb: field('VmHWM') };
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat. */
function cpuSecondsOf(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

/** Runs `work` and returns its result with the CPU time `pid` spent meanwhile, in µs per message. */
async function withCpu<T extends { messages: number }>(
  pid: number,
  work: () => Promise<T>,
): Promise<T & { cpuUsPerMessage: number }> {
  const before = cpuSecondsOf(pid);
  const result = await work();
  return { ...result, cpuUsPerMessage: ((cpuSecondsOf(pid) - before) * 1e6) / result.messages };
}

const dir = await mkdtemp(join(tmpdir(), 'edgeflow-bench-'));
const cleanups: Array<() => Promise<unknown>> = [async () => rm(dir, { recursive: true, force: true })];
try {
  log(
    `bench:edge  ${PUBLISHERS} publishers x ${PER_PUBLISHER} QoS 1 per run (window ${WINDOW}, cap ${MAX_MS} ms), ${ROUNDS} alternating rounds; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} CPUs`,
  );

  // Both brokers run for the whole benchmark, each in its own process, and are measured in
  // alternating rounds: on a shared 2-core box the load from other processes drifts, and
  // interleaving makes both runs of a round see about the same machine.
  const raw = await spawnReady([here('./raw-aedes.ts')], process.env, /ready (\d+)/);
  cleanups.push(() => stop(raw.proc));

  const emulator = await startPubSubEmulator({ projectId: PROJECT });
  cleanups.push(() => emulator.stop());
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
  cleanups.push(() => pubsub.close());
  const [topic] = await pubsub.createTopic(telemetryTopicName('bench-gw'));
  // The limits-off gateway of the comparison rounds publishes to a topic of its own (nobody reads it).
  await pubsub.createTopic(telemetryTopicName('bench-gw-nolimits'));
  const [tap] = await topic.createSubscription('bench-tap');
  let forwardedReadings = 0;
  let forwardedAlerts = 0;
  tap.on('message', (message) => {
    forwardedReadings += Number(message.attributes.count ?? 0);
    forwardedAlerts += Number(message.attributes.alerts ?? 0);
    message.ack();
  });

  const devices: Array<{ deviceId: string; password: string }> = [];
  const registry: Parameters<typeof writeRegistry>[1] = { version: 1, devices: {} };
  // Fleet-cost scrypt, as `devices provision` uses.
  const params = { N: 1024, r: 8, p: 1, keyLen: 32 };
  for (const id of [
    ...Array.from({ length: PUBLISHERS }, (_, i) => `bench-${String(i).padStart(2, '0')}`),
    'bench-probe',
    'bench-panel',
  ]) {
    const password = generateSecret();
    registry.devices[id] = {
      ...(await hashSecret(password, params)),
      role: id === 'bench-panel' ? 'operator' : 'device',
    };
    devices.push({ deviceId: id, password });
  }
  const registryFile = join(dir, 'devices.json');
  await writeRegistry(registryFile, registry);
  const writeConfig = async (name: string, httpPort: number, limits?: typeof LIMITS_OFF): Promise<string> => {
    const configFile = join(dir, `${name}.yaml`);
    await writeFile(
      configFile,
      stringify({
        gatewayId: name,
        logLevel: 'warn',
        registryFile,
        mqtt: { host: '127.0.0.1', port: 0, ...(limits ? { limits } : {}) },
        http: { host: '127.0.0.1', port: httpPort },
        rules: {
          // The fleet defaults, with a zero-hold temperature rule so every flip is a transition.
          defaults: {
            ...DEFAULT_RULES,
            temperature: [
              {
                id: 'bench-high',
                kind: 'threshold',
                severity: 'warning',
                direction: 'above',
                threshold: 30,
                clearBand: 1,
                raiseHoldMs: 0,
                clearHoldMs: 0,
              },
            ],
          },
        },
        // The probe device flips its rule on every reading (100 transitions/s), and each bulk
        // publisher sends BENCH_RATE / 10 readings/s, on purpose: limits far above both, so the
        // limiters' cost is measured without them refusing anything.
        fairness: {
          readingsPerSec: 1_000_000,
          readingsBurst: 1_000_000,
          transitionsPerSec: 1000,
          transitionsBurst: 1000,
        },
        outbox: { dir: join(dir, `${name}-outbox`) },
        forwarder: {
          projectId: PROJECT,
          topic: telemetryTopicName(name),
          lingerMs: Number(process.env.BENCH_LINGER_MS ?? 1000),
          maxBatchReadings: Number(process.env.BENCH_MAX_BATCH ?? 20000),
        },
      }),
    );
    return configFile;
  };
  const httpPort = await freePort();
  const configFile = await writeConfig('bench-gw', httpPort);
  const limitsOffConfigFile = await writeConfig('bench-gw-nolimits', await freePort(), LIMITS_OFF);
  const brokerOnly = LIMITS_ONLY
    ? undefined
    : await spawnReady([here('./broker-only.ts'), registryFile], process.env, /ready (\d+)/);
  if (brokerOnly) cleanups.push(() => stop(brokerOnly.proc));
  const entry = buildGateway().entry;
  const spawnGateway = (config: string) =>
    spawnReady(
      [
        ...GATEWAY_NODE_FLAGS,
        // After the defaults, so a flag given here wins.
        ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        entry,
        '--config',
        config,
      ],
      { ...process.env, PUBSUB_EMULATOR_HOST: emulator.host },
      /gateway ready mqtt:\/\/[^:]+:(\d+)/,
    );
  const gateway = await spawnGateway(configFile);
  cleanups.push(() => stop(gateway.proc));
  const url = `mqtt://127.0.0.1:${gateway.port}`;
  const idle = memoryOf(gateway.proc.pid as number);

  const rawPublishers = await connectPublishers(
    `mqtt://127.0.0.1:${raw.port}`,
    Array.from({ length: PUBLISHERS }, (_, i) => ({ deviceId: `bench-${String(i).padStart(2, '0')}` })),
  );
  const publishers = await connectPublishers(url, devices.slice(0, PUBLISHERS));
  const brokerOnlyPublishers = brokerOnly
    ? await connectPublishers(`mqtt://127.0.0.1:${brokerOnly.port}`, devices.slice(0, PUBLISHERS))
    : [];
  let acceptedByGateway = 0;
  /** Waits (bounded) until Pub/Sub has everything the gateway acknowledged, so a drain never overlaps the next run. */
  const drained = async (timeoutMs: number): Promise<number> => {
    const started = performance.now();
    while (forwardedReadings < acceptedByGateway && performance.now() - started < timeoutMs) {
      await new Promise((r) => setTimeout(r, 100));
    }
    return performance.now() - started;
  };
  if (!LIMITS_ONLY) {
    // (1) Steady 10k readings/s on the fresh gateway: alert latency, and RSS sampled throughout.
    // This runs first so its RSS is the steady-state figure, not the high-water mark the
    // full-speed rounds below leave behind (V8 keeps a grown heap); that one is printed too.
    // The alert probe (its own process): one device crossing the threshold 100 times a second,
    // one panel timing the alerts; the 10 publishers here make up the rest of the 10k/s.
    const probe = {
      url,
      device: devices.find((d) => d.deviceId === 'bench-probe') as (typeof devices)[number],
      panel: devices.find((d) => d.deviceId === 'bench-panel') as (typeof devices)[number],
    };
    const paced = { ratePerSecond: RATE, window: WINDOW, alertsPerSecond: 100 };
    // JIT warm-up at the same rate; its figures are discarded.
    acceptedByGateway += (await runAlertLatency(publishers, probe, { ...paced, durationMs: 2000 })).sent;
    let steadyRssMb = 0;
    const sampler = setInterval(() => {
      steadyRssMb = Math.max(steadyRssMb, memoryOf(gateway.proc.pid as number).rssMb);
    }, 100);
    const latency = await runAlertLatency(publishers, probe, { ...paced, durationMs: LATENCY_MS });
    clearInterval(sampler);
    if (process.env.BENCH_DEBUG) {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      for (const line of text.split('\n').filter((l) => /^nodejs_(heap|external)/.test(l)))
        log(`  debug ${line.replace(/ (\d+)$/, (_, v) => ` ${(Number(v) / 2 ** 20).toFixed(1)} MiB`)}`);
      log(
        `  debug ${readFileSync(`/proc/${gateway.proc.pid}/status`, 'utf8')
          .match(/^(VmRSS|RssAnon|RssFile|RssShmem).*$/gm)
          ?.join(' | ')}`,
      );
      // Anonymous RSS by mapping kind: brk heap (malloc), large reservations (glibc arenas,
      // V8 code range / cage), and the rest (mostly V8 heap pages, thread stacks).
      const kinds = new Map<string, number>();
      let kind = '';
      for (const line of readFileSync(`/proc/${gateway.proc.pid}/smaps`, 'utf8').split('\n')) {
        const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
        if (head) {
          const sizeMb =
            (Number.parseInt(head[2] as string, 16) - Number.parseInt(head[1] as string, 16)) / 2 ** 20;
          const name = head[3] ?? '';
          kind = name.startsWith('/')
            ? 'file'
            : name || (sizeMb >= 60 ? 'anon in >= 60 MB mappings' : 'anon in small mappings');
        }
        const rss = /^Rss:\s+(\d+) kB/.exec(line);
        if (rss) kinds.set(kind, (kinds.get(kind) ?? 0) + Number(rss[1]) / 1024);
      }
      log(`  debug smaps ${[...kinds].map(([k, v]) => `${k} ${v.toFixed(1)} MB`).join(' | ')}`);
    }
    acceptedByGateway += latency.sent;
    log(
      `    alert latency       p50 ${latency.p50Ms.toFixed(2)} ms  p99 ${latency.p99Ms.toFixed(2)} ms  max ${latency.maxMs.toFixed(2)} ms   target p99 <= 5 ms` +
        `  (${latency.alerts} alerts, ${latency.achievedPerSecond.toFixed(0)} readings/s offered, window-full ticks ${latency.behind})`,
    );
    log(
      `    gateway RSS         ${steadyRssMb.toFixed(1)} MB max at 10k/s (idle ${idle.rssMb.toFixed(1)} MB)   target <= 120 MB`,
    );
    await drained(30_000);
  }

  // (2) Full speed, alternating rounds. The limits-off gateway starts only now, so it does
  // not share the machine with the steady phase above.
  const limitsOff = await spawnGateway(limitsOffConfigFile);
  cleanups.push(() => stop(limitsOff.proc));
  const limitsOffPublishers = await connectPublishers(
    `mqtt://127.0.0.1:${limitsOff.port}`,
    devices.slice(0, PUBLISHERS),
  );
  const warmUp = { perPublisher: Math.min(2000, PER_PUBLISHER), window: WINDOW, maxMs: MAX_MS };
  await runThroughput(rawPublishers, warmUp);
  if (brokerOnly) await runThroughput(brokerOnlyPublishers, warmUp);
  acceptedByGateway += (await runThroughput(publishers, warmUp)).messages;
  acceptedByGateway += (await runThroughput(limitsOffPublishers, warmUp)).messages;
  await drained(30_000);

  const ratios: number[] = [];
  const rawRates: number[] = [];
  const brokerOnlyRates: number[] = [];
  const gwRates: number[] = [];
  const offRatios: number[] = [];
  const ratioDrops: number[] = [];
  const cpuOn: number[] = [];
  const cpuOff: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const load = { perPublisher: PER_PUBLISHER, window: WINDOW, maxMs: MAX_MS };
    const a = await withCpu(raw.proc.pid as number, () => runThroughput(rawPublishers, load));
    const c = brokerOnly ? await runThroughput(brokerOnlyPublishers, load) : undefined;
    if (c) brokerOnlyRates.push(c.perSecond);
    // Limits on and off in alternating order, so neither always runs on the warmer machine.
    const runOn = () => withCpu(gateway.proc.pid as number, () => runThroughput(publishers, load));
    const runOff = () =>
      withCpu(limitsOff.proc.pid as number, () => runThroughput(limitsOffPublishers, load));
    let b: Awaited<ReturnType<typeof runOn>>;
    let d: Awaited<ReturnType<typeof runOff>>;
    if (round % 2 === 1) {
      b = await runOn();
      d = await runOff();
    } else {
      d = await runOff();
      b = await runOn();
    }
    acceptedByGateway += b.messages + d.messages;
    const drainMs = await drained(30_000);
    rawRates.push(a.perSecond);
    gwRates.push(b.perSecond);
    ratios.push(b.perSecond / a.perSecond);
    offRatios.push(d.perSecond / a.perSecond);
    ratioDrops.push((d.perSecond - b.perSecond) / a.perSecond);
    cpuOn.push(b.cpuUsPerMessage);
    cpuOff.push(d.cpuUsPerMessage);
    const brokerSide = c
      ? `broker side only ${c.perSecond.toFixed(0).padStart(6)}/s, ${(c.perSecond / a.perSecond).toFixed(2)}; `
      : '';
    log(
      `round ${round}: (a) raw aedes ${a.perSecond.toFixed(0).padStart(6)}/s   (b) gateway ${b.perSecond.toFixed(0).padStart(6)}/s   ratio ${(b.perSecond / a.perSecond).toFixed(2)}   (b') limits off ${d.perSecond.toFixed(0).padStart(6)}/s   ratio ${(d.perSecond / a.perSecond).toFixed(2)}   [${brokerSide}CPU µs/reading raw ${a.cpuUsPerMessage.toFixed(1)}, gateway ${b.cpuUsPerMessage.toFixed(1)}, limits off ${d.cpuUsPerMessage.toFixed(1)}]   (forwarded ${(drainMs / 1000).toFixed(1)} s after)`,
    );
  }
  await closeAll(rawPublishers);
  await closeAll(brokerOnlyPublishers);
  await closeAll(limitsOffPublishers);
  await stop(raw.proc);
  if (brokerOnly) await stop(brokerOnly.proc);
  await stop(limitsOff.proc);
  const afterThroughput = memoryOf(gateway.proc.pid as number);
  log(`(a) raw aedes        median ${median(rawRates).toFixed(0).padStart(7)} readings/s`);
  log(`(b) gateway          median ${median(gwRates).toFixed(0).padStart(7)} readings/s`);
  log(`    ratio (b)/(a)    median ${median(ratios).toFixed(2)} of ${ROUNDS} rounds   target >= 0.80`);
  log(
    `    limits: ratio with limits on ${median(ratios).toFixed(3)}, off ${median(offRatios).toFixed(3)}; drop (off - on) median ${median(ratioDrops).toFixed(3)} (per round ${ratioDrops.map((r) => r.toFixed(3)).join(' ')})   target <= 0.05` +
      `; CPU µs/reading on ${median(cpuOn).toFixed(1)}, off ${median(cpuOff).toFixed(1)} (${(((median(cpuOn) - median(cpuOff)) / median(cpuOff)) * 100).toFixed(1)}%); load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  if (brokerOnly) {
    log(
      `    diagnostic: broker side only (auth, ACL, ingest, rules; in-memory sink, no disk, no forwarding) median ${median(brokerOnlyRates).toFixed(0)} readings/s, ${(median(brokerOnlyRates) / median(rawRates)).toFixed(2)} of raw`,
    );
  }
  log(
    `    gateway RSS after the full-speed rounds ${afterThroughput.rssMb.toFixed(1)} MB (peak ${afterThroughput.peakMb.toFixed(1)} MB)`,
  );
  const metricsText = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const metric = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metricsText)?.[1]);
  log(
    `    gateway heap        used ${(metric('nodejs_heap_size_used_bytes') / 2 ** 20).toFixed(1)} MB of ${(metric('nodejs_heap_size_total_bytes') / 2 ** 20).toFixed(1)} MB, external ${(metric('nodejs_external_memory_bytes') / 2 ** 20).toFixed(1)} MB; event-loop lag p99 ${(metric('nodejs_eventloop_lag_p99_seconds') * 1000).toFixed(1)} ms, max ${(metric('nodejs_eventloop_lag_max_seconds') * 1000).toFixed(1)} ms`,
  );
  const fsyncs = metric('edgeflow_outbox_fsyncs_total');
  log(
    `    outbox              ${fsyncs} group commits, ${((metric('edgeflow_outbox_fsync_seconds_sum') / fsyncs) * 1000).toFixed(2)} ms mean fdatasync, ${(acceptedByGateway / fsyncs).toFixed(0)} readings per commit`,
  );
  await closeAll(publishers);

  const drainMs = await drained(30_000);
  log(
    `    forwarded to Pub/Sub ${forwardedReadings}/${acceptedByGateway} acknowledged readings, ${forwardedAlerts} alerts (all in ${(drainMs / 1000).toFixed(1)} s after the load; lingerMs 1000)`,
  );
  const code = await stop(gateway.proc);
  log(`    gateway exit on SIGTERM: ${code}`);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}
process.exit(0);
