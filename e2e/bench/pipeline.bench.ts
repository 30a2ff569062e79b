/**
 * `npm run bench`: the whole benchmark set in one run, one table, one JSON file under
 * bench/results/. Phases, in order, so the quiet ones come before the heavy ones:
 *   1. codec: the standard mix at the default linger (pure, instant);
 *   2. ingest: `bench:ingest` as a child (its own emulators; CPU us and writes per reading);
 *   3. the local pipeline at the default linger: a 50-device fleet for the real batches
 *      (sizes on the uplink, documents written per batch, invocation times) while one device
 *      drives alert episodes (device -> local MQTT alert and -> cloud alert record);
 *   4. QoS 1 throughput, raw aedes vs the gateway, alternating rounds;
 *   5. device -> local alert latency under ~10k readings/s;
 * then prices the measured counts (cost.ts, prices.ts). Loopback only; every phase bounded.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { telemetryTopicName, topologyFor } from '@edgeflow/shared';
import { runFleet } from '@edgeflow/simulators';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { closeAll, connectPublishers, runAlertLatency } from '../../edge/bench/load.ts';
import { GATEWAY_ID, type Pipeline, startPipeline } from '../src/pipeline.ts';
import { BENCH_RULES, runAlertEpisodes, transitionKey } from './alert-latency.ts';
import { alertStages } from './alert-stages.ts';
import { parseEdgeBench, parseRows, rowValue, runChildBench } from './child-bench.ts';
import { sizeFigures, standardMixFigures } from './codec-figures.ts';
import { billedInstanceSeconds, costPerMillion, naiveUsage, pubsubBilledBytes } from './cost.ts';
import { measureThroughput, processRssMiB } from './edge-throughput.ts';
import { GCP_PRICES, INGEST_FUNCTION_SIZE } from './prices.ts';
import { type BenchFigures, benchRows } from './rows.ts';
import { summarize } from './stats.ts';
import { formatTable, rowsAsJson } from './table.ts';
import type { TappedBatch } from './tap.ts';
import { openTap, type Tap } from './tap.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const INGEST_BENCH = join(ROOT, 'cloud/bench/ingest.bench.ts');
const EDGE_BENCH = join(ROOT, 'edge/bench/edge.bench.ts');
/** The forwarder's default linger (edge/src/forwarder/config.ts); the cost figures assume it. */
const DEFAULT_LINGER_MS = 60_000;
const LOAD_PUBLISHERS = 10;

const positiveInt = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

function options() {
  return new Command('bench')
    .description(
      'Runs the edgeflow benchmark set (edge, upstream bytes, alert latency, ingest, cost) on the local stack and writes one table and one JSON file.',
    )
    .option('--episodes <n>', 'alert episodes (raise + clear) for the latency samples', positiveInt, 100)
    .option('--pace-ms <n>', 'pause between alert transitions', positiveInt, 500)
    .option('--fleet-devices <n>', 'background fleet devices (4 metrics each at 1 Hz)', positiveInt, 50)
    .option(
      '--fleet-seconds <n>',
      'background fleet duration (>= the 60 s linger for a real batch)',
      positiveInt,
      75,
    )
    .option('--rounds <n>', 'throughput rounds per broker (raw aedes, gateway alternating)', positiveInt, 3)
    .option('--round-ms <n>', 'length of one throughput round', positiveInt, 5_000)
    .option('--latency-rate <n>', 'readings/s during the local-alert latency phase', positiveInt, 10_000)
    .option('--latency-seconds <n>', 'length of the local-alert latency phase', positiveInt, 10)
    .option('--function-log <file>', 'append every function output line here (diagnosis)')
    .option('--skip-ingest', 'do not run bench:ingest (its rows show as not measured)')
    .option('--skip-edge', 'do not run bench:edge (its rows show as not measured)')
    .option('--out <dir>', 'where the JSON result goes', join(ROOT, 'bench/results'))
    .parse()
    .opts<{
      episodes: number;
      paceMs: number;
      fleetDevices: number;
      fleetSeconds: number;
      rounds: number;
      roundMs: number;
      latencyRate: number;
      latencySeconds: number;
      skipIngest?: boolean;
      skipEdge?: boolean;
      functionLog?: string;
      out: string;
    }>();
}

