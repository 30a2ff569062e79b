/**
 * The standard simulator mix used by the codec (and other) benchmarks: `devices` sensors,
 * each publishing `metrics` once a second for `seconds`, as a gateway would number them.
 *
 * Realism that matters for compression: each device has its own phase within the second and
 * a few ms of jitter on every timestamp; values are slow random walks around a per-device
 * baseline with sensor noise, reported at the metric's catalogue resolution (what a real
 * sensor sends); gateway seqs are assigned in arrival order (event time + network latency),
 * so they interleave across series and occasionally swap between neighbours.
 * Deterministic for a given seed.
 */
import type { Reading } from '../src/contracts.ts';
import { metricSpec, quantize } from '../src/metrics.ts';

export interface StandardMixOptions {
  /** Number of devices (default 50). */
  devices?: number;
  /** Metric names (default temperature, humidity, co2, battery_v). */
  metrics?: readonly string[];
  /** Seconds of 1 Hz sampling (default 5: 50 x 4 x 5 = 1000 readings). */
  seconds?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Event time of the first sample (default 2026-01-01T00:00:00Z). */
  startMs?: number;
  /** Seq of the first reading (default 1). */
  firstSeq?: number;
  /** Device id prefix (default "sensor-"); ids are prefix + zero-padded index. */
  devicePrefix?: string;
}

export const STANDARD_METRICS: readonly string[] = ['temperature', 'humidity', 'co2', 'battery_v'];
export const STANDARD_START_MS = Date.UTC(2026, 0, 1);

/** mulberry32: tiny, fast, good enough for benchmark data; deterministic per seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SignalModel {
  base: (rand: () => number) => number;
  /** Random-walk step and measurement noise, both standard deviations in the metric's unit. */
  walk: number;
  noise: number;
  min: number;
  max: number;
}

const MODELS: Record<string, SignalModel> = {
  temperature: { base: (r) => 18 + r() * 8, walk: 0.01, noise: 0.02, min: -40, max: 85 },
  humidity: { base: (r) => 35 + r() * 25, walk: 0.05, noise: 0.15, min: 0, max: 100 },
  pressure: { base: (r) => 1005 + r() * 20, walk: 0.02, noise: 0.05, min: 300, max: 1200 },
  co2: { base: (r) => 420 + r() * 600, walk: 1.5, noise: 3, min: 350, max: 5000 },
  vibration_rms: { base: (r) => 0.5 + r() * 3, walk: 0.01, noise: 0.05, min: 0, max: 1000 },
  battery_v: { base: (r) => 3.4 + r() * 0.7, walk: 0.0002, noise: 0.002, min: 2.5, max: 4.3 },
  door: { base: () => 0, walk: 0, noise: 0, min: 0, max: 1 },
};
const GENERIC: SignalModel = { base: (r) => r() * 100, walk: 0.05, noise: 0.1, min: -1e6, max: 1e6 };

function gaussian(rand: () => number): number {
  // Box-Muller; 1 - u keeps the log argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Readings in seq order (the order a gateway would hand them to the forwarder). */
export function standardMix(options: StandardMixOptions = {}): Reading[] {
  const devices = options.devices ?? 50;
  const metrics = options.metrics ?? STANDARD_METRICS;
  const seconds = options.seconds ?? 5;
  const rand = seededRandom(options.seed ?? 1);
  const startMs = options.startMs ?? STANDARD_START_MS;
  const firstSeq = options.firstSeq ?? 1;
  const prefix = options.devicePrefix ?? 'sensor-';
  const width = Math.max(4, String(devices - 1).length);

  const pending: { arrivalMs: number; reading: Reading }[] = [];
  for (let d = 0; d < devices; d++) {
    const deviceId = `${prefix}${String(d).padStart(width, '0')}`;
    const phaseMs = Math.floor(rand() * 1000);
    const state = metrics.map((metric) => {
      const model = MODELS[metric] ?? GENERIC;
      return { metric, model, level: model.base(rand), decimals: metricSpec(metric)?.decimals };
    });
    for (let s = 0; s < seconds; s++) {
      // One sample instant per device and second; each metric's timestamp jitters a few ms.
      const sampleMs = startMs + s * 1000 + phaseMs;
      for (const m of state) {
        m.level += gaussian(rand) * m.model.walk;
        const raw = Math.min(m.model.max, Math.max(m.model.min, m.level + gaussian(rand) * m.model.noise));
        const value = m.metric === 'door' ? (rand() < 0.02 ? 1 : 0) : quantize(raw, m.decimals ?? 3);
        const tsMs = sampleMs + Math.floor(rand() * 5);
        const arrivalMs = tsMs + 2 + rand() * 15;
        pending.push({ arrivalMs, reading: { deviceId, metric: m.metric, tsMs, value, seq: 0 } });
      }
    }
  }
  pending.sort((a, b) => a.arrivalMs - b.arrivalMs);
  return pending.map((p, i) => {
    p.reading.seq = firstSeq + i;
    return p.reading;
  });
}
