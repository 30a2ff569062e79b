import type { Reading } from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketReadings,
  type Enrichment,
  MAX_READINGS_PER_DOC,
  windowForRate,
} from '../../../src/functions/ingest/bucket.ts';

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

describe('bucket windows for fast series', () => {
  it('keeps a 1 Hz series in hourly documents and splits a 1 kHz one into 10 s documents under the size cap', () => {
    const slow = Array.from({ length: 60 }, (_, i) => r('d1', 'temperature', T0 + i * 1000, i));
    const fast = Array.from({ length: 60_000 }, (_, i) => r('d2', 'vibration_rms', T0 + i, 100 + i));
    const out = bucketReadings([...slow, ...fast], 'gw-1', 0, enrich);
    const slowDocs = out.filter((b) => b.deviceId === 'd1');
    const fastDocs = out.filter((b) => b.deviceId === 'd2');
    expect(slowDocs.map((b) => b.docId)).toEqual([`d1:temperature:${T0}`]);
    expect(fastDocs).toHaveLength(6);
    expect(fastDocs[0]?.docId).toBe(`d2:vibration_rms:${T0}:w10000`);
    for (const b of fastDocs) {
      expect(b.windowMs).toBe(10_000);
      expect(b.columns.seq.length).toBeLessThanOrEqual(MAX_READINGS_PER_DOC);
    }
    expect(fastDocs.reduce((n, b) => n + b.columns.seq.length, 0)).toBe(60_000);
  });

  it('sizes windows from the batch alone, so a redelivery writes the same documents', () => {
    const fast = Array.from({ length: 30_000 }, (_, i) => r('d2', 'vibration_rms', T0 + i * 2, i));
    expect(bucketReadings(fast, 'gw-1', 0, enrich)).toEqual(bucketReadings(fast, 'gw-1', 0, enrich));
  });

  it('picks the widest window that fits the rate', () => {
    expect(windowForRate(3600, HOUR, HOUR)).toBe(HOUR);
    expect(windowForRate(36_000, HOUR, HOUR)).toBe(600_000);
    expect(windowForRate(1_000_000, 60_000, HOUR)).toBe(1_000);
    expect(windowForRate(2, 1, HOUR)).toBe(HOUR);
  });
});
