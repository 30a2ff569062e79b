/**
 * A token bucket for log lines about untrusted input: a device spamming garbage must not
 * turn the log into the bottleneck (or fill the disk). What is suppressed is counted and
 * reported with the next line that gets through.
 */
import type { Clock } from '@edgeflow/shared';

export class TokenBucket {
  readonly #clock: Clock;
  readonly #ratePerSec: number;
  readonly #burst: number;
  #tokens: number;
  #lastMs: number;
  #suppressed = 0;

  constructor(clock: Clock, ratePerSec: number, burst = ratePerSec) {
    this.#clock = clock;
    this.#ratePerSec = ratePerSec;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
    this.#lastMs = clock.nowMs();
  }

  /**
   * Takes a token. Returns -1 when none is left (the call is counted as suppressed), else
   * how many calls were suppressed since the last successful take.
   */
  take(): number {
    const now = this.#clock.nowMs();
    const elapsedMs = now - this.#lastMs;
    if (elapsedMs > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (elapsedMs * this.#ratePerSec) / 1000);
      this.#lastMs = now;
    }
    if (this.#tokens < 1) {
      this.#suppressed++;
      return -1;
    }
    this.#tokens -= 1;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return suppressed;
  }
}