const startedAt = performance.now();
function progress(message: string): void {
  const s = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${s} s] ${message}\n`);
}

async function ingestBench(skip: boolean) {
  if (skip) return { rows: new Map<string, number>(), error: 'skipped (--skip-ingest)' };
  progress('bench:ingest (child process, its own emulators)...');
  const res = await runChildBench(INGEST_BENCH, [], 300_000, (l) => progress(`  ingest | ${l}`));
  return { rows: parseRows(res.lines), error: res.ok ? undefined : res.error };
}

/** Waits until every tapped batch with readings has its "batch persisted" line, bounded. */
async function waitPersisted(tap: Tap, batches: readonly TappedBatch[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (batches.some((b) => !tap.persisted.has(b.batchId)) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const opts = options();
  const figures: BenchFigures = { notes: [] };
  const prices = GCP_PRICES;
  const minBilled = prices.pubsub.minBilledBytesPerRequest;
  const telemetryTopic = telemetryTopicName(GATEWAY_ID);
  const telemetrySubscriptions = topologyFor([GATEWAY_ID]).subscriptions.filter(
    (s) => s.topic === telemetryTopic,
  ).length;

  progress('codec: standard mix (50 devices x 4 metrics at 1 Hz) in 60 s batches');
  figures.standardMix = standardMixFigures(DEFAULT_LINGER_MS / 1000, 2, minBilled);

  const ingest = await ingestBench(opts.skipIngest === true);
  figures.ingestCpuUsPerReading = rowValue(ingest.rows, 'CPU us/reading');
  figures.ingestWritesPerReading = rowValue(ingest.rows, 'Firestore writes/reading');
  figures.ingestReadingsPerSecond = rowValue(ingest.rows, 'readings/s end to end');
  if (ingest.error) figures.notes.push(`bench:ingest: ${ingest.error}`);

  if (opts.skipEdge) figures.notes.push('bench:edge: skipped (--skip-edge)');
  else {
    progress('bench:edge (child process: raw aedes vs gateway + Pub/Sub emulator)...');
    const edge = await runChildBench(EDGE_BENCH, [], 600_000, (l) => progress(`  edge | ${l}`));
    figures.edgeBench = parseEdgeBench(edge.lines);
    if (!edge.ok) figures.notes.push(`bench:edge: ${edge.error}`);
  }

  const episodeDevice = opts.fleetDevices + LOAD_PUBLISHERS;
  let tap: Tap | undefined;
  const functionLog = opts.functionLog ? createWriteStream(opts.functionLog, { flags: 'a' }) : undefined;
  const ingestLines: string[] = [];
  progress('starting the local pipeline (emulators, functions, gateway)...');
  const pipeline: Pipeline = await startPipeline({
    devices: episodeDevice + 1,
    rules: BENCH_RULES,
    lingerMs: DEFAULT_LINGER_MS,
    // The episode device drives a zero-hold rule back to back, on purpose: above the default
    // per-device transition rate, which would suppress the episodes being timed.
    gatewayConfig: { fairness: { transitionsPerSec: 100, transitionsBurst: 100 } },
    logger: pino({ level: 'warn' }, pino.destination(2)),
    onFunctionLine: (fn, line) => {
      functionLog?.write(`${fn} ${line}\n`);
      if (fn !== 'ingest') return;
      if (tap) tap.onIngestLine(line);
      else ingestLines.push(line);
    },
  });
  const stop = async () => {
    await tap?.close();
    await pipeline.stop();
    functionLog?.end();
  };
  process.once('SIGINT', () => {
    void stop().finally(() => process.exit(130));
  });
  try {
    progress(`pipeline up (ms from its start): ${JSON.stringify(pipeline.timings)}`);
    tap = await openTap(pipeline.cloud.pubsubHost, pipeline.cloud.projectId, telemetryTopic);
    for (const l of ingestLines.splice(0)) tap.onIngestLine(l);
    const creds = pipeline.credentials.devices;

    progress(
      `phase 3: fleet of ${opts.fleetDevices} devices for ${opts.fleetSeconds} s at linger ${DEFAULT_LINGER_MS} ms, ` +
        `${opts.episodes} alert episodes paced ${opts.paceMs} ms`,
    );
    const fleet = runFleet({
      brokerUrl: pipeline.gateway.mqttUrl,
      devices: opts.fleetDevices,
      rate: 4,
      durationMs: opts.fleetSeconds * 1000,
      credentials: pipeline.credentials,
      qos: 1,
      progressIntervalMs: 10_000,
    });
    const episodes = await runAlertEpisodes(pipeline, creds[episodeDevice]!, {
      warmUpEpisodes: 1,
      episodes: opts.episodes,
      paceMs: opts.paceMs,
      settleTimeoutMs: 15_000,
      onProgress: (sent, total, edge, cloud) =>
        progress(`  episodes: ${sent}/${total} transitions sent, seen at edge ${edge}, in cloud ${cloud}`),
    });
    figures.edgeAlertLowLoad = summarize(episodes.edgeLatenciesMs);
    figures.cloudAlert = summarize(episodes.cloudLatenciesMs);
    figures.transitionsSent = episodes.transitionsSent;
    figures.episodePaceMs = opts.paceMs;
    figures.coldCloudAlertMs = episodes.coldCloudMs;
    figures.cloudAlertBySendOrderMs = episodes.cloudBySendOrderMs.map((ms) =>
      ms === null ? null : Math.round(ms),
    );
    const fleetSummary = await fleet;
    progress(`  fleet done: ${fleetSummary.acked} readings acknowledged, ${fleetSummary.failed} failed`);
    // The linger flush of the fleet's readings: wait for it to be published and persisted.
    const lingerDeadline = performance.now() + DEFAULT_LINGER_MS + 30_000;
    while (!tap.batches.some((b) => b.readings.length > 0) && performance.now() < lingerDeadline) {
      await new Promise((r) => setTimeout(r, 500));
    }
    const steady = tap.batches.filter((b) => b.readings.length > 0);
    await waitPersisted(tap, steady, 60_000);
    progress(`  ${steady.length} telemetry batches seen on the uplink, ${tap.persisted.size} persisted`);
    figures.alertStages = alertStages(
      episodes.sentAtWallMs,
      episodes.cloudSeenAtWallMs,
      tap.batches,
      tap.persisted,
      transitionKey,
    );
    figures.uplink = uplinkFigures(steady, minBilled, figures);
    figures.ingestRun = ingestRunFigures(tap, steady, telemetrySubscriptions, figures);

    progress(`phase 4: QoS 1 throughput, ${opts.rounds} rounds x ${opts.roundMs} ms per broker`);
    const loadDevices = creds.slice(opts.fleetDevices, opts.fleetDevices + LOAD_PUBLISHERS);
    figures.throughput = await measureThroughput(pipeline.gateway.mqttUrl, loadDevices, {
      rounds: opts.rounds,
      roundMs: opts.roundMs,
      window: 100,
      onRound: (what, round, perSecond) =>
        progress(`  ${what} round ${round}: ${Math.round(perSecond)} readings/s`),
    });

    progress(`phase 5: local alert latency at ${opts.latencyRate} readings/s for ${opts.latencySeconds} s`);
    const publishers = await connectPublishers(pipeline.gateway.mqttUrl, loadDevices);
    try {
      // The probe device is the alert-episode device (its episodes are over by now).
      const r = await runAlertLatency(
        publishers,
        {
          url: pipeline.gateway.mqttUrl,
          device: creds[episodeDevice]!,
          panel: { deviceId: pipeline.console.username, password: pipeline.console.password },
        },
        {
          ratePerSecond: opts.latencyRate,
          durationMs: opts.latencySeconds * 1000,
          window: 100,
          alertsPerSecond: 100,
        },
      );
      figures.edgeAlertUnderLoad = { samples: r.alerts, p50Ms: r.p50Ms, p99Ms: r.p99Ms, maxMs: r.maxMs };
      figures.latencyPhaseRate = r.achievedPerSecond;
      progress(`  ${r.sent} readings at ${Math.round(r.achievedPerSecond)}/s, ${r.alerts} alerts matched`);
    } finally {
      await closeAll(publishers);
    }
    figures.gatewayRss = await processRssMiB(pipeline.gateway.child.pid);
  } finally {
    progress('stopping the pipeline...');
    await stop();
  }

  const cost = figures.ingestRun
    ? costPerMillion(figures.ingestRun.usage, prices, INGEST_FUNCTION_SIZE)
    : undefined;
  const naive = costPerMillion(
    naiveUsage(
      {
        readings: 1_000_000,
        jsonMessageBytes:
          figures.uplink?.sizes.jsonBytesPerReading ?? figures.standardMix.jsonBytesPerReading,
        invocationMs: prices.functions.billingGranularityMs,
        subscriptions: telemetrySubscriptions,
      },
      prices,
    ),
    prices,
    INGEST_FUNCTION_SIZE,
  );
  figures.cost = cost;
  figures.naiveCost = naive;

  const rows = benchRows(figures);
  const table = formatTable(rows);
  console.log(`\nedgeflow bench: node ${process.version}, ${new Date().toISOString()}\n`);
  console.log(table);
  for (const n of figures.notes) console.log(`note: ${n}`);
  console.log(
    `prices: ${prices.sources.join('; ')}; assumed on ${prices.assumedOn}; function size ${INGEST_FUNCTION_SIZE.vcpu} vCPU / ${INGEST_FUNCTION_SIZE.memoryGiB} GiB`,
  );

  await mkdir(opts.out, { recursive: true });
  const file = join(opts.out, `pipeline-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(
    file,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        options: opts,
        prices,
        functionSize: INGEST_FUNCTION_SIZE,
        rows: rowsAsJson(rows),
        figures,
        ingestBenchRows: Object.fromEntries(ingest.rows),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nresults: ${file}`);
}

function uplinkFigures(batches: readonly TappedBatch[], minBilled: number, figures: BenchFigures) {
  if (batches.length === 0) {
    figures.notes.push('no telemetry batch seen on the uplink: no upstream size figures');
    return undefined;
  }
  const readings = batches.flatMap((b) => b.readings);
  const sizes = sizeFigures(
    batches[0]!.gatewayId,
    readings,
    batches.map((b) => b.bytes),
    minBilled,
  );
  return { sizes, readingsPerBatch: readings.length / batches.length };
}

/** What ingest spent on the batches it persisted: documents, invocation time, priced usage. */
function ingestRunFigures(
  tap: Tap,
  batches: readonly TappedBatch[],
  subscriptions: number,
  figures: BenchFigures,
) {
  const done = batches.filter((b) => tap.persisted.has(b.batchId));
  if (done.length < batches.length)
    figures.notes.push(
      `${batches.length - done.length} of ${batches.length} telemetry batches not persisted in time`,
    );
  if (done.length === 0) {
    figures.notes.push('no telemetry batch persisted: no in-pipeline ingest or cost figures');
    return undefined;
  }
  const readings = done.reduce((a, b) => a + b.readings.length, 0);
  const invocationMs = done.map((b) =>
    Math.max(0, tap.persisted.get(b.batchId)!.persistedAtMs - b.publishTimeMs),
  );
  const writes = done.reduce((a, b) => a + tap.persisted.get(b.batchId)!.documentWrites, 0);
  const reads = done.reduce((a, b) => a + tap.persisted.get(b.batchId)!.documentReads, 0);
  const minBilled = GCP_PRICES.pubsub.minBilledBytesPerRequest;
  return {
    invocationMsMean: invocationMs.reduce((a, b) => a + b, 0) / invocationMs.length,
    writesPerReading: writes / readings,
    usage: {
      readings,
      pubsubBilledBytes: pubsubBilledBytes(
        done.map((b) => b.bytes),
        subscriptions,
        minBilled,
      ),
      invocations: done.length,
      billedInstanceSeconds: billedInstanceSeconds(invocationMs, GCP_PRICES.functions.billingGranularityMs),
      firestoreWrites: writes,
      // Profile reads are left out: a cache makes them one per device per TTL, not per batch.
      firestoreReads: reads,
    },
  };
}

await main();
process.exit(0);
