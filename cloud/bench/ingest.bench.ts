/**
 * `npm run bench:ingest`: one ingest instance fed standard-mix batches (50 devices x 4
 * metrics at 1 Hz, 60 s per batch = the gateway's default linger) through Google's
 * emulators. Prints:
 *  - readings/s end to end (decode ... Firestore commits ... publish), emulator included;
 *  - CPU us per reading in our code: decode + validate + enrich + bucket, measured with
 *    process.cpuUsage around exactly that synchronous part (no I/O in flight);
 *  - Firestore writes per reading, counted by the adapters (one per document per commit);
 *  - cold start: import of an esbuild bundle of cloud/src/index.ts in a fresh process
 *    (module load to functions registered), median of 5, against the unbundled source.
 * Env: EDGEFLOW_BENCH_BATCHES (default 10).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type DeviceProfile,
  decodeBatch,
  encodeBatch,
  SHARED_TOPICS,
  systemClock,
  telemetryTopicName,
} from '@edgeflow/shared';
import { PubSub } from '@google-cloud/pubsub';
import { buildSync } from 'esbuild';
import pino from 'pino';
import { standardMix } from '../../shared/bench/standard-mix.ts';
import { createFirestore, newWriteCounter } from '../src/adapters/firestore/client.ts';
import { FirestoreDeadLetterStore } from '../src/adapters/firestore/dead-letters.ts';
import { FirestoreGatewayStore } from '../src/adapters/firestore/gateways.ts';
import { FirestoreProfileStore } from '../src/adapters/firestore/profiles.ts';
import { FirestoreReadingStore } from '../src/adapters/firestore/readings.ts';
import { PubSubAlertBus } from '../src/adapters/pubsub/alert-bus.ts';
import { DEFAULT_BUCKET_OPTIONS } from '../src/functions/ingest/bucket.ts';
import { type IngestOptions, Ingestor, planWrites, prepareBatch } from '../src/functions/ingest/ingest.ts';
import { ProfileCache } from '../src/functions/ingest/profile-cache.ts';
import { sharedRuleStepper } from '../src/functions/ingest/rules.ts';
import { startFirestoreEmulator, startPubSubEmulator } from '../src/local/index.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const BATCHES = Number(process.env.EDGEFLOW_BENCH_BATCHES ?? 10);
const DEVICES = 50;
const SECONDS = 60;
const PROJECT = 'demo-edgeflow-bench';
const START_MS = Date.UTC(2026, 10, 23, 10, 0, 30);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function makeBatches(): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < BATCHES; i++) {
    const readings = standardMix({
      devices: DEVICES,
      seconds: SECONDS,
      seed: 1,
      startMs: START_MS + i * SECONDS * 1000,
      firstSeq: 1 + i * DEVICES * 4 * SECONDS,
    });
    out.push(
      Buffer.from(encodeBatch({ gatewayId: 'gw-bench', createdAtMs: START_MS, readings, alerts: [] })),
    );
  }
  return out;
}

/** CPU of decode + validate + enrich + bucket, alone, over every batch (3 rounds, best). */
function pureCpuUsPerReading(batches: Buffer[], profiles: Map<string, DeviceProfile | undefined>): number {
  const options: IngestOptions = {
    bucket: DEFAULT_BUCKET_OPTIONS,
    latestShards: 4,
    maxSeqJump: 100_000_000,
    failAfterWrite: false,
  };
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 4; round++) {
    let readings = 0;
    const start = process.cpuUsage();
    for (const b of batches) {
      const prepared = prepareBatch(b, decodeBatch);
      planWrites(prepared, profiles, options);
      readings += prepared.readings.length;
    }
    const used = process.cpuUsage(start);
    // Round 0 warms the JIT.
    if (round > 0) best = Math.min(best, (used.user + used.system) / readings);
  }
  return best;
}

