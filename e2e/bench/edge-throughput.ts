/**
 * Gateway QoS 1 readings/s against raw aedes, same run, same load generator: the edge
 * bench's own generator (edge/bench/load.ts: 10 mqtt.js publishers, bounded in-flight
 * window) and its baseline broker (edge/bench/raw-aedes.ts: aedes with no hooks, in its own
 * process like the gateway). Rounds alternate raw / gateway so drift on the shared machine
 * hits both, after one unmeasured warm-up round each; the median round of each is kept.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { closeAll, connectPublishers, runThroughput } from '../../edge/bench/load.ts';
import { spawnNode } from '../src/child.ts';
import { median } from './stats.ts';

const RAW_AEDES = fileURLToPath(new URL('../../edge/bench/raw-aedes.ts', import.meta.url));

export interface ThroughputOptions {
  readonly rounds: number;
  readonly roundMs: number;
  readonly window: number;
  readonly onRound?: (what: 'raw aedes' | 'gateway', round: number, perSecond: number) => void;
}

export interface ThroughputFigures {
  readonly rawPerSecond: number;
  readonly gatewayPerSecond: number;
  readonly ratio: number;
  readonly rawRounds: number[];
  readonly gatewayRounds: number[];
}

type Creds = ReadonlyArray<{ deviceId: string; password?: string }>;

async function round(url: string, creds: Creds, options: ThroughputOptions): Promise<number> {
  const publishers = await connectPublishers(url, creds);
  try {
    const r = await runThroughput(publishers, {
      perPublisher: Number.MAX_SAFE_INTEGER,
      window: options.window,
      maxMs: options.roundMs,
    });
    return r.perSecond;
  } finally {
    await closeAll(publishers);
  }
}

export async function measureThroughput(
  gatewayUrl: string,
  devices: Creds,
  options: ThroughputOptions,
): Promise<ThroughputFigures> {
  const raw = spawnNode(RAW_AEDES, []);
  try {
    const port = (await raw.waitForLine(/ready (\d+)/, 15_000))[1];
    const rawUrl = `mqtt://127.0.0.1:${port}`;
    const rawCreds = devices.map((d) => ({ deviceId: d.deviceId }));
    const rawRounds: number[] = [];
    const gatewayRounds: number[] = [];
    // One unmeasured round each first: both processes' JIT settles before anything counts.
    const warmUp = { ...options, roundMs: Math.min(options.roundMs, 1_500) };
    await round(rawUrl, rawCreds, warmUp);
    await round(gatewayUrl, devices, warmUp);
    for (let i = 0; i < options.rounds; i++) {
      rawRounds.push(await round(rawUrl, rawCreds, options));
      options.onRound?.('raw aedes', i + 1, rawRounds.at(-1)!);
      gatewayRounds.push(await round(gatewayUrl, devices, options));
      options.onRound?.('gateway', i + 1, gatewayRounds.at(-1)!);
    }
    const rawPerSecond = median(rawRounds);
    const gatewayPerSecond = median(gatewayRounds);
    return {
      rawPerSecond,
      gatewayPerSecond,
      ratio: gatewayPerSecond / rawPerSecond,
      rawRounds,
      gatewayRounds,
    };
  } finally {
    await raw.stop(5_000);
  }
}

/** Resident set size now and at its peak (VmRSS, VmHWM of /proc/<pid>/status), in MiB. */
export async function processRssMiB(pid: number): Promise<{ rssMiB: number; peakMiB: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1]);
    return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}
