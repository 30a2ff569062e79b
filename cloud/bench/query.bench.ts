/**
 * `npm run bench:query`: the operator API's cost per request, against the emulators through
 * the real functions-framework. Prints:
 *  - Firestore documents read (the API's X-Edgeflow-Doc-Reads) for a 24 h, 1 Hz series at
 *    interval=1m (target <= 25: one per hour bucket), stored as ingest stores it (one column
 *    per 60 s batch);
 *  - documents read by GET /v1/devices for 1000 devices (target <= 1000/50 = 20), warm (the
 *    profile catalogue and the open-alert counts loaded) and cold, in two shard layouts: 50
 *    devices per latest shard, and the default ingest layout (50 devices per gateway over 4
 *    shards: 12.5 per shard); and by GET /v1/devices/{id} of one of them (its gateway's shards
 *    and its open alerts);
 *  - CPU time per 24 h series request in our code (columns -> dedup -> 1-minute avg of
 *    86 400 readings; target <= 20 ms), median of EDGEFLOW_BENCH_RUNS (default 30) runs after 5 warm-up runs,
 *    against a plain loop summing the same arrays into the same buckets, same run.
 */
import { systemClock } from '@edgeflow/shared';
import pino from 'pino';
import { FirestoreApiReads } from '../src/adapters/firestore/api-reads.ts';
import { newWriteCounter } from '../src/adapters/firestore/client.ts';
import { FirestoreReadingStore } from '../src/adapters/firestore/readings.ts';
import { READS_HEADER } from '../src/api/app.ts';
import { type ColumnSet, downsample, gatewayOfColumnKey, mergeColumns } from '../src/api/downsample.ts';
import { bucketReadings } from '../src/functions/ingest/bucket.ts';
import { shardDocId, shardOf } from '../src/functions/ingest/shard.ts';
import { firestoreFor } from '../src/local/clients.ts';
import { startLocalCloud } from '../src/local/index.ts';

const RUNS = Number(process.env.EDGEFLOW_BENCH_RUNS ?? 30);
const DAY0 = Date.UTC(2026, 10, 1);
const DAY_MS = 86_400_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function reads(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return Number(res.headers.get(READS_HEADER));
}

