/** Loopback helpers for the local stack: a free port, and a bounded wait for an HTTP endpoint. */
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port the OS considers free on 127.0.0.1 right now (the caller binds it soon after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export interface WaitForHttpOptions {
  readonly timeoutMs: number;
  /** Poll interval; default 50 ms (an emulator is typically ready in ~1 s). */
  readonly intervalMs?: number;
  /** Stop waiting early when this settles (e.g. the process exited). */
  readonly abandonWhen?: Promise<unknown>;
  /** Statuses that count as ready; default any 2xx. */
  readonly ready?: (status: number) => boolean;
}

/** Resolves once `url` answers with a ready status; rejects on timeout or when abandoned. */
export function waitForHttp(url: string, options: WaitForHttpOptions): Promise<void> {
  const ready = options.ready ?? ((s: number) => s >= 200 && s < 300);
  return pollUntilReady(url, options, async (remainingMs) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(200, Math.min(2000, remainingMs))) });
    await res.body?.cancel();
    // Anything else is a reason to keep polling, named in the timeout error.
    return ready(res.status) ? undefined : `HTTP ${res.status}`;
  });
}

/** Resolves once a TCP connection to `host:port` succeeds; same bounds as waitForHttp. */
export function waitForTcp(
  host: string,
  port: number,
  options: Omit<WaitForHttpOptions, 'ready'>,
): Promise<void> {
  return pollUntilReady(
    `${host}:${port}`,
    options,
    () =>
      new Promise<undefined>((resolve, reject) => {
        const socket = connect({ host, port });
        socket.setTimeout(1000, () => socket.destroy(new Error('connect timed out')));
        socket.once('connect', () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.once('error', reject);
      }),
  );
}

/**
 * Calls `probe` until it resolves to undefined (ready); a string or a rejection is the
 * latest problem, named in the error when `timeoutMs` passes or `abandonWhen` settles first.
 */
async function pollUntilReady(
  what: string,
  options: Omit<WaitForHttpOptions, 'ready'>,
  probe: (remainingMs: number) => Promise<string | undefined>,
): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  let abandoned: string | undefined;
  options.abandonWhen?.then(
    (v) => {
      abandoned = `process exited before it was ready (${JSON.stringify(v)})`;
    },
    (err: unknown) => {
      abandoned = `failed before it was ready: ${(err as Error).message}`;
    },
  );
  let lastProblem = 'no answer yet';
  while (performance.now() < deadline) {
    if (abandoned) throw new Error(abandoned);
    try {
      const problem = await probe(deadline - performance.now());
      if (problem === undefined) return;
      lastProblem = problem;
    } catch (err) {
      lastProblem = (err as Error).message;
    }
    await sleep(options.intervalMs ?? 50);
  }
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what} (${lastProblem})`);
}
