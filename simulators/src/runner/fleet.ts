/**
 * runFleet: connects the fleet, then drives every reading of the plan from one scheduler
 * loop (no timer per device). Each turn sends every reading whose scheduled time has
 * passed, so the loop catches up after a late wake-up instead of drifting; a turn sends at
 * most `maxBurst` readings before yielding to I/O, so acks and progress keep flowing even
 * when the process falls behind.
 */

import { type Encoded, encodeEmission, TopicCache } from '../payload.ts';
import { FleetPlan, newEmission, rejectionReasonOf } from '../plan.ts';
import { mulberry32 } from '../prng.ts';
import { ConnectionPool } from './connections.ts';
import { type FleetCounters, newCounters, totalFailed } from './counters.ts';
import { devicesOf, type FleetOptions, type FleetOptionsInput, resolveFleetOptions } from './options.ts';

export interface FleetProgress {
  readonly elapsedMs: number;
  readonly remainingMs: number;
  readonly connected: number;
  readonly devices: number;
  readonly sentPerS: number;
  readonly ackedPerS: number;
  readonly failedPerS: number;
  readonly totals: Readonly<FleetCounters>;
  readonly phase: 'connecting' | 'running' | 'draining';
}

export interface FleetSummary {
  readonly broker: string;
  readonly scenario: string | null;
  readonly seed: number;
  readonly devices: number;
  readonly qos: 0 | 1;
  readonly ratePerDevice: number;
  /** Event time the run's readings start at (scenario times are relative to it). */
  readonly startMs: number;
  readonly plannedDurationMs: number;
  /** Wall time from the first to the end of the schedule (longer than planned when behind). */
  readonly durationMs: number;
  readonly connectMs: number;
  readonly targetRatePerS: number;
  readonly offeredRatePerS: number;
  readonly offered: number;
  readonly sent: number;
  readonly acked: number;
  readonly failed: number;
  readonly failedBy: Readonly<FleetCounters['failed']>;
  readonly rejectedByDesign: Readonly<Record<string, number>>;
  readonly duplicatesByDesign: number;
  readonly silencedByDesign: number;
  /** Devices connected when the schedule ended. */
  readonly connected: number;
  readonly connects: number;
  readonly disconnects: number;
  readonly refusals: number;
  readonly connectErrors: number;
  readonly peakRssBytes: number;
  readonly aborted: boolean;
}

export interface RunControl {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: FleetProgress) => void;
}

/** Readings per loop turn before yielding to I/O. */
const MAX_BURST = 2000;
/** Longest sleep between turns, so aborts and progress stay responsive. */
const MAX_SLEEP_MS = 50;

