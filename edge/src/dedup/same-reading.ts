/**
 * Readings a device sends twice: a device that reconnects with a clean session has no packet
 * ids to retransmit under, so it sends its unacknowledged readings again as new publishes.
 * When the reading carries the device's own timestamp, the same (device, metric, event time,
 * value) is the same reading: it is dropped here instead of being stored twice. Readings
 * stamped by the gateway (no device time) cannot be told apart from a new reading of the same
 * value and are never dropped.
 *
 * Per series, the last `perSeries` device-timestamped readings (a ring of event time and
 * value: 16 bytes each). Bounded: at most `maxSeries` series; the one first seen is forgotten
 * first (insertion order: nothing reordered per reading) (counted through `onOverflow`).
 */

interface Ring {
  /** [tsMs, value] pairs. */
  readonly slots: Float64Array;
  next: number;
  size: number;
}

export interface SameReadingWindowOptions {
  readonly perSeries: number;
  readonly maxSeries: number;
  readonly onOverflow?: () => void;
}

export class SameReadingWindow {
  readonly #perSeries: number;
  readonly #maxSeries: number;
  readonly #onOverflow: () => void;
  readonly #series = new Map<string, Ring>();

  constructor(options: SameReadingWindowOptions) {
    if (!(options.perSeries >= 1) || !(options.maxSeries >= 1)) {
      throw new RangeError(
        `same-reading window needs perSeries >= 1, maxSeries >= 1: ${JSON.stringify(options)}`,
      );
    }
    this.#perSeries = options.perSeries;
    this.#maxSeries = options.maxSeries;
    this.#onOverflow = options.onOverflow ?? (() => {});
  }

  /** Series remembered (for tests and the memory benchmark). */
  get series(): number {
    return this.#series.size;
  }

  /** True when this series already had this (tsMs, value) among its last readings. */
  seen(deviceId: string, metric: string, tsMs: number, value: number): boolean {
    const ring = this.#series.get(`${deviceId}\u0000${metric}`);
    if (ring === undefined) return false;
    const { slots } = ring;
    for (let i = 0; i < ring.size; i++) {
      if (slots[2 * i] === tsMs && slots[2 * i + 1] === value) return true;
    }
    return false;
  }

  /** Records an accepted device-timestamped reading. */
  remember(deviceId: string, metric: string, tsMs: number, value: number): void {
    const key = `${deviceId}\u0000${metric}`;
    let ring = this.#series.get(key);
    if (ring === undefined) {
      if (this.#series.size >= this.#maxSeries) {
        this.#series.delete(this.#series.keys().next().value as string);
        this.#onOverflow();
      }
      ring = { slots: new Float64Array(2 * this.#perSeries), next: 0, size: 0 };
      this.#series.set(key, ring);
    }
    ring.slots[2 * ring.next] = tsMs;
    ring.slots[2 * ring.next + 1] = value;
    ring.next = (ring.next + 1) % this.#perSeries;
    if (ring.size < this.#perSeries) ring.size++;
  }

  /** Forgets everything (see RetransmitMemory.clear: an append that failed must be resendable). */
  clear(): void {
    this.#series.clear();
  }
}
