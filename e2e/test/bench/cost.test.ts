import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  billedInstanceSeconds,
  billedRequestBytes,
  type CloudUsage,
  costPerMillion,
  naiveUsage,
  pubsubBilledBytes,
} from '../../bench/cost.ts';
import { GCP_PRICES, INGEST_FUNCTION_SIZE, type PriceTable } from '../../bench/prices.ts';

const TIB = 2 ** 40;

/** Round numbers so each line of the model can be checked by hand. */
const PRICES: PriceTable = {
  assumedOn: 'test',
  sources: [],
  pubsub: { usdPerTiB: 40, minBilledBytesPerRequest: 1000 },
  functions: {
    usdPerMillionInvocations: 0.4,
    usdPerVcpuSecond: 0.00002,
    usdPerGiBSecond: 0.000002,
    billingGranularityMs: 100,
  },
  firestore: { usdPer100kWrites: 0.1, usdPer100kReads: 0.05 },
};
const SIZE = { vcpu: 1, memoryGiB: 0.5 };

describe('billing units', () => {
  it('bills every request at least the minimum', () => {
    expect(billedRequestBytes([10, 999, 1000, 60_000], 1000)).toBe(1000 + 1000 + 1000 + 60_000);
    expect(billedRequestBytes([], 1000)).toBe(0);
  });

  it('bills the publish and each push subscription', () => {
    expect(pubsubBilledBytes([500, 5000], 1, 1000)).toBe(2 * (1000 + 5000));
    expect(pubsubBilledBytes([500], 2, 1000)).toBe(3000);
  });

  it('rounds every invocation up to the granularity, never below one unit', () => {
    expect(billedInstanceSeconds([0, 1, 100, 101, 250], 100)).toBeCloseTo(
      (100 + 100 + 100 + 200 + 300) / 1000,
      12,
    );
  });

  it('never bills less than the raw time (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 50 }), (ms) => {
        const raw = ms.reduce((a, b) => a + b, 0) / 1000;
        const billed = billedInstanceSeconds(ms, 100);
        return billed >= raw - 1e-9 && billed <= raw + (ms.length * 100) / 1000 + 1e-9;
      }),
      { seed: 7 },
    );
  });
});

describe('costPerMillion', () => {
  it('prices each line from the counts, scaled to a million readings', () => {
    const usage: CloudUsage = {
      readings: 10_000,
      pubsubBilledBytes: 0.01 * TIB,
      invocations: 10,
      billedInstanceSeconds: 5,
      firestoreWrites: 200,
      firestoreReads: 100,
    };
    const c = costPerMillion(usage, PRICES, SIZE);
    // x100 to a million readings.
    expect(c.pubsub).toBeCloseTo(0.01 * 100 * 40, 9);
    expect(c.invocations).toBeCloseTo(((10 * 100) / 1e6) * 0.4, 12);
    expect(c.cpu).toBeCloseTo(5 * 100 * 1 * 0.00002, 12);
    expect(c.memory).toBeCloseTo(5 * 100 * 0.5 * 0.000002, 12);
    expect(c.firestoreWrites).toBeCloseTo(((200 * 100) / 1e5) * 0.1, 12);
    expect(c.firestoreReads).toBeCloseTo(((100 * 100) / 1e5) * 0.05, 12);
    expect(c.total).toBeCloseTo(
      c.pubsub + c.invocations + c.cpu + c.memory + c.firestoreWrites + c.firestoreReads,
      12,
    );
  });

  it('is independent of how many readings the counts were measured on (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1000 }), (readings, k) => {
        const usage: CloudUsage = {
          readings,
          pubsubBilledBytes: readings * 7,
          invocations: readings / 100,
          billedInstanceSeconds: readings / 1000,
          firestoreWrites: readings / 50,
          firestoreReads: readings / 200,
        };
        const scaled = Object.fromEntries(
          Object.entries(usage).map(([key, v]) => [key, v * k]),
        ) as unknown as CloudUsage;
        const a = costPerMillion(usage, PRICES, SIZE).total;
        const b = costPerMillion(scaled, PRICES, SIZE).total;
        return Math.abs(a - b) <= 1e-9 * Math.max(1, a);
      }),
      { seed: 11 },
    );
  });

  it('refuses usage that covers no reading', () => {
    const usage: CloudUsage = {
      readings: 0,
      pubsubBilledBytes: 0,
      invocations: 0,
      billedInstanceSeconds: 0,
      firestoreWrites: 0,
      firestoreReads: 0,
    };
    expect(() => costPerMillion(usage, PRICES, SIZE)).toThrow(RangeError);
  });
});

describe('naive design', () => {
  it('is one message (billed at the minimum), one push, one 100 ms invocation and one write per reading', () => {
    const u = naiveUsage(
      { readings: 1_000_000, jsonMessageBytes: 110, invocationMs: 30, subscriptions: 1 },
      PRICES,
    );
    expect(u).toEqual({
      readings: 1_000_000,
      pubsubBilledBytes: 2000 * 1_000_000,
      invocations: 1_000_000,
      billedInstanceSeconds: 100_000,
      firestoreWrites: 1_000_000,
      firestoreReads: 0,
    });
  });

  it('costs dollars per million at list prices, dominated by invocations, CPU time and writes', () => {
    const naive = costPerMillion(
      naiveUsage(
        { readings: 1_000_000, jsonMessageBytes: 110, invocationMs: 100, subscriptions: 1 },
        GCP_PRICES,
      ),
      GCP_PRICES,
      INGEST_FUNCTION_SIZE,
    );
    // 2000 B x 1M at $40/TiB = $0.073; $0.40 requests; 1e5 s x (0.333 x 24e-6 + 0.5 x 2.5e-6) = $0.924; 1M writes = $0.90.
    expect(naive.pubsub).toBeCloseTo(0.0728, 3);
    expect(naive.invocations).toBeCloseTo(0.4, 9);
    expect(naive.cpu + naive.memory).toBeCloseTo(0.9242, 4);
    expect(naive.firestoreWrites).toBeCloseTo(0.9, 9);
    expect(naive.total).toBeGreaterThan(2);
  });
});
