/**
 * One token bucket per device, for limits a single device must not be able to exceed however
 * hard it pushes (readings, rule transitions). Built for the ingest hot path: a take is one
 * map lookup and a few float operations, nothing allocated once the device's bucket exists.
 *
 * Bounded: at most `maxDevices` buckets. A bucket that has refilled to its burst is the same
 * as a new one, so when the map is full the bucket at the front of the map is recycled for the
 * new device if it is full; otherwise it moves to the back (the next new device checks another)
 * and the new device is charged to one shared overflow bucket (counted through `onOverflow`). The overflow bucket limits the devices in it together, so
 * memory stays bounded without letting untracked devices through unlimited.
 */

interface Bucket {
  tokens: number;
  lastMs: number;
}

export interface DeviceBucketsOptions {
  /** Tokens added per second, per device. */
  readonly ratePerSec: number;
  /** Tokens a device may hold (and spend at once). */
  readonly burst: number;
  /** Buckets kept; devices beyond share the overflow bucket. */
  readonly maxDevices: number;
  /** Called once per take charged to the overflow bucket. */
  readonly onOverflow?: () => void;
}

export class DeviceBuckets {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #maxDevices: number;
  readonly #onOverflow: () => void;
  readonly #buckets = new Map<string, Bucket>();
  readonly #overflow: Bucket;

  constructor(options: DeviceBucketsOptions, nowMs: number) {
    if (!(options.ratePerSec > 0) || !(options.burst >= 1) || !(options.maxDevices >= 1)) {
      throw new RangeError(
        `device buckets need ratePerSec > 0, burst >= 1, maxDevices >= 1: ${JSON.stringify(options)}`,
      );
    }
    this.#ratePerMs = options.ratePerSec / 1000;
    this.#burst = options.burst;
    this.#maxDevices = options.maxDevices;
    this.#onOverflow = options.onOverflow ?? noop;
    this.#overflow = { tokens: options.burst, lastMs: nowMs };
  }

  /** Devices with a bucket of their own. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes `n` tokens from `deviceId`'s bucket at `nowMs`: true if it had them (then spent). */
  take(deviceId: string, n: number, nowMs: number): boolean {
    const bucket = this.#buckets.get(deviceId) ?? this.#add(deviceId, nowMs);
    const elapsedMs = nowMs - bucket.lastMs;
    // A clock stepping back neither refills nor moves the bucket's time backwards.
    if (elapsedMs > 0) {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + elapsedMs * this.#ratePerMs);
      bucket.lastMs = nowMs;
    }
    if (bucket.tokens < n) return false;
    bucket.tokens -= n;
    return true;
  }

  /** Tokens `deviceId` holds at `nowMs` (the burst for a device without a bucket); for tests and ops. */
  tokens(deviceId: string, nowMs: number): number {
    const bucket = this.#buckets.get(deviceId);
    if (bucket === undefined) return this.#burst;
    return Math.min(this.#burst, bucket.tokens + Math.max(0, nowMs - bucket.lastMs) * this.#ratePerMs);
  }

  #add(deviceId: string, nowMs: number): Bucket {
    if (this.#buckets.size < this.#maxDevices) {
      const bucket: Bucket = { tokens: this.#burst, lastMs: nowMs };
      this.#buckets.set(deviceId, bucket);
      return bucket;
    }
    const oldest = this.#buckets.entries().next().value as [string, Bucket];
    const [oldId, bucket] = oldest;
    if (bucket.tokens + Math.max(0, nowMs - bucket.lastMs) * this.#ratePerMs >= this.#burst) {
      this.#buckets.delete(oldId);
      bucket.tokens = this.#burst;
      bucket.lastMs = nowMs;
      this.#buckets.set(deviceId, bucket);
      return bucket;
    }
    this.#buckets.delete(oldId);
    this.#buckets.set(oldId, bucket);
    this.#onOverflow();
    return this.#overflow;
  }
}

function noop(): void {}
