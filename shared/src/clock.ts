/**
 * Time is injected, never read, in domain code: tests drive a fake clock and get the same
 * answer every run. Entry points pass `systemClock`.
 */
export interface Clock {
  /** Wall-clock time, ms since the Unix epoch. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that only moves when told to; for tests and simulations. */
export class ManualClock implements Clock {
  #nowMs: number;

  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  advance(ms: number): number {
    this.#nowMs += ms;
    return this.#nowMs;
  }

  set(ms: number): void {
    this.#nowMs = ms;
  }
}
