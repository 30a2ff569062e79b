import { spawnSync } from 'node:child_process';
import { appendFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../../src/outbox/checkpoint.ts';
import {
  alert,
  appendAlertDurable,
  appendDurable,
  counterValue,
  open,
  readAll,
  reading,
  tempDir,
} from './support.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function dir(): Promise<string> {
  const t = await tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

async function segmentFiles(d: string, lane = 'telemetry'): Promise<string[]> {
  return (await readdir(join(d, lane))).filter((n) => n.endsWith('.seg')).sort();
}

describe('outbox append and recovery', () => {
  it('assigns consecutive seqs synchronously and reads back what was appended', async () => {
    const d = await dir();
    const { outbox } = await open(d);
    const a = outbox.appendReadings([reading(0), reading(1)], () => {});
    const b = await appendDurable(outbox, [reading(2)]);
    expect(a.map((r) => r.seq)).toEqual([0, 1]);
    expect(b.map((r) => r.seq)).toEqual([2]);
    expect(await readAll(outbox)).toEqual([...a, ...b]);
    expect(outbox.stats()).toMatchObject({ records: 3, nextSeq: 3, evictedReadings: 0 });
    await outbox.close();
  });

  it('keeps readings, alerts, the next seq and the committed position across reopen', async () => {
    const d = await dir();
    const first = await open(d);
    const written = await appendDurable(first.outbox, [reading(0), reading(1), reading(2)]);
    await appendAlertDurable(first.outbox, alert(0));
    await appendAlertDurable(first.outbox, alert(1));
    await first.outbox.reader.commit({ telemetrySeq: 1, alertIndex: 1 });
    await first.outbox.close();

    const second = await open(d);
    expect(second.outbox.reader.committed()).toEqual({ telemetrySeq: 1, alertIndex: 1 });
    expect(second.outbox.stats().nextSeq).toBe(3);
    expect(await readAll(second.outbox)).toEqual(written);
    const alerts = await second.outbox.reader.readAlerts(1, 10);
    expect(alerts.map((a) => [a.index, a.alert])).toEqual([[1, alert(1)]]);
    const more = await appendDurable(second.outbox, [reading(3)]);
    expect(more[0]?.seq).toBe(3);
    await second.outbox.close();
  });

  it('refuses appends after close with a coded error and no seq used', async () => {
    const d = await dir();
    const { outbox } = await open(d);
    await outbox.close();
    expect(() => outbox.appendReadings([reading(0)], () => {})).toThrow(
      expect.objectContaining({ code: 'EDGEFLOW_OUTBOX_CLOSED' }),
    );
    const alertErr = await new Promise<Error | null>((resolve) => outbox.appendAlert(alert(0), resolve));
    expect(alertErr).toMatchObject({ code: 'EDGEFLOW_OUTBOX_CLOSED' });
    expect(outbox.stats().nextSeq).toBe(0);
  });

  it('refuses readings beyond maxPendingBytes while the disk lags, counted, alerts still accepted', async () => {
    const d = await dir();
    const { outbox, registry } = await open(d, { maxPendingBytes: 64 * 1024, groupCommitIntervalMs: 1000 });
    const big = Array.from({ length: 500 }, (_, k) => reading(k));
    let refusedAt = -1;
    for (let i = 0; i < 100 && refusedAt < 0; i++) {
      try {
        outbox.appendReadings(big, () => {});
      } catch (err) {
        expect(err).toMatchObject({ code: 'EDGEFLOW_OUTBOX_BACKPRESSURE' });
        refusedAt = i;
      }
    }
    expect(refusedAt).toBeGreaterThan(0);
    expect(outbox.stats().nextSeq).toBe(refusedAt * 500);
    expect(await counterValue(registry, 'edgeflow_outbox_refused_appends_total')).toBe(1);
    await appendAlertDurable(outbox, alert(0)); // an alert is accepted and flushes the group
    expect((await appendDurable(outbox, [reading(0)]))[0]?.seq).toBe(refusedAt * 500);
    await outbox.close();
  });

  it('exposes only durable records to the reader', async () => {
    const d = await dir();
    const { outbox } = await open(d);
    outbox.appendReadings([reading(0)], () => {});
    // Same tick: appended, not yet fsynced.
    expect(outbox.reader.durableEnd().telemetrySeq).toBe(0);
    expect(await outbox.reader.readReadings(0, 10)).toEqual([]);
    await appendDurable(outbox, [reading(1)]);
    expect(outbox.reader.durableEnd().telemetrySeq).toBe(2);
    await outbox.close();
  });
});

describe('outbox torn tail', () => {
  it('cuts a torn last record on open and continues the seq from the intact tail', async () => {
    const d = await dir();
    const first = await open(d);
    await appendDurable(first.outbox, [reading(0), reading(1)]);
    await appendDurable(first.outbox, [reading(2), reading(3), reading(4)]);
    await first.outbox.close();
    const [segment] = await segmentFiles(d);
    const path = join(d, 'telemetry', segment as string);
    const { size } = await stat(path);
    await truncate(path, size - 3); // kill -9 in the middle of the second write

    const second = await open(d);
    expect((await readAll(second.outbox)).map((r) => r.seq)).toEqual([0, 1]);
    expect(second.outbox.stats().nextSeq).toBe(2);
    const next = await appendDurable(second.outbox, [reading(9)]);
    expect(next[0]?.seq).toBe(2);
    expect((await readAll(second.outbox)).map((r) => r.seq)).toEqual([0, 1, 2]);
    await second.outbox.close();
  });

  it('recovers a prefix of what was appended for any cut point or garbage tail (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 12 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        async (sizes, cutAt, garbage) => {
          const d = await dir();
          const first = await open(d);
          const all = [];
          for (const [i, n] of sizes.entries()) {
            all.push(
              ...(await appendDurable(
                first.outbox,
                Array.from({ length: n }, (_, k) => reading(i * 100 + k)),
              )),
            );
          }
          await first.outbox.close();
          const [segment] = await segmentFiles(d);
          const path = join(d, 'telemetry', segment as string);
          const { size } = await stat(path);
          await truncate(path, Math.floor(size * cutAt));
          await appendFile(path, garbage);

          const second = await open(d);
          const recovered = await readAll(second.outbox);
          expect(recovered).toEqual(all.slice(0, recovered.length));
          expect(second.outbox.stats().nextSeq).toBe(recovered.length);
          const next = await appendDurable(second.outbox, [reading(0)]);
          expect(next[0]?.seq).toBe(recovered.length);
          await second.outbox.close();
        },
      ),
      { seed: 20261123, numRuns: 40 },
    );
  }, 30_000);

  it('never goes below the committed seq even if the log lost its tail', async () => {
    const d = await dir();
    const first = await open(d);
    await appendDurable(first.outbox, [reading(0), reading(1), reading(2)]);
    await first.outbox.reader.commit({ telemetrySeq: 3, alertIndex: 0 });
    await first.outbox.close();
    const [segment] = await segmentFiles(d);
    await truncate(join(d, 'telemetry', segment as string), 0);

    const second = await open(d);
    expect(second.outbox.stats().nextSeq).toBe(3);
    expect((await appendDurable(second.outbox, [reading(3)]))[0]?.seq).toBe(3);
    await second.outbox.close();
  });
});

