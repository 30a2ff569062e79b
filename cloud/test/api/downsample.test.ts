/** Series assembly, pure: dedup and every agg against a plain fold, as a property over random readings. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Agg } from '../../src/api/contract.ts';
import {
  type ColumnSet,
  downsample,
  intervalCount,
  mergeColumns,
  rawPoints,
  smallestFittingInterval,
} from '../../src/api/downsample.ts';

const T0 = Date.UTC(2026, 10, 1);

interface Raw {
  gatewayId: string;
  tsMs: number;
  value: number;
  seq: number;
}

function plainFold(raw: readonly Raw[], startMs: number, endMs: number, intervalMs: number, agg: Agg) {
  const first = Math.floor(startMs / intervalMs) * intervalMs;
  const seen = new Set<string>();
  const groups = new Map<number, Raw[]>();
  for (const r of raw) {
    const key = `${r.gatewayId}/${r.seq}`;
    if (r.tsMs < startMs || r.tsMs >= endMs || seen.has(key)) continue;
    seen.add(key);
    const b = Math.floor((r.tsMs - first) / intervalMs);
    groups.set(b, [...(groups.get(b) ?? []), r]);
  }
  return Array.from({ length: intervalCount(startMs, endMs, intervalMs) }, (_, b) => {
    const g = groups.get(b) ?? [];
    if (agg === 'count') return g.length;
    if (g.length === 0) return null;
    const vs = g.map((r) => r.value);
    if (agg === 'avg') return vs.reduce((a, c) => a + c, 0) / g.length;
    if (agg === 'min') return Math.min(...vs);
    if (agg === 'max') return Math.max(...vs);
    return [...g].sort((a, c) => a.tsMs - c.tsMs || a.seq - c.seq).at(-1)?.value ?? null;
  });
}

const reading = fc.record({
  gatewayId: fc.constantFrom('gw-one', 'gw-two'),
  tsMs: fc.integer({ min: T0, max: T0 + 7_200_000 }),
  value: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
  seq: fc.integer({ min: 0, max: 400 }),
});

/** Columns as ingest writes them: a reading may appear in several (a re-formed batch). */
function columnsOf(raw: readonly Raw[], split: number): ColumnSet[] {
  const cols: ColumnSet[] = [];
  for (let i = 0; i < raw.length; i += split) {
    const part = raw.slice(i, i + split);
    cols.push({
      gatewayId: part[0]?.gatewayId ?? 'gw-one',
      tsMs: part.map((r) => r.tsMs),
      value: part.map((r) => r.value),
      seq: part.map((r) => r.seq),
    });
  }
  return cols;
}

describe('downsample', () => {
  it('equals the plain fold for random readings, duplicates, intervals and aggs', () => {
    fc.assert(
      fc.property(
        fc.array(reading, { maxLength: 300 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.integer({ min: 1_000, max: 1_800_000 }),
        fc.constantFrom<Agg>('avg', 'min', 'max', 'last', 'count'),
        fc.integer({ min: 1, max: 50 }),
        (rs, offset, span, intervalMs, agg, split) => {
          // Same (gateway, seq) must be the same reading, as a redelivery is.
          const canonical = new Map<string, Raw>();
          const raw = rs.map((r) => {
            const k = `${r.gatewayId}/${r.seq}`;
            const c = canonical.get(k) ?? r;
            canonical.set(k, c);
            return c;
          });
          const split1 = raw.filter((r) => r.gatewayId === 'gw-one');
          const split2 = raw.filter((r) => r.gatewayId === 'gw-two');
          const cols = [
            ...columnsOf(split1, split),
            ...columnsOf(split2, split),
            ...columnsOf(split1.slice(0, 10), 3),
          ];
          const start = T0 + offset;
          const end = start + span;
          const merged = mergeColumns(cols, start, end);
          const got = downsample(merged, start, end, intervalMs, agg);
          const want = plainFold(raw, start, end, intervalMs, agg);
          expect(got.v).toHaveLength(want.length);
          got.v.forEach((v, i) => {
            const w = want[i];
            if (w === null || w === undefined) expect(v).toBeNull();
            else expect(v).toBeCloseTo(w, 6);
          });
          expect(got.n.reduce((a, c) => a + c, 0)).toBe(merged.count);
          expect(rawPoints(merged).t).toEqual([...rawPoints(merged).t].sort((a, c) => a - c));
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('names the smallest interval whose points fit the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: T0, max: T0 + 1e9 }),
        fc.integer({ min: 1, max: 1e10 }),
        fc.integer({ min: 100, max: 20_000 }),
        (start, span, max) => {
          const i = smallestFittingInterval(start, start + span, max);
          expect(intervalCount(start, start + span, i)).toBeLessThanOrEqual(max);
          if (i > 1) expect(intervalCount(start, start + span, i - 1)).toBeGreaterThan(max);
        },
      ),
      { numRuns: 200, seed: 3 },
    );
  });
});
