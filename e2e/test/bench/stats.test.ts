import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, percentile, summarize } from '../../bench/stats.ts';

describe('percentile (nearest rank)', () => {
  it('picks observed values', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(percentile(xs, 50)).toBe(3);
    expect(percentile(xs, 100)).toBe(5);
    expect(percentile(xs, 20)).toBe(1);
    expect(percentile(xs, 21)).toBe(2);
    expect(median([7])).toBe(7);
  });

  it('p99 of 100 samples is the 99th smallest, of 1000 the 990th', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBe(99);
    const thousand = Array.from({ length: 1000 }, (_, i) => 1000 - i);
    expect(percentile(thousand, 99)).toBe(990);
  });

  it('is NaN without samples and refuses p outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('is an element, monotone in p, at least p% at or below it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (xs, p, q) => {
          const v = percentile(xs, p);
          const atOrBelow = xs.filter((x) => x <= v).length;
          const [lo, hi] = p <= q ? [p, q] : [q, p];
          return (
            xs.includes(v) &&
            atOrBelow >= (p / 100) * xs.length - 1e-9 &&
            percentile(xs, lo) <= percentile(xs, hi)
          );
        },
      ),
      { seed: 3 },
    );
  });

  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    percentile(xs, 50);
    expect(xs).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  it('reports count, p50, p99 and max', () => {
    const xs = Array.from({ length: 200 }, (_, i) => i);
    expect(summarize(xs)).toEqual({ samples: 200, p50Ms: 99, p99Ms: 197, maxMs: 199 });
  });

  it('has NaN figures for no samples', () => {
    const s = summarize([]);
    expect(s.samples).toBe(0);
    expect(s.p99Ms).toBeNaN();
    expect(s.maxMs).toBeNaN();
  });
});
