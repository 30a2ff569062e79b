/**
 * `npm run bench:codec`: size and speed of the telemetry batch codec on the standard mix,
 * against JSON measured in the same run (ratios, not absolute targets: the machine is shared).
 */
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encode as cborEncode, isNativeAccelerationEnabled } from 'cbor-x';
import { decodeBatch, encodeBatch, type TelemetryBatch } from '../src/codec/index.ts';
import { standardMix } from './standard-mix.ts';

const HELP = `Usage: npm run bench:codec -- [options]

Encodes the standard mix (devices x metrics at 1 Hz for N seconds) with the batch codec and
with JSON, and prints bytes per reading and encode/decode readings per second.

Options:
  --devices <n>   devices in the mix (default 50)
  --seconds <n>   seconds of 1 Hz samples (default 5: 50 x 4 x 5 = 1000 readings)
  --seed <n>      PRNG seed of the mix (default 1)
  --runs <n>      timed runs per measurement; the median is printed (default 7)
  --run-ms <n>    length of one timed run in ms (default 300)
  -h, --help      show this help`;

/** Pub/Sub bills every publish request as at least 1000 bytes. */
const PUBSUB_MIN_BILLED_BYTES = 1000;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
      runs: { type: 'string', default: '7' },
      'run-ms': { type: 'string', default: '300' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const int = (name: string, raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--${name} must be a positive integer, got ${raw}\n\n${HELP}`);
      process.exit(2);
    }
    return n;
  };
  return {
    devices: int('devices', values.devices),
    seconds: int('seconds', values.seconds),
    seed: int('seed', values.seed),
    runs: int('runs', values.runs),
    runMs: int('run-ms', values['run-ms']),
  };
}

interface Timing {
  /** Readings per second of wall-clock time. */
  wall: number;
  /** Readings per second of this process's CPU time (user + system, GC threads included). */
  cpu: number;
}

/** One timed run of `fn` (which handles `perCall` readings) lasting about `runMs`. */
function timeRun(fn: () => unknown, perCall: number, runMs: number): Timing {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let calls = 0;
  let elapsedMs = 0;
  do {
    fn();
    calls++;
    elapsedMs = performance.now() - start;
  } while (elapsedMs < runMs);
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { wall: (calls * perCall * 1000) / elapsedMs, cpu: (calls * perCall * 1000) / cpuMs };
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Times `subject` and `baseline` in alternating runs, so load from other processes on this
 * shared machine hits both alike; medians per side, and the median of per-run ratios.
 */
function compare(
  subject: () => unknown,
  baseline: () => unknown,
  perCall: number,
  runs: number,
  runMs: number,
) {
  const a: Timing[] = [];
  const b: Timing[] = [];
  for (let run = 0; run < runs; run++) {
    a.push(timeRun(subject, perCall, runMs));
    b.push(timeRun(baseline, perCall, runMs));
  }
  return {
    wall: median(a.map((t) => t.wall)),
    cpu: median(a.map((t) => t.cpu)),
    baselineWall: median(b.map((t) => t.wall)),
    baselineCpu: median(b.map((t) => t.cpu)),
    ratio: median(a.map((t, i) => t.cpu / b[i]!.cpu)),
  };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const fmt = (n: number, digits = 2): string => n.toFixed(digits);
const fmtRate = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(0)} k/s`;

function main(): void {
  const opts = parseOptions();
  const readings = standardMix({ devices: opts.devices, seconds: opts.seconds, seed: opts.seed });
  const n = readings.length;
  const gatewayId = 'gw-site-001';
  const batch: TelemetryBatch = { gatewayId, createdAtMs: readings.at(-1)!.tsMs + 100, readings, alerts: [] };

  const perMessage = readings.map((r) => Buffer.byteLength(JSON.stringify({ gatewayId, ...r })));
  const perMessageBytes = perMessage.reduce((a, b) => a + b, 0);
  const jsonBatch = JSON.stringify(batch);
  const jsonBytes = Buffer.byteLength(jsonBatch);
  const gzipped = gzipSync(jsonBatch);
  const plainCbor = cborEncode(batch);
  const ours = encodeBatch(batch);
  const roundTrip = decodeBatch(ours);
  if (roundTrip.readings.length !== n) throw new Error('round trip lost readings');

  const billed = (bytes: number, messages: number) =>
    Math.max(PUBSUB_MIN_BILLED_BYTES, bytes / messages) * messages;
  const sizeRows: [string, number, number][] = [
    ['JSON, one message per reading', perMessageBytes, perMessage.reduce((a, b) => a + billed(b, 1), 0)],
    ['JSON array batch', jsonBytes, billed(jsonBytes, 1)],
    ['gzip(JSON batch), node:zlib default', gzipped.length, billed(gzipped.length, 1)],
    ['cbor-x of the plain batch object', plainCbor.length, billed(plainCbor.length, 1)],
    ['edgeflow batch codec (CBOR columns)', ours.length, billed(ours.length, 1)],
  ];
  const perReadingJson = perMessageBytes / n;

  console.log(
    `edgeflow codec bench: node ${process.version}, cbor-x native extractor ${isNativeAccelerationEnabled ? 'enabled' : 'DISABLED'}`,
  );
  console.log(
    `standard mix: ${n} readings = ${opts.devices} devices x 4 metrics x ${opts.seconds} s at 1 Hz (seed ${opts.seed}), one gateway batch\n`,
  );
  console.log(
    table(
      ['format', 'bytes', 'B/reading', 'vs JSON msg', 'billed B/reading', 'billed vs JSON msg'],
      sizeRows.map(([name, bytes, billedBytes]) => [
        name,
        String(bytes),
        fmt(bytes / n),
        `${fmt(perReadingJson / (bytes / n), 1)}x`,
        fmt(billedBytes / n),
        `${fmt(perMessage.reduce((a, b) => a + billed(b, 1), 0) / billedBytes, 1)}x`,
      ]),
    ),
  );

  // Longer series amortize the per-series header and dictionary: same fleet, one minute.
  const minute = standardMix({ devices: opts.devices, seconds: 60, seed: opts.seed });
  const minuteBytes = encodeBatch({
    gatewayId,
    createdAtMs: minute.at(-1)!.tsMs + 100,
    readings: minute,
    alerts: [],
  });
  console.log(
    `(same fleet, a 60 s batch of ${minute.length} readings: codec ${fmt(minuteBytes.length / minute.length)} B/reading, ` +
      `gzip(JSON) ${fmt(gzipSync(JSON.stringify({ gatewayId, readings: minute })).length / minute.length)} B/reading)`,
  );

  // Warm up every path before timing so the JIT has settled on all of them.
  for (let i = 0; i < 200; i++) {
    encodeBatch(batch);
    decodeBatch(ours);
    JSON.parse(jsonBatch);
    JSON.stringify(batch);
  }
  const { runs, runMs } = opts;
  const encode = compare(
    () => encodeBatch(batch),
    () => JSON.stringify(batch),
    n,
    runs,
    runMs,
  );
  const decode = compare(
    () => decodeBatch(ours),
    () => JSON.parse(jsonBatch),
    n,
    runs,
    runMs,
  );
  const gunzipParse = median(
    Array.from(
      { length: runs },
      () => timeRun(() => JSON.parse(gunzipSync(gzipped).toString()), n, runMs).cpu,
    ),
  );
  console.log(
    `\nspeed: readings per CPU-second of this process (wall-clock in brackets), median of ${runs} runs x ${runMs} ms,\n` +
      `codec and JSON runs alternated; the machine is shared, so the ratio is the stable figure\n`,
  );
  console.log(
    table(
      ['operation', 'edgeflow codec', 'JSON batch (same run)', 'codec / JSON'],
      [
        ['encode (vs JSON.stringify)', encode],
        ['decode (vs JSON.parse)', decode],
      ].map(([name, r]) => {
        const c = r as typeof encode;
        return [
          name as string,
          `${fmtRate(c.cpu)} (${fmtRate(c.wall)})`,
          `${fmtRate(c.baselineCpu)} (${fmtRate(c.baselineWall)})`,
          `${fmt(c.ratio)}x`,
        ];
      }),
    ),
  );
  console.log(`(gunzip + JSON.parse of the gzip batch: ${fmtRate(gunzipParse)} per CPU-second)`);
  const decodeRate = decode.cpu;
  console.log(
    `\ntargets: <= 6 B/reading: ${ours.length / n <= 6 ? 'met' : 'MISSED'} (${fmt(ours.length / n)}); ` +
      `decode >= 5M readings/s: ${decodeRate >= 5e6 ? 'met' : 'MISSED'} (${fmtRate(decodeRate)})`,
  );
}

main();
