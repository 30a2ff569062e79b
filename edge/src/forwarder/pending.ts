/**
 * Readings read from the outbox and waiting to be batched. Bounded by the caller (it reads
 * at most one batch worth ahead), so memory stays flat however large the backlog on disk.
 */
import type { Reading } from '@edgeflow/shared';
import type { ReadingsRecord } from '../outbox/types.ts';

export class PendingReadings {
  readonly #records: ReadingsRecord[] = [];
  count = 0;
  bytes = 0;

  push(record: ReadingsRecord): void {
    if (record.readings.length === 0) return;
    this.#records.push(record);
    this.count += record.readings.length;
    this.bytes += record.bytes;
  }

  /** Append time of the oldest pending reading (the linger clock), undefined when empty. */
  oldestAppendedAtMs(): number | undefined {
    return this.#records[0]?.appendedAtMs;
  }

  firstSeq(): number | undefined {
    return this.#records[0]?.firstSeq;
  }

  /**
   * Takes readings from the front: at most maxReadings, stopping before maxBytes is exceeded
   * (at least one reading is always taken), and never at or past seq `endSeq`.
   */
  take(maxReadings: number, maxBytes: number, endSeq: number): Reading[] {
    const out: Reading[] = [];
    let bytes = 0;
    while (this.#records.length > 0 && out.length < maxReadings) {
      const rec = this.#records[0] as ReadingsRecord;
      const perReading = rec.bytes / rec.readings.length;
      let n = Math.min(rec.readings.length, maxReadings - out.length, endSeq - rec.firstSeq);
      const byBytes = Math.floor((maxBytes - bytes) / perReading);
      if (byBytes < n) n = out.length === 0 ? Math.max(1, byBytes) : byBytes;
      if (n <= 0) break;
      for (let i = 0; i < n; i++) out.push(rec.readings[i] as Reading);
      const takenBytes = Math.round(perReading * n);
      bytes += takenBytes;
      this.count -= n;
      if (n === rec.readings.length) {
        this.bytes -= rec.bytes;
        this.#records.shift();
      } else {
        const rest = rec.readings.slice(n);
        this.bytes -= takenBytes;
        this.#records[0] = {
          firstSeq: rec.firstSeq + n,
          readings: rest,
          appendedAtMs: rec.appendedAtMs,
          bytes: rec.bytes - takenBytes,
        };
      }
      if (n < rec.readings.length) break;
    }
    if (this.#records.length === 0) this.bytes = 0;
    return out;
  }
}
