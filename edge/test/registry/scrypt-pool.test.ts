import { pbkdf2 } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { isEdgeflowError } from '@edgeflow/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeErrorCodes } from '../../src/errors.ts';
import { ScryptWorkerPool } from '../../src/registry/scrypt-pool.ts';
import { hashSecret, verifySecret } from '../../src/registry/secret.ts';
import { TEST_SCRYPT } from '../helpers/gateway.ts';

let pool: ScryptWorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** Occupies every libuv thread-pool thread (4 unless UV_THREADPOOL_SIZE says otherwise). */
function saturateLibuvPool(): Promise<void>[] {
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  return Array.from(
    { length: threads },
    () => new Promise<void>((resolve) => pbkdf2('x', 'salt', 300_000, 64, 'sha512', () => resolve())),
  );
}

describe('ScryptWorkerPool', () => {
  it('gives the same answers as verifySecret, for several params', async () => {
    pool = new ScryptWorkerPool({ size: 2 });
    for (const params of [
      TEST_SCRYPT,
      { N: 1024, r: 8, p: 1, keyLen: 32 },
      { N: 64, r: 2, p: 2, keyLen: 48 },
    ]) {
      const stored = await hashSecret('right', params);
      for (const secret of ['right', 'wrong', '']) {
        expect(await pool.verify(Buffer.from(secret), stored)).toBe(await verifySecret(secret, stored));
      }
      expect(await pool.verify('right', stored)).toBe(true);
    }
    expect(pool.threads).toBeLessThanOrEqual(2);
  });

  it('runs concurrent verifications on at most `size` threads, all answered', async () => {
    pool = new ScryptWorkerPool({ size: 2, maxQueued: 10 });
    const stored = await hashSecret('right', TEST_SCRYPT);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => pool?.verify(i % 2 ? 'right' : 'wrong', stored)),
    );
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i % 2 === 1));
    expect(pool.threads).toBe(2);
    // Beyond the queue bound: refused with a code, not queued without limit.
    const over = Array.from({ length: 13 }, () =>
      pool?.verify('right', stored).then(
        () => 'ok',
        (err: unknown) => (isEdgeflowError(err) ? err.code : 'other'),
      ),
    );
    const outcomes = await Promise.all(over);
    expect(outcomes.filter((o) => o === EdgeErrorCodes.AUTH_WORKER_FAILED)).toHaveLength(1);
  });

  it('verifies while every libuv thread is busy (where libuv scrypt has to wait)', async () => {
    pool = new ScryptWorkerPool({ size: 1 });
    const stored = await hashSecret('right', TEST_SCRYPT);
    await pool.verify('right', stored); // the worker is started
    const order: string[] = [];
    const busy = saturateLibuvPool().map((p) => p.then(() => order.push('libuv-task')));
    const inWorker = pool.verify('right', stored).then(() => order.push('worker'));
    const onLibuv = verifySecret('right', stored).then(() => order.push('libuv-scrypt'));
    await Promise.all([...busy, inWorker, onLibuv]);
    expect(order[0]).toBe('worker');
    // The control: the same check on libuv's pool queued behind the busy threads.
    expect(order.indexOf('libuv-scrypt')).toBeGreaterThan(order.indexOf('libuv-task'));
  }, 30_000);

  it('a verification that throws in the worker is refused with a code; the worker carries on', async () => {
    pool = new ScryptWorkerPool({ size: 1 });
    const stored = await hashSecret('right', TEST_SCRYPT);
    // N must be a power of two: scryptSync throws inside the worker.
    await expect(
      pool.verify('right', { ...stored, params: { ...stored.params, N: 3 } }),
    ).rejects.toMatchObject({
      code: EdgeErrorCodes.AUTH_WORKER_FAILED,
    });
    expect(await pool.verify('right', stored)).toBe(true);
    expect(pool.threads).toBe(1);
  });

  it('runs its threads reniced (Linux), leaving the event loop its share of the CPU', async () => {
    const nicedThreads = async (nice: number): Promise<number> => {
      let count = 0;
      for (const tid of await readdir('/proc/self/task')) {
        const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => '');
        // Fields after the command name: state is field 3, nice field 19.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[19 - 3]) === nice) count++;
      }
      return count;
    };
    const before = await nicedThreads(13);
    pool = new ScryptWorkerPool({ size: 2, nice: 13 });
    const stored = await hashSecret('right', TEST_SCRYPT);
    await Promise.all([pool.verify('right', stored), pool.verify('right', stored)]);
    expect((await nicedThreads(13)) - before).toBe(2);
    expect(os.getPriority()).toBe(0);
  });

  it('refuses with a code once closed', async () => {
    pool = new ScryptWorkerPool({ size: 1 });
    const stored = await hashSecret('right', TEST_SCRYPT);
    await pool.close();
    await expect(pool.verify('right', stored)).rejects.toMatchObject({
      code: EdgeErrorCodes.AUTH_WORKER_FAILED,
    });
  });
});
