/**
 * The figures one bench run gathers, and how they become the table's rows with the
 * north-star targets beside them. Pure, so the mapping (which figure is checked against
 * which target) is tested without running anything.
 */
import type { AlertStages } from './alert-stages.ts';
import type { EdgeBenchFigures } from './child-bench.ts';
import type { SizeFigures } from './codec-figures.ts';
import type { CloudUsage, CostPerMillion } from './cost.ts';
import type { LatencySummary } from './stats.ts';
import type { Row } from './table.ts';

export interface BenchFigures {
  notes: string[];
  standardMix?: SizeFigures;
  uplink?: { readonly sizes: SizeFigures; readonly readingsPerBatch: number } | undefined;
  ingestRun?:
    | { readonly invocationMsMean: number; readonly writesPerReading: number; readonly usage: CloudUsage }
    | undefined;
  edgeBench?: EdgeBenchFigures;
  throughput?: {
    readonly rawPerSecond: number;
    readonly gatewayPerSecond: number;
    readonly ratio: number;
    readonly rawRounds: number[];
    readonly gatewayRounds: number[];
  };
  gatewayRss?: { readonly rssMiB: number; readonly peakMiB: number } | undefined;
  edgeAlertLowLoad?: LatencySummary;
  edgeAlertUnderLoad?: LatencySummary;
  latencyPhaseRate?: number;
  cloudAlert?: LatencySummary;
  alertStages?: AlertStages | undefined;
  transitionsSent?: number;
  episodePaceMs?: number;
  coldCloudAlertMs?: number | undefined;
  /** Raw samples for the JSON file (not a table row). */
  cloudAlertBySendOrderMs?: (number | null)[];
  ingestCpuUsPerReading?: number | undefined;
  ingestWritesPerReading?: number | undefined;
  ingestReadingsPerSecond?: number | undefined;
  cost?: CostPerMillion | undefined;
  naiveCost?: CostPerMillion;
}

/** North-star targets (shared/north-star.md, "Targets"). */
export const TARGETS = Object.freeze({
  gatewayRatio: { op: '>=', limit: 0.8 },
  bytesPerReading: { op: '<=', limit: 6 },
  billedReduction: { op: '>=', limit: 50 },
  usdPerMillion: { op: '<=', limit: 0.05 },
  localAlertP99Ms: { op: '<=', limit: 5 },
  cloudAlertP99Ms: { op: '<=', limit: 300 },
  rssMiB: { op: '<=', limit: 120 },
  writesPerReading: { op: '<=', limit: 0.02 },
  cpuUsPerReading: { op: '<=', limit: 5 },
} as const);

const missing = (why: string) => ({ value: undefined, note: why });

