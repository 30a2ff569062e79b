/**
 * `npm run bench:dedup`: what the duplicate memories (edge/src/dedup) cost, in one run.
 *
 * Memory: the heap after filling both memories to their steady state for BENCH_DEVICES
 * devices (10 000 by default): every client with `retransmitsPerClient` packet ids, every
 * device with BENCH_METRICS series of `readingsPerSeries` readings, against the heap before
 * (after a forced GC each time; run with node --expose-gc, as the npm script does).
 *
 * CPU: per reading, the hot-path work the gateway adds (hash the payload, remember the packet
 * id, check + remember the reading), and per DUP publish the packet-id check, against a
 * baseline measured in the same run: one Map lookup per reading on the same keys, the least
 * any per-device state costs. The gateway's whole cost shows in `npm run bench:edge`.
 */
import { performance } from 'node:perf_hooks';
import { payloadHash, RetransmitMemory } from '../src/dedup/retransmits.ts';
import { SameReadingWindow } from '../src/dedup/same-reading.ts';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000);
const METRICS = Number(process.env.BENCH_METRICS ?? 2);
const PER_CLIENT = 64;
const PER_SERIES = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:dedup does)');

function heapMiB(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const ids = Array.from({ length: DEVICES }, (_, i) => `dev-${String(i).padStart(5, '0')}`);
const metrics = ['temperature', 'humidity', 'co2', 'pressure'].slice(0, METRICS);
const topics = ids.map((id) => metrics.map((m) => `sensors/${id}/${m}`));
const payload = Buffer.from('{"v":21.5,"t":1796300000000}');

// ---- memory ----
const before = heapMiB();
const retransmits = new RetransmitMemory({ perClient: PER_CLIENT, maxClients: DEVICES });
const window = new SameReadingWindow({ perSeries: PER_SERIES, maxSeries: DEVICES * METRICS });
for (let k = 0; k < PER_CLIENT; k++) {
  for (let d = 0; d < DEVICES; d++) {
    const id = ids[d] as string;
    const m = k % METRICS;
    retransmits.remember(id, k + 1, (topics[d] as string[])[m] as string, k);
    window.remember(id, metrics[m] as string, 1_796_300_000_000 + k, 20 + k / 10);
  }
}
const after = heapMiB();
const totalMiB = after - before;
console.log(
  JSON.stringify({
    devices: DEVICES,
    seriesPerDevice: METRICS,
    retransmitsPerClient: PER_CLIENT,
    readingsPerSeries: PER_SERIES,
    heapMiB: Number(totalMiB.toFixed(1)),
    bytesPerDevice: Math.round((totalMiB * 2 ** 20) / DEVICES),
  }),
);

// ---- CPU ----
const N = DEVICES * 20;
/**
 * The path every accepted QoS 1 reading takes: hash, remember the packet id, check and
 * remember the reading. The packet-id check runs only for a PUBLISH with DUP set (rare), so
 * it is measured on its own: a full miss scan of a client's ring, the worst case.
 */
function dedupRound(r: RetransmitMemory, w: SameReadingWindow, base: number): number {
  const t0 = performance.now();
  let dropped = 0;
  for (let i = 0; i < N; i++) {
    const d = i % DEVICES;
    const id = ids[d] as string;
    const m = i % METRICS;
    const metric = metrics[m] as string;
    const h = payloadHash(payload);
    r.remember(id, ((base + i) % 65_535) + 1, (topics[d] as string[])[m] as string, h);
    const ts = base + i;
    if (w.seen(id, metric, ts, 21.5)) dropped++;
    else w.remember(id, metric, ts, 21.5);
  }
  if (dropped < 0) throw new Error('unreachable');
  return ((performance.now() - t0) * 1e6) / N;
}
function dupCheckRound(r: RetransmitMemory): number {
  const t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < N; i++) if (r.isRetransmit(ids[i % DEVICES] as string, 70_000, 'x', 0)) hits++;
  if (hits < 0) throw new Error('unreachable');
  return ((performance.now() - t0) * 1e6) / N;
}
function baselineRound(state: Map<string, { n: number }>): number {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = state.get(ids[i % DEVICES] as string);
    if (s) s.n++;
  }
  return ((performance.now() - t0) * 1e6) / N;
}
const state = new Map(ids.map((id) => [id, { n: 0 }]));
const dedupNs: number[] = [];
const dupNs: number[] = [];
const baseNs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  baseNs.push(baselineRound(state));
  dedupNs.push(dedupRound(retransmits, window, round * N));
  dupNs.push(dupCheckRound(retransmits));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(
  JSON.stringify({
    readingsPerRound: N,
    rounds: ROUNDS,
    dedupNsPerReading: Number(median(dedupNs).toFixed(1)),
    dupCheckNsPerPublish: Number(median(dupNs).toFixed(1)),
    baselineMapLookupNs: Number(median(baseNs).toFixed(1)),
    ratioPerReading: Number((median(dedupNs) / median(baseNs)).toFixed(2)),
  }),
);
