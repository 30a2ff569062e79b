/**
 * Password verification on worker threads of our own (scryptSync in the worker), not on
 * libuv's thread pool: the outbox's fsyncs run on that pool's 4 threads, so a flood of
 * CONNECTs with wrong passwords for a known name, each costing a full scrypt, would queue
 * every fsync (and so every PUBACK) behind them. Measured with `npm run bench:login-flood`.
 *
 * Workers start on demand up to `size` and then stay (unref'd: they never hold the process
 * open). One verification per worker at a time; the authenticator already bounds concurrent
 * verifications to `size`, the queue here is a guard with its own bound. The worker source
 * is inline so the gateway bundle (edge/scripts/build.ts) needs no second entry point.
 *
 * Off the pool is not yet off the CPU: on a 2-core box 4 scrypt threads would take most of
 * it from the event loop that handles fsync completions and writes PUBACKs. On Linux each
 * worker thread lowers its own scheduling priority (nice 10 by default: the kernel then
 * gives the nice-0 event loop ~9x its share when both want a core), so a flood slows logins,
 * not acknowledgements. Elsewhere the threads keep the default priority.
 */
import { Worker } from 'node:worker_threads';
import { EdgeError, EdgeErrorCodes } from '../errors.ts';
import type { SecretHash } from './secret.ts';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { scryptSync, timingSafeEqual } = require('node:crypto');
try {
  // Linux: this thread's id, so only this thread is reniced (setpriority takes a tid there).
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0 && workerData.nice > 0) require('node:os').setPriority(tid, workerData.nice);
} catch {}
parentPort.on('message', (job) => {
  try {
    const key = scryptSync(job.secret, job.salt, job.expected.length, { N: job.N, r: job.r, p: job.p, maxmem: job.maxmem });
    parentPort.postMessage({ ok: key.length === job.expected.length && timingSafeEqual(key, job.expected) });
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
});
`;

interface Job {
  readonly message: {
    secret: Uint8Array;
    salt: Uint8Array;
    expected: Uint8Array;
    N: number;
    r: number;
    p: number;
    maxmem: number;
  };
  readonly resolve: (ok: boolean) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
}

export interface ScryptPoolOptions {
  /** Worker threads (and so verifications running at once). */
  readonly size: number;
  /** Verifications waiting for a worker; beyond, `verify` rejects. Defaults to `size`. */
  readonly maxQueued?: number;
  /** Nice value of the worker threads (Linux; 0: unchanged). Defaults to 10. */
  readonly nice?: number;
}

export const DEFAULT_WORKER_NICE = 10;

export class ScryptWorkerPool {
  readonly #size: number;
  readonly #maxQueued: number;
  readonly #nice: number;
  readonly #slots = new Set<Slot>();
  readonly #idle: Slot[] = [];
  readonly #queue: Job[] = [];
  #closed = false;

  constructor(options: ScryptPoolOptions) {
    this.#size = options.size;
    this.#maxQueued = options.maxQueued ?? options.size;
    this.#nice = options.nice ?? DEFAULT_WORKER_NICE;
  }

  /** Worker threads currently started. */
  get threads(): number {
    return this.#slots.size;
  }

  /** Same answer as secret.ts `verifySecret`, computed off the libuv pool. */
  verify(secret: Buffer | string, stored: SecretHash): Promise<boolean> {
    if (this.#closed) return Promise.reject(failure('scrypt worker pool is closed'));
    const { N, r, p } = stored.params;
    // Own copies: posting a Buffer clones its whole backing store (a pool slab, or the packet).
    const message = {
      secret: new Uint8Array(typeof secret === 'string' ? Buffer.from(secret) : secret),
      salt: new Uint8Array(Buffer.from(stored.salt, 'base64')),
      expected: new Uint8Array(Buffer.from(stored.scryptHash, 'base64')),
      N,
      r,
      p,
      // As in secret.ts: maxmem must cover 128 * N * r bytes.
      maxmem: 256 * N * r + 1024 * 1024,
    };
    return new Promise<boolean>((resolve, reject) => {
      const job: Job = { message, resolve, reject };
      const slot = this.#idle.pop() ?? (this.#slots.size < this.#size ? this.#spawn() : undefined);
      if (slot) {
        this.#run(slot, job);
        return;
      }
      if (this.#queue.length >= this.#maxQueued) {
        reject(failure(`scrypt queue full (${this.#maxQueued})`));
        return;
      }
      this.#queue.push(job);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(failure('scrypt worker pool closed'));
    const slots = [...this.#slots];
    this.#slots.clear();
    this.#idle.length = 0;
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { nice: this.#nice } });
    worker.unref();
    const slot: Slot = { worker, job: undefined };
    this.#slots.add(slot);
    worker.on('message', (reply: { ok?: boolean; error?: string }) => {
      const job = slot.job;
      slot.job = undefined;
      if (job) {
        if (reply.error !== undefined) job.reject(failure(reply.error));
        else job.resolve(reply.ok === true);
      }
      this.#next(slot);
    });
    const lost = (err: Error): void => {
      if (!this.#slots.delete(slot)) return;
      const at = this.#idle.indexOf(slot);
      if (at >= 0) this.#idle.splice(at, 1);
      slot.job?.reject(failure(`scrypt worker died: ${err.message}`));
      slot.job = undefined;
      // A replacement takes the queue over.
      const queued = this.#queue.shift();
      if (queued && !this.#closed) this.#run(this.#spawn(), queued);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`exit code ${code}`)));
    return slot;
  }

  #run(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.postMessage(job.message);
  }

  #next(slot: Slot): void {
    if (!this.#slots.has(slot)) return;
    const queued = this.#queue.shift();
    if (queued) this.#run(slot, queued);
    else this.#idle.push(slot);
  }
}

function failure(message: string): EdgeError {
  return new EdgeError(EdgeErrorCodes.AUTH_WORKER_FAILED, message);
}