export function benchRows(f: BenchFigures): Row[] {
  const rows: Row[] = [];
  const add = (row: Row) => rows.push(row);
  const e = f.edgeBench;
  const eb = 'edge (bench:edge)';
  add({
    section: eb,
    figure: 'raw aedes QoS 1, baseline same run',
    value: e?.rawPerSecond,
    unit: '/s',
    digits: 0,
  });
  add({
    section: eb,
    figure: 'gateway QoS 1, auth+rules+outbox+forwarding',
    value: e?.gatewayPerSecond,
    unit: '/s',
    digits: 0,
  });
  add({
    section: eb,
    figure: 'gateway / raw aedes, median of rounds',
    value: e?.ratio,
    unit: 'x',
    digits: 2,
    target: TARGETS.gatewayRatio,
  });
  add({
    section: eb,
    figure: 'device -> local MQTT alert p50',
    value: e?.alertP50Ms,
    unit: 'ms',
    digits: 2,
    note: e?.alertRatePerSecond
      ? `at ${e.alertRatePerSecond} readings/s, ${e.alertSamples ?? '?'} samples`
      : '',
  });
  add({
    section: eb,
    figure: 'device -> local MQTT alert p99',
    value: e?.alertP99Ms,
    unit: 'ms',
    digits: 2,
    target: TARGETS.localAlertP99Ms,
  });
  add({
    section: eb,
    figure: 'gateway RSS at 10k/s',
    value: e?.rssMiB,
    unit: 'MB',
    digits: 1,
    target: TARGETS.rssMiB,
    note: e?.peakRssMiB ? `peak ${e.peakRssMiB} MB` : '',
  });

  const t = f.throughput;
  const ep = 'edge (pipeline)';
  add({
    section: ep,
    figure: 'raw aedes QoS 1, baseline same run',
    value: t?.rawPerSecond,
    unit: '/s',
    digits: 0,
  });
  add({
    section: ep,
    figure: 'gateway QoS 1, whole local stack running',
    value: t?.gatewayPerSecond,
    unit: '/s',
    digits: 0,
  });
  add({
    section: ep,
    figure: 'gateway / raw aedes, median of rounds',
    value: t?.ratio,
    unit: 'x',
    digits: 2,
    target: TARGETS.gatewayRatio,
  });
  add({
    section: ep,
    figure: 'gateway RSS, peak over the run',
    value: f.gatewayRss?.peakMiB,
    unit: 'MiB',
    digits: 0,
    note: 'full-speed rounds included; not with 1M buffered',
  });

  const u = f.uplink;
  const perBatch = u ? `${Math.round(u.readingsPerBatch)} readings/batch` : '';
  add({
    section: 'upstream',
    figure: 'bytes/reading, real batches at default linger',
    ...(u ? { value: u.sizes.bytesPerReading, note: perBatch } : missing('no batch measured')),
    unit: 'B',
    digits: 2,
    target: TARGETS.bytesPerReading,
  });
  add({
    section: 'upstream',
    figure: 'bytes/reading, one JSON message per reading',
    value: u?.sizes.jsonBytesPerReading,
    unit: 'B',
    digits: 1,
  });
  add({
    section: 'upstream',
    figure: 'billed bytes/reading, ours',
    value: u?.sizes.billedBytesPerReading,
    unit: 'B',
    digits: 2,
  });
  add({
    section: 'upstream',
    figure: 'billed bytes/reading, JSON message each',
    value: u?.sizes.jsonBilledBytesPerReading,
    unit: 'B',
    digits: 0,
  });
  add({
    section: 'upstream',
    figure: 'billed bytes: JSON messages / ours',
    value: u ? u.sizes.jsonBilledBytesPerReading / u.sizes.billedBytesPerReading : undefined,
    unit: 'x',
    digits: 0,
    target: TARGETS.billedReduction,
  });
  const sm = f.standardMix;
  add({
    section: 'upstream',
    figure: 'bytes/reading, standard mix in 60 s batches',
    value: sm?.bytesPerReading,
    unit: 'B',
    digits: 2,
    target: TARGETS.bytesPerReading,
    note: 'codec on shared/bench standard mix',
  });

  const lo = f.edgeAlertLowLoad;
  const hi = f.edgeAlertUnderLoad;
  const c = f.cloudAlert;
  const n = (s: { samples: number } | undefined) => (s ? `${s.samples} samples` : '');
  add({
    section: 'latency',
    figure: 'device -> local MQTT alert p50, pipeline quiet',
    value: lo?.p50Ms,
    unit: 'ms',
    digits: 2,
    note: n(lo),
  });
  add({
    section: 'latency',
    figure: 'device -> local MQTT alert p99, pipeline quiet',
    value: lo?.p99Ms,
    unit: 'ms',
    digits: 2,
    target: TARGETS.localAlertP99Ms,
  });
  const rate = f.latencyPhaseRate ? `at ${Math.round(f.latencyPhaseRate)} readings/s` : '';
  add({
    section: 'latency',
    figure: 'device -> local MQTT alert p50, pipeline loaded',
    value: hi?.p50Ms,
    unit: 'ms',
    digits: 2,
    note: [rate, n(hi)].filter(Boolean).join(', '),
  });
  add({
    section: 'latency',
    figure: 'device -> local MQTT alert p99, pipeline loaded',
    value: hi?.p99Ms,
    unit: 'ms',
    digits: 2,
    target: TARGETS.localAlertP99Ms,
  });
  add({
    section: 'latency',
    figure: 'device -> cloud alert record p50',
    value: c?.p50Ms,
    unit: 'ms',
    digits: 1,
    note:
      c && f.transitionsSent
        ? `${c.samples} of ${f.transitionsSent} transitions, one per ${f.episodePaceMs ?? '?'} ms`
        : '',
  });
  add({
    section: 'latency',
    figure: 'device -> cloud alert record p99',
    value: c?.p99Ms,
    unit: 'ms',
    digits: 1,
    target: TARGETS.cloudAlertP99Ms,
    note: 'default linger; alerts skip it',
  });

  const samples = f.cloudAlertBySendOrderMs;
  add({
    section: 'latency',
    figure: 'cloud alert records later than 300 ms',
    value: samples
      ? samples.filter((ms) => ms === null || ms > TARGETS.cloudAlertP99Ms.limit).length
      : undefined,
    unit: '',
    digits: 0,
    note: samples ? `of ${samples.length}; raw samples in send order in the JSON` : '',
  });
  add({
    section: 'latency',
    figure: 'device -> cloud alert record, first (cold)',
    value: f.coldCloudAlertMs,
    unit: 'ms',
    digits: 1,
    note: 'warm-up episode, not in p50/p99',
  });
  const st = f.alertStages;
  const stage = (figure: string, value: number | undefined) =>
    add({
      section: 'latency',
      figure,
      value,
      unit: 'ms',
      digits: 1,
      note: st ? `median of ${st.matched}` : '',
    });
  stage('  cloud alert: device -> uplink publish', st?.toUplinkMs);
  stage('  cloud alert: uplink -> ingest done', st?.uplinkToIngestedMs);
  stage('  cloud alert: ingest done -> record seen', st?.ingestedToRecordMs);
  add({
    section: 'ingest',
    figure: 'CPU us/reading in our code (bench:ingest)',
    value: f.ingestCpuUsPerReading,
    unit: 'us',
    digits: 3,
    target: TARGETS.cpuUsPerReading,
  });
  add({
    section: 'ingest',
    figure: 'Firestore writes/reading (bench:ingest)',
    value: f.ingestWritesPerReading,
    unit: '',
    digits: 4,
    target: TARGETS.writesPerReading,
  });
  add({
    section: 'ingest',
    figure: 'Firestore writes/reading (pipeline run)',
    value: f.ingestRun?.writesPerReading,
    unit: '',
    digits: 4,
    target: TARGETS.writesPerReading,
    note: 'from ingest "batch persisted" logs',
  });
  add({
    section: 'ingest',
    figure: 'batch publish -> persisted (emulators)',
    value: f.ingestRun?.invocationMsMean,
    unit: 'ms',
    digits: 0,
    note: 'billed as the invocation time',
  });

  const cost = f.cost;
  const naive = f.naiveCost;
  add({
    section: 'cost',
    figure: 'USD per million readings, edgeflow',
    value: cost?.total,
    unit: '$',
    digits: 4,
    target: TARGETS.usdPerMillion,
  });
  if (cost) {
    add({ section: 'cost', figure: '  Pub/Sub (publish + push)', value: cost.pubsub, unit: '$', digits: 5 });
    add({ section: 'cost', figure: '  function invocations', value: cost.invocations, unit: '$', digits: 5 });
    add({
      section: 'cost',
      figure: '  function vCPU + memory time',
      value: cost.cpu + cost.memory,
      unit: '$',
      digits: 5,
    });
    add({
      section: 'cost',
      figure: '  Firestore writes + reads',
      value: cost.firestoreWrites + cost.firestoreReads,
      unit: '$',
      digits: 5,
    });
  }
  add({
    section: 'cost',
    figure: 'USD per million readings, naive design',
    value: naive?.total,
    unit: '$',
    digits: 2,
    note: 'one message, invocation, document per reading',
  });
  add({
    section: 'cost',
    figure: 'naive / edgeflow',
    value: cost && naive ? naive.total / cost.total : undefined,
    unit: 'x',
    digits: 0,
  });
  return rows;
}
