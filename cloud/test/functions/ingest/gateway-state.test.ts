/** The pure fold of a batch into `gateways/<id>`: receipt times, health, and sequence gaps under reordering. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BatchFacts,
  foldBatch,
  type GatewayHealth,
  type GatewayState,
  MAX_RECENT_GAPS,
  newestReceiptMs,
  seqRunsOf,
} from '../../../src/functions/ingest/gateway-state.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

function health(reportedAtMs: number, outboxRecords = 0): GatewayHealth {
  return {
    outboxRecords,
    outboxBytes: 0,
    oldestUnsentAgeMs: 0,
    evictedReadings: 0,
    rejectedByReason: {},
    clientsConnected: 1,
    rulesVersion: null,
    uptimeS: 10,
    rssBytes: 1,
    reportedAtMs,
  };
}

function seqs(from: number, to: number): { seq: number }[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i }));
}

function facts(ranges: [number, number][], extra: Partial<BatchFacts> = {}): BatchFacts {
  return {
    runs: seqRunsOf(
      ranges.flatMap(([a, b]) => seqs(a, b)),
      Number.MAX_SAFE_INTEGER,
    ),
    newestReadingAtMs: undefined,
    health: undefined,
    healthRejected: false,
    ...extra,
  };
}

/** Folds batches in order; each batch is a list of inclusive seq ranges. */
function deliver(batches: [number, number][][], start?: GatewayState): GatewayState {
  let state = start;
  batches.forEach((b, i) => {
    state = foldBatch(state, 'gw-1', facts(b), T0 + i).state;
  });
  return state as GatewayState;
}

const gapsOf = (s: GatewayState) => s.recentGaps.map((g) => [g.fromSeq, g.toSeq]);

describe('seqRunsOf', () => {
  it('cuts a batch into runs of consecutive seqs, sorting when needed and ignoring duplicates', () => {
    expect(
      seqRunsOf(
        [5, 6, 7, 9, 10, 14].map((seq) => ({ seq })),
        100,
      ),
    ).toEqual([
      { fromSeq: 5, toSeq: 7 },
      { fromSeq: 9, toSeq: 10 },
      { fromSeq: 14, toSeq: 14 },
    ]);
    expect(
      seqRunsOf(
        [10, 3, 4, 9, 4].map((seq) => ({ seq })),
        100,
      ),
    ).toEqual([
      { fromSeq: 3, toSeq: 4 },
      { fromSeq: 9, toSeq: 10 },
    ]);
    expect(seqRunsOf([], 100)).toEqual([]);
  });

  it('leaves out seqs above the seq-jump ceiling and seqs that are not sequences', () => {
    expect(
      seqRunsOf(
        [1, 2, 3, 9_000_000_000, -1, 1.5].map((seq) => ({ seq })),
        1000,
      ),
    ).toEqual([{ fromSeq: 1, toSeq: 3 }]);
  });
});

describe('newestReceiptMs', () => {
  it('takes the receipt time rxMs when a reading has one, else tsMs', () => {
    expect(newestReceiptMs([{ tsMs: T0 + 50_000, rxMs: T0 + 1000 }, { tsMs: T0 + 2000 }])).toBe(T0 + 2000);
    expect(newestReceiptMs([])).toBeUndefined();
  });
});