export async function runFleet(input: FleetOptionsInput, control: RunControl = {}): Promise<FleetSummary> {
  const options = resolveFleetOptions(input);
  const devices = devicesOf(options);
  const counters = newCounters();
  const pool = new ConnectionPool({
    brokerUrl: options.brokerUrl,
    devices,
    qos: options.qos,
    maxInFlight: options.maxInFlight,
    maxBufferedBytes: options.maxBufferedBytes,
    connectConcurrency: options.connectConcurrency,
    connectTimeoutMs: options.connectTimeoutMs,
    keepaliveS: options.keepaliveS,
    random: mulberry32(options.seed ^ 0x1a77e2),
    counters,
  });
  const { signal } = control;
  let peakRss = process.memoryUsage.rss();
  const progress = new ProgressMeter(options, counters, pool, control.onProgress);

  const connectStart = performance.now();
  const connectTicker = setInterval(
    () => progress.report('connecting', 0, options.durationMs),
    options.progressIntervalMs,
  );
  try {
    await pool.connectAll(options.connectWaitMs, signal);
  } finally {
    clearInterval(connectTicker);
  }
  const connectMs = Math.round(performance.now() - connectStart);

  const startMs = options.startMs ?? Date.now();
  const plan = new FleetPlan({ ...options, startMs });
  const total = plan.readingsIn(options.durationMs);
  const emission = newEmission();
  const encoded: Encoded = { topic: '', payload: '' };
  const topics = new TopicCache();
  progress.restart();
  const t0 = performance.now();
  let j = 0;
  let stormCheckedMs = 0;
  let nextProgressMs = options.progressIntervalMs;

  while (j < total && !signal?.aborted) {
    const elapsed = performance.now() - t0;
    const due = Math.min(total, Math.floor((elapsed * plan.readingsPerSecond) / 1000) + 1);
    const stop = Math.min(due, j + MAX_BURST);
    for (; j < stop; j++) {
      plan.emissionAt(j, emission);
      counters.offered++;
      if (emission.silent) {
        counters.silencedByDesign++;
        continue;
      }
      const device = devices[emission.deviceIndex];
      if (!device) continue;
      encodeEmission(device.deviceId, emission, options.payloadFormat, encoded, topics);
      const sent = pool.publish(emission.deviceIndex, encoded.topic, encoded.payload);
      if (sent && emission.malformed) {
        const reason = rejectionReasonOf(emission.malformed);
        counters.rejectedByDesign[reason] = (counters.rejectedByDesign[reason] ?? 0) + 1;
      }
      if (sent && emission.copies > 1 && pool.publish(emission.deviceIndex, encoded.topic, encoded.payload)) {
        counters.duplicatesByDesign++;
      }
    }
    if (elapsed >= stormCheckedMs) {
      for (const storm of plan.stormsStartingBetween(stormCheckedMs, elapsed + 1)) {
        pool.cut(storm.devices, storm.event.untilMs - storm.event.atMs);
      }
      stormCheckedMs = elapsed + 1;
    }
    if (elapsed >= nextProgressMs) {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      progress.report('running', elapsed, options.durationMs);
      nextProgressMs += options.progressIntervalMs;
    }
    if (j < due) {
      await new Promise<void>((r) => setImmediate(r));
    } else if (j < total) {
      const waitMs = Math.min(MAX_SLEEP_MS, Math.max(0, plan.offsetOf(j) - (performance.now() - t0)));
      await new Promise<void>((r) => setTimeout(r, waitMs));
    }
  }
  const scheduleMs = performance.now() - t0;
  const connectedAtEnd = pool.connectedCount;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());

  // Publishes still awaiting their PUBACK (or socket write for QoS 0) get a bounded grace period.
  const drainUntil = performance.now() + options.drainTimeoutMs;
  let nextDrainReport = performance.now();
  while (counters.acked + counters.failed.publishError < counters.sent && performance.now() < drainUntil) {
    if (performance.now() >= nextDrainReport) {
      progress.report('draining', scheduleMs, 0);
      nextDrainReport += options.progressIntervalMs;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await pool.close();

  const elapsedS = Math.max(scheduleMs, signal?.aborted ? 1 : options.durationMs) / 1000;
  return Object.freeze({
    broker: options.brokerUrl,
    scenario: options.scenario?.name ?? null,
    seed: options.seed,
    devices: options.devices,
    qos: options.qos,
    ratePerDevice: options.rate,
    startMs,
    plannedDurationMs: options.durationMs,
    durationMs: Math.round(scheduleMs),
    connectMs,
    targetRatePerS: plan.readingsPerSecond,
    offeredRatePerS: Math.round((counters.offered / elapsedS) * 100) / 100,
    offered: counters.offered,
    sent: counters.sent,
    acked: counters.acked,
    failed: totalFailed(counters),
    failedBy: { ...counters.failed },
    rejectedByDesign: { ...counters.rejectedByDesign },
    duplicatesByDesign: counters.duplicatesByDesign,
    silencedByDesign: counters.silencedByDesign,
    connected: connectedAtEnd,
    connects: counters.connects,
    disconnects: counters.disconnects,
    refusals: counters.refusals,
    connectErrors: counters.connectErrors,
    peakRssBytes: peakRss,
    aborted: signal?.aborted ?? false,
  });
}

/** Per-interval rates from the running totals. */
class ProgressMeter {
  readonly #options: FleetOptions;
  readonly #counters: FleetCounters;
  readonly #pool: ConnectionPool;
  readonly #onProgress: ((p: FleetProgress) => void) | undefined;
  #last = { atMs: performance.now(), sent: 0, acked: 0, failed: 0 };

  constructor(
    options: FleetOptions,
    counters: FleetCounters,
    pool: ConnectionPool,
    onProgress: ((p: FleetProgress) => void) | undefined,
  ) {
    this.#options = options;
    this.#counters = counters;
    this.#pool = pool;
    this.#onProgress = onProgress;
  }

  /** Starts a fresh interval, so the first rates of the run do not average in the connect phase. */
  restart(): void {
    const c = this.#counters;
    this.#last = { atMs: performance.now(), sent: c.sent, acked: c.acked, failed: totalFailed(c) };
  }

  report(phase: FleetProgress['phase'], elapsedMs: number, durationMs: number): void {
    if (!this.#onProgress) return;
    const now = performance.now();
    const c = this.#counters;
    const failed = totalFailed(c);
    const dtS = Math.max(0.001, (now - this.#last.atMs) / 1000);
    const progress: FleetProgress = {
      phase,
      elapsedMs: Math.round(elapsedMs),
      remainingMs: Math.max(0, Math.round(durationMs - elapsedMs)),
      connected: this.#pool.connectedCount,
      devices: this.#options.devices,
      sentPerS: (c.sent - this.#last.sent) / dtS,
      ackedPerS: (c.acked - this.#last.acked) / dtS,
      failedPerS: (failed - this.#last.failed) / dtS,
      totals: c,
    };
    this.#last = { atMs: now, sent: c.sent, acked: c.acked, failed };
    this.#onProgress(progress);
  }
}
