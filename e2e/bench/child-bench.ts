/**
 * Another package's benchmark that only exists as a script (bench:ingest prints a
 * `label  value  target` table): run it as a child process, bounded in time, and read the
 * figures back from its rows.
 */
import { existsSync } from 'node:fs';
import { spawnNode } from '../src/child.ts';

/** `label -> value` for every printed row `<label>  <number>  <target>` (two or more spaces apart). */
export function parseRows(lines: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines) {
    const m = line.match(/^\s*(\S.*?)\s{2,}(-?\d+(?:\.\d+)?)\s{2,}\S.*$/);
    if (m) out.set(m[1]!.trim(), Number(m[2]));
  }
  return out;
}

/** The first row whose label starts with `prefix`. */
export function rowValue(rows: ReadonlyMap<string, number>, prefix: string): number | undefined {
  for (const [label, value] of rows) if (label.startsWith(prefix)) return value;
  return undefined;
}

export interface ChildBenchResult {
  readonly ok: boolean;
  readonly lines: string[];
  readonly error?: string;
}

export async function runChildBench(
  script: string,
  args: readonly string[],
  timeoutMs: number,
  onLine?: (line: string) => void,
): Promise<ChildBenchResult> {
  if (!existsSync(script)) return { ok: false, lines: [], error: `${script} does not exist` };
  const lines: string[] = [];
  const child = spawnNode(script, args, {
    onLine: (l) => {
      lines.push(l);
      onLine?.(l);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    await child.stop(5_000);
    return { ok: false, lines, error: `timed out after ${timeoutMs} ms` };
  }
  return outcome === 0 ? { ok: true, lines } : { ok: false, lines, error: `exited ${outcome}` };
}

/** The figures `bench:edge` prints (edge/bench/edge.bench.ts: its summary lines). */
export interface EdgeBenchFigures {
  readonly rawPerSecond?: number;
  readonly gatewayPerSecond?: number;
  readonly ratio?: number;
  readonly alertP50Ms?: number;
  readonly alertP99Ms?: number;
  readonly alertSamples?: number;
  readonly alertRatePerSecond?: number;
  readonly rssMiB?: number;
  readonly peakRssMiB?: number;
}

export function parseEdgeBench(lines: readonly string[]): EdgeBenchFigures {
  const text = lines.join('\n');
  const num = (re: RegExp, group = 1): number | undefined => {
    const m = text.match(re);
    return m ? Number(m[group]) : undefined;
  };
  const out: Record<string, number | undefined> = {
    rawPerSecond: num(/\(a\) raw aedes\s+median\s+(\d+(?:\.\d+)?) readings\/s/),
    gatewayPerSecond: num(/\(b\) gateway\s+median\s+(\d+(?:\.\d+)?) readings\/s/),
    ratio: num(/ratio \(b\)\/\(a\)\s+median\s+(\d+(?:\.\d+)?)/),
    alertP50Ms: num(/alert latency\s+p50\s+(\d+(?:\.\d+)?) ms/),
    alertP99Ms: num(/alert latency\s+p50\s+\S+ ms\s+p99\s+(\d+(?:\.\d+)?) ms/),
    alertSamples: num(/\((\d+) alerts, \d+ readings\/s offered/),
    alertRatePerSecond: num(/\(\d+ alerts, (\d+) readings\/s offered/),
    rssMiB: num(/gateway RSS\s+(\d+(?:\.\d+)?) MB/),
    peakRssMiB: num(/gateway RSS.*peak (\d+(?:\.\d+)?) MB/),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined && !Number.isNaN(v)));
}