describe('outbox group commit', () => {
  it('shares one fsync between the appends that arrive while another fsync runs', async () => {
    const d = await dir();
    const { outbox, registry } = await open(d);
    const appends = 2000;
    let durable = 0;
    await new Promise<void>((resolve, reject) => {
      let i = 0;
      // One append per macrotask, like one PUBLISH per socket read.
      const next = () => {
        outbox.appendReadings([reading(i)], (err) => {
          if (err) reject(err);
          else if (++durable === appends) resolve();
        });
        if (++i < appends) setImmediate(next);
      };
      next();
    });
    const fsyncs = await counterValue(registry, 'edgeflow_outbox_fsyncs_total');
    expect(fsyncs).toBeGreaterThan(0);
    expect(fsyncs).toBeLessThan(appends / 4);
    expect((await readAll(outbox)).length).toBe(appends);
    await outbox.close();
  }, 30_000);

  it('commits an idle outbox at once, then waits groupCommitIntervalMs for company unless an alert comes', async () => {
    const d = await dir();
    const { outbox, registry } = await open(d, { groupCommitIntervalMs: 1000 });
    const fsyncs = () => counterValue(registry, 'edgeflow_outbox_fsyncs_total');
    await appendDurable(outbox, [reading(0)]); // idle: no wait (a 1 s wait would time the test out)
    expect(await fsyncs()).toBe(1);
    let readingsDurable = false;
    outbox.appendReadings([reading(1)], () => {
      readingsDurable = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(readingsDurable).toBe(false);
    await appendAlertDurable(outbox, alert(0));
    expect(readingsDurable).toBe(true);
    expect(await fsyncs()).toBe(3); // the first group, then one per lane
    await outbox.close();
  });
});

describe('outbox eviction at the byte cap', () => {
  it('drops the oldest telemetry, counts it, and keeps every alert', async () => {
    const d = await dir();
    const maxBytes = 4 * 1024 * 1024;
    const { outbox, registry } = await open(d, { maxBytes, segmentBytes: 256 * 1024 });
    const appended = [];
    let alerts = 0;
    for (let i = 0; i < 300; i++) {
      const batch = Array.from({ length: 500 }, (_, k) => reading(i * 500 + k, `dev-${k % 7}`));
      appended.push(...(await appendDurable(outbox, batch)));
      if (i % 10 === 0) await appendAlertDurable(outbox, alert(alerts++));
    }
    const stats = outbox.stats();
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.evictedReadings).toBeGreaterThan(0);
    expect(await counterValue(registry, 'edgeflow_outbox_evicted_readings_total')).toBe(
      stats.evictedReadings,
    );

    const left = await readAll(outbox);
    // What is left is the newest readings, contiguous, and the evicted count is exactly the rest.
    expect(left).toEqual(appended.slice(appended.length - left.length));
    expect(stats.evictedReadings).toBe(appended.length - left.length);
    expect(stats.records).toBe(left.length + alerts);
    const kept = await outbox.reader.readAlerts(0, 1000);
    expect(kept.map((a) => a.alert)).toEqual(Array.from({ length: alerts }, (_, i) => alert(i)));
    await outbox.close();
  }, 30_000);

  it('caps segmentBytes at maxBytes / 4 so eviction stays fine-grained', async () => {
    const d = await dir();
    const { outbox } = await open(d, { maxBytes: 4 * 1024 * 1024 }); // segmentBytes default: 32 MiB
    for (let i = 0; i < 100; i++) {
      await appendDurable(
        outbox,
        Array.from({ length: 1000 }, (_, k) => reading(i * 1000 + k)),
      );
    }
    expect((await segmentFiles(d)).length).toBeGreaterThanOrEqual(3);
    expect(outbox.stats().bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    await outbox.close();
  }, 30_000);

  it('does not count acknowledged readings as evicted', async () => {
    const d = await dir();
    const { outbox } = await open(d, { maxBytes: 4 * 1024 * 1024, segmentBytes: 256 * 1024 });
    for (let i = 0; i < 300; i++) {
      const out = await appendDurable(
        outbox,
        Array.from({ length: 500 }, (_, k) => reading(i * 500 + k)),
      );
      await outbox.reader.commit({ telemetrySeq: (out.at(-1)?.seq ?? 0) + 1, alertIndex: 0 });
    }
    expect(outbox.stats()).toMatchObject({ evictedReadings: 0, records: 0 });
    // Acknowledged segments are deleted: only the active one (or two) remain.
    expect((await segmentFiles(d)).length).toBeLessThanOrEqual(2);
    await outbox.close();
  }, 30_000);
});

describe('outbox directory lock', () => {
  it('refuses a directory held by another running process and takes over a dead one', async () => {
    const d = await dir();
    await writeFile(join(d, 'LOCK'), `${process.ppid}\n`); // alive, not us
    await expect(open(d)).rejects.toMatchObject({ code: 'EDGEFLOW_OUTBOX_OPEN_FAILED' });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    await writeFile(join(d, 'LOCK'), `${dead}\n`);
    const { outbox } = await open(d);
    expect((await readFile(join(d, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid));
    await outbox.close();
    expect(await readdir(d)).not.toContain('LOCK');
  });
});

describe('outbox checkpoint', () => {
  it('survives a crash in the middle of a checkpoint write (torn temp file is ignored)', async () => {
    const d = await dir();
    const first = await open(d);
    await appendDurable(first.outbox, [reading(0), reading(1), reading(2)]);
    await first.outbox.reader.commit({ telemetrySeq: 2, alertIndex: 0 }, [3]);
    await first.outbox.close();
    await writeFile(join(d, `${CHECKPOINT_FILE}.tmp`), '{"telemetrySeq": 3, "alertI');

    const second = await open(d);
    expect(second.outbox.reader.committed()).toEqual({ telemetrySeq: 2, alertIndex: 0 });
    expect(second.outbox.reader.planned()).toEqual([3]);
    await second.outbox.close();
    expect(await readdir(d)).not.toContain(`${CHECKPOINT_FILE}.tmp`);
  });

  it('never moves the committed position backwards or past the durable end', async () => {
    const d = await dir();
    const { outbox } = await open(d);
    await appendDurable(outbox, [reading(0), reading(1)]);
    await outbox.reader.commit({ telemetrySeq: 2, alertIndex: 0 });
    await outbox.reader.commit({ telemetrySeq: 1, alertIndex: 0 });
    expect(outbox.reader.committed().telemetrySeq).toBe(2);
    await outbox.reader.commit({ telemetrySeq: 50, alertIndex: 7 });
    expect(outbox.reader.committed()).toEqual({ telemetrySeq: 2, alertIndex: 0 });
    await outbox.close();
  });
});
