/**
 * Per-device cap on readings in the outbox that are not yet acknowledged upstream, so that
 * during an outage one device's flood is refused at its own cap instead of pushing the outbox
 * to its byte cap, where eviction drops the oldest segments, other devices' readings included.
 * Beside the rate limit (which bounds how fast a device fills the outbox), this bounds how
 * much of it a device can hold at all: maxUnsentReadings readings, whatever the outage length.
 *
 * Accounting, without reaching into the log: the outbox hands out consecutive seqs and both
 * acknowledgement and eviction retire a prefix of them, so a reading is unsent while its seq
 * is at or above the outbox's frontier (`unsentFromSeq`). Per device a ring of a few chunks
 * (count + end seq) is kept; a chunk is retired when the frontier passes its end. The newest
 * chunk grows until it holds a 1/CHUNKS share of the cap (or while the ring is full), so the
 * count errs only upwards, by at most about one chunk, and only while the frontier is inside
 * it: the cap is never exceeded, at worst enforced a little early.
 *
 * Readings accepted in the current event-loop turn are `pending` until ingest has appended
 * them (then they become a chunk ending at the append's last seq, or are dropped if the append
 * failed). After a restart the counts start from zero: readings already on disk are not
 * charged to their devices (the log does not index by device).
 *
 * Bounded like DeviceBuckets: beyond maxDevices, a device whose count is zero is recycled,
 * else the new device is charged to one shared overflow entry (counted).
 */

const CHUNKS = 4;

interface Unsent {
  readonly ends: number[];
  readonly counts: number[];
  head: number;
  len: number;
  /** Sum of the live chunks' counts. */
  total: number;
  /** Accepted in this turn, not yet appended. */
  pending: number;
}

export interface UnsentQuotaOptions {
  readonly maxUnsentReadings: number;
  readonly maxDevices: number;
  readonly onOverflow?: () => void;
}

export class UnsentQuota {
  readonly #max: number;
  readonly #chunkTarget: number;
  readonly #maxDevices: number;
  readonly #onOverflow: () => void;
  readonly #frontier: () => number;
  readonly #devices = new Map<string, Unsent>();
  readonly #overflow: Unsent = newUnsent();
  /** Entries with pending readings in the current turn. */
  #touched: Unsent[] = [];

  /** `unsentFromSeq`: every reading below it is acknowledged upstream or evicted. */
  constructor(options: UnsentQuotaOptions, unsentFromSeq: () => number) {
    if (!(options.maxUnsentReadings >= 1) || !(options.maxDevices >= 1)) {
      throw new RangeError(
        `unsent quota needs maxUnsentReadings >= 1, maxDevices >= 1: ${JSON.stringify(options)}`,
      );
    }
    this.#max = options.maxUnsentReadings;
    this.#chunkTarget = Math.ceil(options.maxUnsentReadings / CHUNKS);
    this.#maxDevices = options.maxDevices;
    this.#onOverflow = options.onOverflow ?? noop;
    this.#frontier = unsentFromSeq;
  }

  /** Reserves `n` readings for `deviceId` if that keeps it within its cap. */
  admit(deviceId: string, n: number): boolean {
    const u = this.#devices.get(deviceId) ?? this.#add(deviceId);
    if (u.len > 0) retire(u, this.#frontier());
    if (u.total + u.pending + n > this.#max) return false;
    if (u.pending === 0) this.#touched.push(u);
    u.pending += n;
    return true;
  }

  /** Ingest appended this turn's readings; the last of them got seq `endSeq - 1`. */
  appended(endSeq: number): void {
    const touched = this.#touched;
    for (let i = 0; i < touched.length; i++) {
      const u = touched[i] as Unsent;
      const newest = (u.head + u.len - 1) % CHUNKS;
      if (u.len > 0 && (u.len === CHUNKS || (u.counts[newest] as number) < this.#chunkTarget)) {
        u.counts[newest] = (u.counts[newest] as number) + u.pending;
        u.ends[newest] = endSeq;
      } else {
        const slot = (u.head + u.len) % CHUNKS;
        u.counts[slot] = u.pending;
        u.ends[slot] = endSeq;
        u.len++;
      }
      u.total += u.pending;
      u.pending = 0;
    }
    touched.length = 0;
  }

  /** The append failed: nothing of this turn is in the outbox. */
  discarded(): void {
    for (const u of this.#touched) u.pending = 0;
    this.#touched.length = 0;
  }

  /** Unsent readings counted for `deviceId` (0 for an unknown device); for tests and ops. */
  unsent(deviceId: string): number {
    const u = this.#devices.get(deviceId);
    if (u === undefined) return 0;
    retire(u, this.#frontier());
    return u.total + u.pending;
  }

  #add(deviceId: string): Unsent {
    if (this.#devices.size < this.#maxDevices) {
      const u = newUnsent();
      this.#devices.set(deviceId, u);
      return u;
    }
    const [oldId, u] = this.#devices.entries().next().value as [string, Unsent];
    retire(u, this.#frontier());
    this.#devices.delete(oldId);
    if (u.total === 0 && u.pending === 0) {
      this.#devices.set(deviceId, u);
      return u;
    }
    // Still holding unsent readings: to the back, so the next new device checks another.
    this.#devices.set(oldId, u);
    this.#onOverflow();
    return this.#overflow;
  }
}

function newUnsent(): Unsent {
  return {
    ends: new Array(CHUNKS).fill(0),
    counts: new Array(CHUNKS).fill(0),
    head: 0,
    len: 0,
    total: 0,
    pending: 0,
  };
}

function retire(u: Unsent, frontier: number): void {
  while (u.len > 0 && (u.ends[u.head] as number) <= frontier) {
    u.total -= u.counts[u.head] as number;
    u.head = (u.head + 1) % CHUNKS;
    u.len--;
  }
}

function noop(): void {}