const cloud = await startLocalCloud({
  functions: ['api'],
  logger: pino({ level: 'silent' }),
  // A fresh catalogue per request would hide the warm figure; a long TTL keeps it for the run.
  env: { EDGEFLOW_API_PROFILE_TTL_MS: '600000' },
});
const db = firestoreFor(cloud);
try {
  const api = cloud.functionUrls.api;
  // -- series: 24 h at 1 Hz, one batch (column) per minute, as ingest writes it
  const store = new FirestoreReadingStore(db, { deadlineMs: 60_000, counter: newWriteCounter() });
  await db
    .collection('devices')
    .doc('bench-dev')
    .set({ site: 'bench', name: 'bench', units: {}, notify: [] });
  const writes: Promise<void>[] = [];
  for (let minute = 0; minute < 1440; minute++) {
    const readings = Array.from({ length: 60 }, (_, i) => ({
      deviceId: 'bench-dev',
      metric: 'temperature',
      tsMs: DAY0 + minute * 60_000 + i * 1000,
      value: 20 + Math.sin((minute * 60 + i) / 600),
      seq: 1 + minute * 60 + i,
    }));
    const buckets = bucketReadings(readings, 'gw-bench', 1 + minute * 60, () => ({
      site: 'bench',
      name: 'bench',
      unit: 'degC',
      registered: true,
    }));
    writes.push(store.writeBuckets(buckets));
    if (writes.length >= 50) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  const seriesUrl = `${api}/v1/devices/bench-dev/series/temperature?start=${DAY0}&end=${DAY0 + DAY_MS}&interval=1m&agg=avg`;
  const seriesCold = await reads(seriesUrl);
  const seriesWarm = await reads(seriesUrl);

  // -- CPU: our part of a series request, on the stored columns
  const docs = await new FirestoreApiReads(db, { deadlineMs: 60_000 }).readBuckets(
    'bench-dev',
    'temperature',
    DAY0,
    DAY0 + DAY_MS,
    3_600_000,
    100,
  );
  const ours: number[] = [];
  const plain: number[] = [];
  let sink = 0;
  // The first runs warm the JIT up and are not counted.
  const WARMUP = 5;
  for (let run = 0; run < RUNS + WARMUP; run++) {
    if (run === WARMUP) {
      ours.length = 0;
      plain.length = 0;
    }
    let t = performance.now();
    const columns: ColumnSet[] = [];
    for (const d of docs.items)
      for (const [key, c] of Object.entries(d.cols))
        columns.push({ gatewayId: gatewayOfColumnKey(key), tsMs: c.tsMs, value: c.value, seq: c.seq });
    const merged = mergeColumns(columns, DAY0, DAY0 + DAY_MS);
    const points = downsample(merged, DAY0, DAY0 + DAY_MS, 60_000, 'avg');
    sink += points.v.length + merged.count;
    ours.push(performance.now() - t);
    t = performance.now();
    const sums = new Float64Array(1440);
    const counts = new Float64Array(1440);
    for (const d of docs.items)
      for (const c of Object.values(d.cols))
        for (let i = 0; i < c.value.length; i++) {
          const b = Math.floor(((c.tsMs[i] as number) - DAY0) / 60_000);
          sums[b] = (sums[b] as number) + (c.value[i] as number);
          counts[b] = (counts[b] as number) + 1;
        }
    sink += (sums[0] as number) + (counts[0] as number);
    plain.push(performance.now() - t);
  }

  // -- devices: 1000 devices, two shard layouts
  const devicesFigures: Record<string, { cold: number; warm: number; detail: number }> = {};
  for (const [layout, gateways, shards] of [
    ['50 devices per shard (5 gateways x 4 shards)', 5, 4],
    ['ingest default (20 gateways x 50 devices x 4 shards)', 20, 4],
  ] as const) {
    await cloud.clearFirestore();
    const perGateway = 1000 / gateways;
    const batch = db.batch();
    const profiles = db.batch();
    const shardDocs = new Map<string, Record<string, unknown>>();
    for (let g = 0; g < gateways; g++) {
      for (let d = 0; d < perGateway; d++) {
        const deviceId = `dev-${g}-${d}`;
        const id = shardDocId(`gw-${g}`, shardOf(deviceId, shards));
        const doc = shardDocs.get(id) ?? {
          gatewayId: `gw-${g}`,
          shard: shardOf(deviceId, shards),
          series: {},
          recent: [],
        };
        (doc.series as Record<string, unknown>)[deviceId] = {
          temperature: { v: 21, tsMs: Date.now(), seq: d, rules: {} },
          humidity: { v: 40, tsMs: Date.now(), seq: d, rules: {} },
        };
        shardDocs.set(id, doc);
        profiles.set(db.collection('devices').doc(deviceId), {
          gatewayId: `gw-${g}`,
          site: `site-${g}`,
          name: deviceId,
          units: {},
          notify: [],
        });
      }
    }
    for (const [id, doc] of shardDocs) batch.set(db.collection('latest').doc(id), doc);
    await Promise.all([batch.commit(), profiles.commit()]);
    // A new instance: the first request loads the catalogue (cold), the next ones use it.
    await cloud.restartFunction('api');
    const devicesUrl = `${cloud.functionUrls.api}/v1/devices?limit=1000`;
    const cold = await reads(devicesUrl);
    const warm = await reads(devicesUrl);
    const detail = await reads(`${cloud.functionUrls.api}/v1/devices/dev-0-0`);
    devicesFigures[`${layout}: ${shardDocs.size} shard documents`] = { cold, warm, detail };
  }

  const out = {
    seriesReads24hAt1m: { warm: seriesWarm, cold: seriesCold, target: 25 },
    devicesReads1000: devicesFigures,
    devicesTarget: 20,
    seriesCpuMs: {
      ours: Number(median(ours).toFixed(2)),
      plainLoop: Number(median(plain).toFixed(2)),
      readings: 86_400,
      runs: RUNS,
      target: 20,
    },
    sink: sink > 0,
    at: new Date(systemClock.nowMs()).toISOString(),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} finally {
  await db.terminate();
  await cloud.stop();
}
