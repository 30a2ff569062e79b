import type { Reading } from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketReadings, type Enrichment } from '../../../src/functions/ingest/bucket.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const enrich = (): Enrichment => ({ site: 's', name: 'n', unit: 'degC', registered: true });

function r(deviceId: string, metric: string, tsMs: number, seq: number, value = 20): Reading {
  return { deviceId, metric, tsMs, seq, value };
}

describe('bucketReadings', () => {
  it('makes one column per (device, metric, hour), keyed by gateway and first seq', () => {
    const readings = [
      r('d1', 'temperature', T0 + 1000, 10),
      r('d1', 'temperature', T0 + 2000, 11),
      r('d1', 'humidity', T0 + 1000, 12),
      r('d2', 'temperature', T0 + 1000, 13),
    ];
    const out = bucketReadings(readings, 'gw-1', 10, enrich);
    expect(out.map((b) => b.docId).sort()).toEqual([
      `d1:humidity:${T0}`,
      `d1:temperature:${T0}`,
      `d2:temperature:${T0}`,
    ]);
    const t = out.find((b) => b.docId === `d1:temperature:${T0}`);
    expect(t?.columnKey).toBe('gw-1_10');
    expect(t?.columns).toEqual({ tsMs: [T0 + 1000, T0 + 2000], value: [20, 20], seq: [10, 11] });
    expect(t?.expireAtMs).toBe(T0 + HOUR + 30 * 24 * HOUR);
  });

  it('splits a series at the UTC hour boundary', () => {
    const out = bucketReadings(
      [r('d1', 'co2', T0 + HOUR - 1, 1), r('d1', 'co2', T0 + HOUR, 2)],
      'gw-1',
      1,
      enrich,
    );
    expect(out.map((b) => b.windowStartMs)).toEqual([T0, T0 + HOUR]);
  });

  it('keeps every reading exactly once, inside its window, deterministically (property)', () => {
    const reading = fc.record({
      deviceId: fc.constantFrom('d1', 'd2', 'd3'),
      metric: fc.constantFrom('temperature', 'co2'),
      tsMs: fc.integer({ min: T0, max: T0 + 5 * HOUR }),
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
      seq: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(reading, { maxLength: 200 }), (readings) => {
        const a = bucketReadings(readings, 'gw-1', 0, enrich);
        expect(bucketReadings(readings, 'gw-1', 0, enrich)).toEqual(a);
        let total = 0;
        for (const b of a) {
          total += b.columns.seq.length;
          for (const ts of b.columns.tsMs) {
            expect(ts).toBeGreaterThanOrEqual(b.windowStartMs);
            expect(ts).toBeLessThan(b.windowStartMs + b.windowMs);
          }
        }
        expect(total).toBe(readings.length);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
