/**
 * Readings a device sends twice: a device that reconnects with a clean session has no packet
 * ids to retransmit under, so it sends its unacknowledged readings again as new publishes.
 * When the reading carries the device's own timestamp, the same (device, metric, event time,
 * value) is the same reading: it is dropped here instead of being stored twice. Readings
 * stamped by the gateway (no device time) cannot be told apart from a new reading of the same
 * value and are never dropped.
 *
 * Per series, the last `perSeries` device-timestamped readings (a ring of event time and
 * value: 16 bytes each). Bounded: at most `maxSeries` series; at the bound the device first seen is
 * forgotten, all its series (insertion order: nothing reordered per reading) (counted through `onOverflow`).
 */

interface Ring {
  readonly metric: string;
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
  /**
   * device -> its series' rings (a device has a handful of metrics: a short scan beats a
   * second map lookup, and no key is built per reading). Insertion order is the eviction order.
   */
  readonly #devices = new Map<string, Ring[]>();
  #series = 0;

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
    return this.#series;
  }

  /** True when this series already had this (tsMs, value) among its last readings. */
  seen(deviceId: string, metric: string, tsMs: number, value: number): boolean {
    const ring = ringOf(this.#devices.get(deviceId), metric);
    if (ring === undefined) return false;
    const { slots } = ring;
    for (let i = 0; i < ring.size; i++) {
      if (slots[2 * i] === tsMs && slots[2 * i + 1] === value) return true;
    }
    return false;
  }

  /** Records an accepted device-timestamped reading. */
  remember(deviceId: string, metric: string, tsMs: number, value: number): void {
    let rings = this.#devices.get(deviceId);
    let ring = ringOf(rings, metric);
    if (ring === undefined) {
      if (this.#series >= this.#maxSeries) {
        this.#evictOldestDevice();
        if (rings !== undefined && !this.#devices.has(deviceId)) rings = undefined;
      }
      ring = { metric, slots: new Float64Array(2 * this.#perSeries), next: 0, size: 0 };
      if (rings === undefined) {
        rings = [];
        this.#devices.set(deviceId, rings);
      }
      rings.push(ring);
      this.#series++;
    }
    ring.slots[2 * ring.next] = tsMs;
    ring.slots[2 * ring.next + 1] = value;
    ring.next = (ring.next + 1) % this.#perSeries;
    if (ring.size < this.#perSeries) ring.size++;
  }

  /** Forgets the first device seen, all its series (counted once per series). */
  #evictOldestDevice(): void {
    const [deviceId, rings] = this.#devices.entries().next().value as [string, Ring[]];
    this.#devices.delete(deviceId);
    this.#series -= rings.length;
    for (let i = 0; i < rings.length; i++) this.#onOverflow();
  }

  /** Forgets everything (see RetransmitMemory.clear: an append that failed must be resendable). */
  clear(): void {
    this.#devices.clear();
    this.#series = 0;
  }
}

function ringOf(rings: readonly Ring[] | undefined, metric: string): Ring | undefined {
  if (rings === undefined) return undefined;
  for (let i = 0; i < rings.length; i++) if ((rings[i] as Ring).metric === metric) return rings[i];
  return undefined;
}
