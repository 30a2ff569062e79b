import type { Reading } from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PendingReadings } from '../../src/forwarder/pending.ts';
import type { ReadingsRecord } from '../../src/outbox/types.ts';

function records(sizes: number[], bytesPerReading: number): ReadingsRecord[] {
  let seq = 0;
  return sizes.map((n, i) => {
    const readings: Reading[] = Array.from({ length: n }, () => ({
      deviceId: 'd',
      metric: 'temperature',
      tsMs: 1_767_225_600_000 + seq,
      value: 1,
      seq: seq++,
    }));
    return { firstSeq: readings[0]?.seq ?? 0, readings, appendedAtMs: 1000 + i, bytes: n * bytesPerReading };
  });
}

describe('PendingReadings.take', () => {
  it('takes readings in seq order within count, bytes and the end seq, losing none (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 1200 }),
        (sizes, bytesPerReading, maxReadings, maxBytes, endSeq) => {
          const pending = new PendingReadings();
          const input = records(sizes, bytesPerReading);
          for (const r of input) pending.push(r);
          const total = sizes.reduce((a, b) => a + b, 0);
          const taken: Reading[][] = [];
          let guard = 0;
          while (pending.count > 0 && guard++ < 10_000) {
            const batch = pending.take(maxReadings, maxBytes, endSeq);
            if (batch.length === 0) break;
            taken.push(batch);
          }
          const flat = taken.flat().map((r) => r.seq);
          // In order, no loss, no duplicates, up to the end seq.
          const expectedCount = Math.min(total, endSeq);
          expect(flat).toEqual(Array.from({ length: expectedCount }, (_, i) => i));
          expect(pending.count).toBe(total - expectedCount);
          for (const batch of taken) {
            expect(batch.length).toBeLessThanOrEqual(maxReadings);
            // Bytes bound, except that one reading always goes.
            if (batch.length > 1) expect(batch.length * bytesPerReading).toBeLessThanOrEqual(maxBytes);
            expect((batch.at(-1) as Reading).seq).toBeLessThan(endSeq);
          }
          expect(pending.oldestAppendedAtMs() === undefined).toBe(pending.count === 0);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});