describe('foldBatch', () => {
  it('creates the state from the first batch: no gap below an unknown start', () => {
    const out = foldBatch(
      undefined,
      'gw-1',
      facts([[100, 199]], { newestReadingAtMs: T0 - 5000, health: health(T0 - 1000) }),
      T0,
    );
    expect(out.state).toEqual({
      gatewayId: 'gw-1',
      lastBatchAtMs: T0,
      newestReadingAtMs: T0 - 5000,
      firstSeq: 100,
      lastSeq: 199,
      seqGapCount: 0,
      recentGaps: [],
      missingReadings: 0,
      health: health(T0 - 1000),
    });
    expect(out.opened).toEqual([]);
  });

  it('keeps the newest reading time and the health across batches without health (1.0) or with a rejected one', () => {
    let s = foldBatch(
      undefined,
      'gw-1',
      facts([[1, 10]], { newestReadingAtMs: T0, health: health(T0, 3) }),
      T0,
    ).state;
    s = foldBatch(s, 'gw-1', facts([[11, 20]], { newestReadingAtMs: T0 - 60_000 }), T0 + 1).state;
    expect(s.newestReadingAtMs).toBe(T0);
    expect(s.health).toEqual(health(T0, 3));
    s = foldBatch(s, 'gw-1', facts([[21, 30]], { healthRejected: true }), T0 + 2).state;
    expect(s.health).toEqual(health(T0, 3));
    expect(s.lastBatchAtMs).toBe(T0 + 2);
    s = foldBatch(s, 'gw-1', facts([[31, 40]], { health: health(T0 + 3, 7) }), T0 + 3).state;
    expect(s.health).toEqual(health(T0 + 3, 7));
  });

  it('does not let a late, overtaken batch replace the newer health; a batch without readings does', () => {
    let s = deliver([[[1, 10]], [[21, 30]]]);
    s = foldBatch(s, 'gw-1', facts([[21, 30]], { health: health(T0 + 9) }), T0 + 9).state;
    s = foldBatch(s, 'gw-1', facts([[11, 20]], { health: health(T0 + 1) }), T0 + 10).state;
    expect(s.health?.reportedAtMs).toBe(T0 + 9);
    expect(s.recentGaps).toEqual([]);
    s = foldBatch(s, 'gw-1', facts([], { health: health(T0 + 11) }), T0 + 11).state;
    expect(s.health?.reportedAtMs).toBe(T0 + 11);
    expect(s.lastSeq).toBe(30);
  });

  it('records a gap, shrinks it and splits it with late batches, and drops it once filled', () => {
    const detected = deliver([[[1, 10]], [[31, 40]]]);
    expect(detected.recentGaps).toEqual([{ fromSeq: 11, toSeq: 30, detectedAtMs: T0 + 1 }]);
    expect(detected.seqGapCount).toBe(1);
    expect(detected.missingReadings).toBe(20);

    const shrunk = deliver([[[11, 15]]], detected);
    expect(gapsOf(shrunk)).toEqual([[16, 30]]);
    expect(shrunk.seqGapCount).toBe(1);

    const split = deliver([[[20, 22]]], shrunk);
    expect(gapsOf(split)).toEqual([
      [16, 19],
      [23, 30],
    ]);
    expect(split.seqGapCount).toBe(2);
    expect(split.missingReadings).toBe(12);
    // The split halves keep when the gap was first seen.
    expect(split.recentGaps.every((g) => g.detectedAtMs === T0 + 1)).toBe(true);

    const filled = deliver([[[16, 19]], [[23, 30]]], split);
    expect(filled.recentGaps).toEqual([]);
    expect(filled.seqGapCount).toBe(0);
    expect(filled.missingReadings).toBe(0);
    expect(filled.lastSeq).toBe(40);
  });

  it('counts gaps inside one batch (seqs the outbox evicted between two readings)', () => {
    const out = foldBatch(
      deliver([[[1, 10]]]),
      'gw-1',
      facts([
        [11, 20],
        [26, 30],
        [32, 40],
      ]),
      T0 + 5,
    );
    expect(out.opened.map((g) => [g.fromSeq, g.toSeq])).toEqual([
      [21, 25],
      [31, 31],
    ]);
    expect(out.state.seqGapCount).toBe(2);
    expect(out.state.missingReadings).toBe(6);
  });

  it('changes nothing but lastBatchAt on a redelivery', () => {
    const once = deliver([[[1, 10]], [[21, 30]], [[41, 50]]]);
    const again = foldBatch(once, 'gw-1', facts([[21, 30]]), T0 + 99);
    expect(again.state).toEqual({ ...once, lastBatchAtMs: T0 + 99 });
    expect(again.opened).toEqual([]);
    expect(again.filledReadings).toBe(0);
  });

  it('keeps at most MAX_RECENT_GAPS gaps, oldest dropped, and still counts the dropped ones', () => {
    const batches: [number, number][][] = Array.from({ length: MAX_RECENT_GAPS + 11 }, (_, i) => [
      [i * 10, i * 10 + 4],
    ]);
    const s = deliver(batches);
    expect(s.recentGaps).toHaveLength(MAX_RECENT_GAPS);
    expect(s.recentGaps[0]?.fromSeq).toBe(10 * 10 + 5);
    expect(s.seqGapCount).toBe(MAX_RECENT_GAPS + 10);
    expect(s.missingReadings).toBe((MAX_RECENT_GAPS + 10) * 5);
    // A late batch for a gap no longer listed changes nothing (it cannot be told from a redelivery).
    expect(deliver([[[5, 9]]], s)).toEqual({ ...s, lastBatchAtMs: T0 });
  });

  it('stays bounded and fast on a batch of thousands of runs', () => {
    const alternate = Array.from({ length: 6000 }, (_, i) => ({ seq: 100 + i * 2 }));
    const started = performance.now();
    const out = foldBatch(
      deliver([[[0, 99]]]),
      'gw-1',
      {
        runs: seqRunsOf(alternate, Number.MAX_SAFE_INTEGER),
        newestReadingAtMs: undefined,
        health: undefined,
        healthRejected: false,
      },
      T0,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out.state.recentGaps).toHaveLength(MAX_RECENT_GAPS);
    expect(out.state.seqGapCount).toBe(5999);
  });
});