function coldStartMs(...specifiers: string[]): number {
  const imports = specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ');
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const t0 = performance.now(); ${imports} process.stdout.write(String(performance.now() - t0)); process.exit(0);`,
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, EDGEFLOW_LOG_LEVEL: 'silent' } },
    );
    runs.push(Number(out));
  }
  return median(runs);
}

/** Bundles `entry` (as `<name>.mjs`) the way a function deploy would; returns the bundle's path. */
function bundle(name: string, entry: string): string {
  const outDir = join(ROOT, 'node_modules/.cache/edgeflow-bench', name);
  mkdirSync(outDir, { recursive: true });
  buildSync({
    entryPoints: { [name]: entry },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    // Splitting keeps each function's lazily imported runtime (and its SDK imports) in its own chunk.
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // Same split as the deploy bundle (infra/src/build/bundle.ts): SDKs that read .proto files from disk stay external.
    external: ['@google-cloud/*', 'cbor-extract'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'error',
  });
  return join(outDir, `${name}.mjs`);
}

async function main(): Promise<void> {
  const env = { ...process.env };
  delete env.PUBSUB_EMULATOR_HOST;
  delete env.FIRESTORE_EMULATOR_HOST;
  const silent = pino({ level: 'silent' });
  console.log(
    `ingest bench: ${BATCHES} batches x ${DEVICES * 4 * SECONDS} readings (standard mix, 60 s linger)`,
  );
  const [ps, fs] = await Promise.all([
    startPubSubEmulator({ env, projectId: PROJECT, logger: silent }),
    startFirestoreEmulator({ env, projectId: PROJECT, logger: silent }),
  ]);
  try {
    process.env.PUBSUB_EMULATOR_HOST = ps.host;
    process.env.FIRESTORE_EMULATOR_HOST = fs.host;
    const admin = new PubSub({ projectId: PROJECT });
    await admin.createTopic(SHARED_TOPICS.alerts.name);
    await admin.close();

    const db = createFirestore(PROJECT);
    const batches = makeBatches();
    const deviceIds = [
      ...new Set(prepareBatch(batches[0] as Buffer, decodeBatch).readings.map((r) => r.deviceId)),
    ];
    const profiles = new Map<string, DeviceProfile | undefined>();
    const seed = db.batch();
    for (const id of deviceIds) {
      const p: DeviceProfile = {
        deviceId: id,
        gatewayId: 'gw-bench',
        site: 'bench',
        name: id,
        units: {},
        notify: [{ kind: 'log' }],
      };
      profiles.set(id, p);
      seed.set(db.collection('devices').doc(id), p);
    }
    await seed.commit();

    const cpuUs = pureCpuUsPerReading(batches, profiles);

    const writes = newWriteCounter();
    const opts = { deadlineMs: 60_000, counter: writes };
    const bus = new PubSubAlertBus({
      projectId: PROJECT,
      topic: SHARED_TOPICS.alerts.name,
      deadlineMs: 60_000,
    });
    const ingestor = new Ingestor({
      decode: (b) => decodeBatch(b),
      profiles: new ProfileCache(new FirestoreProfileStore(db, { ...opts, logger: silent }), systemClock),
      readings: new FirestoreReadingStore(db, opts),
      gateways: new FirestoreGatewayStore(db, opts),
      bus,
      deadLetters: new FirestoreDeadLetterStore(db, { ...opts, nowMs: () => Date.now(), sourceTopic: 'x' }),
      rules: sharedRuleStepper(),
      clock: systemClock,
      logger: silent,
      options: {
        bucket: DEFAULT_BUCKET_OPTIONS,
        latestShards: 4,
        maxSeqJump: 100_000_000,
        failAfterWrite: false,
      },
    });
    let readings = 0;
    const t0 = performance.now();
    for (const [i, data] of batches.entries()) {
      const out = await ingestor.handle({
        data,
        attributes: {},
        messageId: `bench-${i}`,
        publishTimeMs: undefined,
        deliveryAttempt: undefined,
        subscription: undefined,
        transportTopic: telemetryTopicName('gw-bench'),
      });
      if (out.status !== 'persisted') throw new Error(`batch ${i} not persisted: ${JSON.stringify(out)}`);
      readings += out.readings;
    }
    const elapsedS = (performance.now() - t0) / 1000;
    const writesPerReading = writes.writes / readings;
    await bus.close();
    await db.terminate();

    const bundled = coldStartMs(pathToFileURL(bundle('functions', join(ROOT, 'cloud/src/index.ts'))).href);
    // Ours alone (triage, another module of the same entry point, imports Firestore eagerly).
    const oursEntry = join(ROOT, 'node_modules/.cache/edgeflow-bench/ours-entry.ts');
    writeFileSync(
      oursEntry,
      `import ${JSON.stringify(join(ROOT, 'cloud/src/functions/ingest/index.ts'))};\nimport ${JSON.stringify(join(ROOT, 'cloud/src/functions/notify/index.ts'))};\n`,
    );
    const ours = coldStartMs(pathToFileURL(bundle('ours', oursEntry)).href);
    // What the first event adds: ingest's runtime chunk (shared core, adapters, SDKs), bundled.
    const runtime = coldStartMs(
      pathToFileURL(bundle('ingest-runtime', join(ROOT, 'cloud/src/functions/ingest/runtime.ts'))).href,
    );
    // Baseline, same run: the framework alone, which any function pays.
    const framework = coldStartMs('@google-cloud/functions-framework');
    const source = coldStartMs(pathToFileURL(join(ROOT, 'cloud/src/index.ts')).href);
    const sdks = coldStartMs('@google-cloud/firestore', '@google-cloud/pubsub');

    const rows: [string, string, string][] = [
      ['readings/s end to end (emulators included)', (readings / elapsedS).toFixed(0), '-'],
      ['CPU us/reading: decode+validate+enrich+bucket', cpuUs.toFixed(3), '<= 5'],
      ['Firestore writes/reading', writesPerReading.toFixed(4), '<= 0.02'],
      ['  writes per 12000-reading batch', (writes.writes / BATCHES).toFixed(1), '<= 240'],
      ['cold start, bundle import (ms, median of 5)', bundled.toFixed(0), '<= 300'],
      ['cold start, bundle of ingest + notify only (ms)', ours.toFixed(0), '-'],
      ['baseline: functions-framework import alone (ms)', framework.toFixed(0), '-'],
      ['  bundle / framework baseline', (bundled / framework).toFixed(1), '-'],
      ['cold start, unbundled source import (ms)', source.toFixed(0), '-'],
      ['  bundle / source', (bundled / source).toFixed(2), '-'],
      ['first event: ingest runtime bundle import (ms)', runtime.toFixed(0), '-'],
      ['  of which Firestore + Pub/Sub SDK load (ms)', sdks.toFixed(0), '-'],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    console.log(`${'metric'.padEnd(w)}  ${'value'.padStart(10)}  target`);
    for (const [k, v, t] of rows) console.log(`${k.padEnd(w)}  ${v.padStart(10)}  ${t}`);
  } finally {
    await Promise.allSettled([ps.stop(), fs.stop()]);
  }
}

await main();
process.exit(0);
