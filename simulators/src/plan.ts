/**
 * The fleet plan: what device `i` sends on its `k`-th tick, as a pure function of the seed,
 * the fleet size, the rate, the start time and the scenario. The live runner and the
 * broker-free check both read readings from here, so they cannot disagree.
 *
 * Timing: the fleet's readings form one global sequence j = k * devices + i, due at
 * j / (devices * rate) seconds after the start, which spreads devices evenly over each
 * period; each tick sends one reading, cycling through the device's metrics.
 */

import { deviceMetrics, sensorValue, toCatalogResolution } from './models/index.ts';
import { hash32, unitAt } from './prng.ts';
import { MALFORMED_VARIANTS } from './scenario/schema.ts';
import {
  type MalformedVariant,
  type Scenario,
  type ScenarioEvent,
  selectedDevices,
} from './scenario/types.ts';

export interface FleetPlanOptions {
  readonly seed: number;
  readonly devices: number;
  /** Readings per second per device. */
  readonly rate: number;
  /** Event time of the start of the run (ms epoch); scenario times are relative to it. */
  readonly startMs: number;
  readonly scenario?: Scenario | undefined;
}

export type SilenceReason = 'dropout' | 'offline';

/** One tick of one device. Reused by `emissionAt` to keep the hot path allocation-free. */
export interface Emission {
  deviceIndex: number;
  k: number;
  /** Scheduled offset from the start, ms (fractional). */
  offsetMs: number;
  metric: string;
  /** True event time (start + scheduled offset, whole ms). */
  tMs: number;
  /** Event time as the device's clock reports it (skewed by clock_skew events). */
  deviceTMs: number;
  value: number;
  /** Set when the device is silent this tick (nothing is sent). */
  silent: SilenceReason | undefined;
  /** Set when this reading is replaced by a malformed payload. */
  malformed: MalformedVariant | undefined;
  /** 2 when the reading is published twice. */
  copies: number;
}

export function newEmission(): Emission {
  return {
    deviceIndex: 0,
    k: 0,
    offsetMs: 0,
    metric: '',
    tMs: 0,
    deviceTMs: 0,
    value: 0,
    silent: undefined,
    malformed: undefined,
    copies: 1,
  };
}

const SPIKE_SALT = 0x5b1c3;
const NO_EVENTS: readonly ScenarioEvent[] = Object.freeze([]);

export class FleetPlan {
  readonly options: FleetPlanOptions;
  readonly readingsPerSecond: number;
  readonly #metrics: string[][];
  readonly #events: (readonly ScenarioEvent[])[];
  readonly #stuckValues = new Map<string, number>();