describe('foldBatch under reordering, duplicates and loss (property)', () => {
  /** Ranges of the sorted distinct seqs in `missing`, merged. */
  function merged(missing: number[]): [number, number][] {
    const out: [number, number][] = [];
    for (const seq of missing) {
      const last = out[out.length - 1];
      if (last && seq === last[1] + 1) last[1] = seq;
      else out.push([seq, seq]);
    }
    return out;
  }

  it('ends with exactly the removed ranges open, whatever the delivery order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 2, max: 300 }),
        // At most 10 batches, each with at most one hole: never more than 19 holes at once,
        // so every gap stays listed (MAX_RECENT_GAPS) and the final set is exact.
        fc.uniqueArray(fc.integer({ min: 1, max: 299 }), { maxLength: 9 }),
        fc.array(
          fc.record({
            fate: fc.constantFrom('keep', 'keep', 'drop', 'hole'),
            hole: fc.tuple(
              fc.double({ min: 0, max: 1, noNaN: true }),
              fc.double({ min: 0, max: 1, noNaN: true }),
            ),
            reversed: fc.boolean(),
          }),
          { minLength: 10, maxLength: 10 },
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(fc.integer(), { minLength: 20, maxLength: 20 }),
        (first, count, cutsAt, fates, dupPicks, priorities) => {
          const last = first + count - 1;
          const cuts = [...new Set(cutsAt.filter((c) => c < count).map((c) => first + c))].sort(
            (a, b) => a - b,
          );
          const bounds = [first, ...cuts, last + 1];
          const batches: { seq: number }[][] = [];
          for (let i = 0; i + 1 < bounds.length; i++) {
            const from = bounds[i] as number;
            const to = (bounds[i + 1] as number) - 1;
            const f = fates[i] as (typeof fates)[number];
            if (f.fate === 'drop') continue;
            let readings = seqs(from, to);
            if (f.fate === 'hole') {
              const [x, y] = [f.hole[0], f.hole[1]].sort((a, b) => a - b) as [number, number];
              const a = from + Math.floor(x * (to - from + 1));
              const b = from + Math.floor(y * (to - from + 1));
              readings = readings.filter((r) => r.seq < a || r.seq > b);
            }
            if (f.reversed) readings.reverse();
            if (readings.length > 0) batches.push(readings);
          }
          if (batches.length === 0) return;
          const deliveries = [
            ...batches,
            ...dupPicks.map((p) => batches[p % batches.length] as { seq: number }[]),
          ]
            .map((b, i) => ({ b, key: priorities[i] ?? 0 }))
            .sort((x, y) => x.key - y.key)
            .map((d) => d.b);

          let state: GatewayState | undefined;
          deliveries.forEach((b, i) => {
            const runs = seqRunsOf(b, Number.MAX_SAFE_INTEGER);
            state = foldBatch(
              state,
              'gw-p',
              { runs, newestReadingAtMs: undefined, health: undefined, healthRejected: false },
              T0 + i,
            ).state;
          });
          const delivered = new Set(batches.flat().map((r) => r.seq));
          const lo = Math.min(...delivered);
          const hi = Math.max(...delivered);
          const missing: number[] = [];
          for (let s = lo; s <= hi; s++) if (!delivered.has(s)) missing.push(s);
          const expected = merged(missing);

          const s = state as GatewayState;
          const open = s.recentGaps
            .map((g): [number, number] => [g.fromSeq, g.toSeq])
            .sort((a, b) => a[0] - b[0]);
          expect(open).toEqual(expected);
          expect(s.seqGapCount).toBe(expected.length);
          expect(s.missingReadings).toBe(missing.length);
          expect([s.firstSeq, s.lastSeq]).toEqual([lo, hi]);
        },
      ),
      { seed: 20261203, numRuns: 400 },
    );
  });
});
