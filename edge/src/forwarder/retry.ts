/** Waiting between publish attempts, and the per-attempt deadline. */

export type Lane = 'telemetry' | 'alerts';

/** Backoff sleeps that can be cut short: when the link comes back, everyone retries at once. */
export class Sleepers {
  readonly #sleepers = new Set<{ lane: Lane; wake: () => void }>();

  get size(): number {
    return this.#sleepers.size;
  }

  sleep(ms: number, lane: Lane): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        lane,
        wake: () => {
          clearTimeout(timer);
          this.#sleepers.delete(sleeper);
          resolve();
        },
      };
      const timer = setTimeout(sleeper.wake, ms);
      this.#sleepers.add(sleeper);
    });
  }

  /** Wakes every sleeper, alert batches first so that they are published first. */
  wakeAll(): void {
    const all = [...this.#sleepers];
    for (const s of all) if (s.lane === 'alerts') s.wake();
    for (const s of all) if (s.lane === 'telemetry') s.wake();
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`publish not acknowledged within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