  constructor(options: FleetPlanOptions) {
    this.options = options;
    this.readingsPerSecond = options.devices * options.rate;
    const events = options.scenario?.events ?? [];
    this.#events = Array.from({ length: options.devices }, () => NO_EVENTS);
    for (const event of events) {
      for (const i of selectedDevices(event.devices, options.devices)) {
        const list = this.#events[i] === NO_EVENTS ? [] : (this.#events[i] as ScenarioEvent[]);
        list.push(event);
        this.#events[i] = list;
      }
    }
    // A scenario that acts on a metric makes sure the devices it targets report it.
    this.#metrics = Array.from({ length: options.devices }, (_, i) => {
      const metrics = deviceMetrics(options.seed, i);
      for (const event of this.#events[i] ?? NO_EVENTS) {
        if ('metric' in event && !metrics.includes(event.metric))
          metrics.splice(metrics.length - 1, 0, event.metric);
      }
      return metrics;
    });
  }

  metricsOf(deviceIndex: number): readonly string[] {
    return this.#metrics[deviceIndex] ?? [];
  }

  /** Scheduled offset (ms from start) of global reading number `j`. */
  offsetOf(j: number): number {
    return (j * 1000) / this.readingsPerSecond;
  }

  /** Number of readings due in the first `durationMs` of the run. */
  readingsIn(durationMs: number): number {
    return Math.ceil((durationMs * this.readingsPerSecond) / 1000);
  }

  /** Devices cut off by a reconnect storm at `offsetMs`, for the runner. */
  stormsStartingBetween(fromMs: number, toMs: number): { event: ScenarioEvent; devices: number[] }[] {
    const out: { event: ScenarioEvent; devices: number[] }[] = [];
    for (const event of this.options.scenario?.events ?? []) {
      if (event.kind === 'reconnect_storm' && event.atMs >= fromMs && event.atMs < toMs) {
        out.push({ event, devices: selectedDevices(event.devices, this.options.devices) });
      }
    }
    return out;
  }

  /** Fills `out` with global reading `j` and returns it. */
  emissionAt(j: number, out: Emission): Emission {
    const devices = this.options.devices;
    const i = j % devices;
    const k = (j - i) / devices;
    const offsetMs = this.offsetOf(j);
    const metrics = this.#metrics[i] as string[];
    const metric = metrics[k % metrics.length] as string;
    const tMs = this.options.startMs + Math.floor(offsetMs);
    out.deviceIndex = i;
    out.k = k;
    out.offsetMs = offsetMs;
    out.metric = metric;
    out.tMs = tMs;
    out.deviceTMs = tMs;
    out.silent = undefined;
    out.malformed = undefined;
    out.copies = 1;
    const events = this.#events[i] as readonly ScenarioEvent[];
    let value = sensorValue(this.options.seed, i, metric, tMs);
    if (events.length === 0) {
      out.value = value;
      return out;
    }
    let transformed = false;
    for (const e of events) {
      if (offsetMs < e.atMs || offsetMs >= e.untilMs) continue;
      switch (e.kind) {
        case 'dropout':
          out.silent = 'dropout';
          break;
        case 'reconnect_storm':
          out.silent = 'offline';
          break;
        case 'offset':
          if (e.metric === metric) {
            value += e.delta * rampFactor(offsetMs, e.atMs, e.untilMs, e.rampMs);
            transformed = true;
          }
          break;
        case 'flap':
          if (e.metric === metric) {
            value = (offsetMs - e.atMs) % e.periodMs < e.periodMs / 2 ? e.high : e.low;
            transformed = true;
          }
          break;
        case 'stuck':
          if (e.metric === metric) {
            value = e.value ?? this.#stuckValue(i, metric, e.atMs);
            transformed = true;
          }
          break;
        case 'spike':
          if (e.metric === metric && unitAt(this.options.seed, i, k, SPIKE_SALT) < e.probability) {
            value += unitAt(this.options.seed, i, k, SPIKE_SALT + 1) < 0.5 ? -e.magnitude : e.magnitude;
            transformed = true;
          }
          break;
        case 'clock_skew':
          out.deviceTMs = tMs + e.skewMs;
          break;
        case 'malformed':
          if (k % e.every === 0) out.malformed = e.variants[Math.floor(k / e.every) % e.variants.length];
          break;
        case 'duplicate':
          if (k % e.every === 0) out.copies = 2;
          break;
      }
    }
    out.value = transformed ? toCatalogResolution(metric, value) : value;
    return out;
  }

  #stuckValue(i: number, metric: string, atMs: number): number {
    const key = `${i}/${metric}/${atMs}`;
    let v = this.#stuckValues.get(key);
    if (v === undefined) {
      v = sensorValue(this.options.seed, i, metric, this.options.startMs + atMs);
      this.#stuckValues.set(key, v);
    }
    return v;
  }
}

/** 0 -> 1 over `rampMs` after `atMs`, 1 while held, 1 -> 0 over `rampMs` before `untilMs`. */
function rampFactor(offsetMs: number, atMs: number, untilMs: number, rampMs: number): number {
  if (rampMs <= 0) return 1;
  return Math.min(1, (offsetMs - atMs) / rampMs, (untilMs - offsetMs) / rampMs);
}

/** The rejection reason the pipeline must give a malformed variant. */
export function rejectionReasonOf(variant: MalformedVariant): string {
  return MALFORMED_VARIANTS[variant];
}

/** Stable id for a plan (seed + fleet), useful in logs. */
export function planId(options: FleetPlanOptions): string {
  return hash32(options.seed, options.devices, Math.round(options.rate * 1000))
    .toString(16)
    .padStart(8, '0');
}
