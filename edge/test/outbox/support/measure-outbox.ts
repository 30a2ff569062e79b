/**
 * Measurement behind the outbox design choice (not a test): durable appends/s of
 *   (a) one write + fdatasync per append (the naive durable log), and
 *   (b) the outbox's group commit with fsyncs back to back (groupCommitIntervalMs 0), and
 *   (c) with fsyncs at most once per millisecond (the default),
 * with 100 appends outstanding (10 publishers x a QoS 1 window of 10), one reading each,
 * as MQTT ingest would issue them. Prints appends/s, fsyncs, process CPU per append (user +
 * system, all threads: fsyncs are mostly kernel time) and the ratio.
 *
 *   node edge/test/outbox/support/measure-outbox.ts [seconds per variant, default 3]
 */
import { mkdtemp, open as openFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@edgeflow/shared';
import { Encoder } from 'cbor-x';
import pino from 'pino';
import prom from 'prom-client';
import { Value } from 'typebox/value';
import { encodeFrame, RecordKind } from '../../../src/outbox/frame.ts';
import { type OutboxConfig, OutboxConfigSchema, openOutbox } from '../../../src/outbox/index.ts';

const seconds = Number(process.argv[2] ?? 3);
const OUTSTANDING = 100;
const cbor = new Encoder({ useRecords: false });

function reading(i: number) {
  return {
    deviceId: `dev-${i % 100}`,
    metric: 'temperature',
    tsMs: 1_767_225_600_000 + i,
    value: (i % 5000) / 100,
  };
}

/** Keeps OUTSTANDING appends in flight for `seconds`; returns completed appends/s. */
async function drive(
  append: (i: number, done: (err: Error | null) => void) => void,
): Promise<{ rate: number; completed: number }> {
  let completed = 0;
  let issued = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    let outstanding = 0;
    const issue = () => {
      outstanding++;
      append(issued++, (err) => {
        outstanding--;
        if (err) return reject(err);
        completed++;
        if (performance.now() < deadline) setImmediate(issue);
        else if (outstanding === 0) resolve();
      });
    };
    for (let i = 0; i < OUTSTANDING; i++) issue();
  });
  return { rate: completed / ((performance.now() - start) / 1000), completed };
}

async function naive(dir: string): Promise<{ rate: number; fsyncs: number }> {
  const fh = await openFile(join(dir, 'naive.seg'), 'w');
  let position = 0;
  let fsyncs = 0;
  const { rate } = await drive((i, done) => {
    const frame = encodeFrame(
      { kind: RecordKind.readings, firstId: i, count: 1, appendedAtMs: Date.now() },
      cbor.encode([[reading(i).deviceId, 'temperature', reading(i).tsMs, reading(i).value]]),
    );
    const at = position;
    position += frame.length;
    fh.write(frame, 0, frame.length, at)
      .then(() => fh.datasync())
      .then(() => {
        fsyncs++;
        done(null);
      }, done);
  });
  await fh.close();
  return { rate, fsyncs };
}

async function grouped(
  dir: string,
  overrides: Partial<OutboxConfig>,
): Promise<{ rate: number; fsyncs: number; appends: number; cpuMs: number }> {
  const registry = new prom.Registry();
  const config = Value.Default(OutboxConfigSchema, { dir, ...overrides }) as OutboxConfig;
  const outbox = await openOutbox(config, {
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    registry,
  });
  const cpuBefore = process.cpuUsage();
  const { rate, completed } = await drive((i, done) => {
    outbox.appendReadings([reading(i)], done);
  });
  const cpu = process.cpuUsage(cpuBefore);
  const fsyncs =
    (await registry.getSingleMetric('edgeflow_outbox_fsyncs_total')?.get())?.values[0]?.value ?? 0;
  await outbox.close();
  return { rate, fsyncs, appends: completed, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const root = await mkdtemp(join(tmpdir(), 'edgeflow-measure-'));
try {
  const a = await naive(root);
  const b = await grouped(join(root, 'b'), { groupCommitIntervalMs: 0 });
  const c = await grouped(join(root, 'c'), { groupCommitIntervalMs: 1 });
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`outstanding appends: ${OUTSTANDING}, ${seconds} s per variant, dir ${root}`);
  console.log(`(a) fdatasync per append:           ${fmt(a.rate)} appends/s (${fmt(a.fsyncs)} fsyncs)`);
  for (const [label, r] of [
    ['(b) group commit, interval 0 ms:   ', b],
    ['(c) group commit, interval 1 ms:   ', c],
  ] as const) {
    console.log(
      `${label}${fmt(r.rate)} appends/s (${fmt(r.fsyncs)} fsyncs, ${((r.cpuMs * 1000) / r.appends).toFixed(1)} µs CPU per append)  ${(r.rate / a.rate).toFixed(1)}x (a)`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
