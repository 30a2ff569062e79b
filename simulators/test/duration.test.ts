import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDurationMs } from '../src/duration.ts';

describe('durations', () => {
  it('parses the forms people write', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('60s')).toBe(60_000);
    expect(parseDurationMs('10m')).toBe(600_000);
    expect(parseDurationMs('1.5h')).toBe(5_400_000);
    expect(parseDurationMs('2m30s')).toBe(150_000);
    expect(parseDurationMs('-30s')).toBe(-30_000);
    expect(parseDurationMs('1500')).toBe(1500);
    expect(parseDurationMs(250)).toBe(250);
    for (const bad of ['', 'm', '10q', '1 m', 's10', '--1s', 'NaN'])
      expect(parseDurationMs(bad)).toBeUndefined();
  });

  it('formats what it parses back to the same number of ms', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), (ms) => {
        expect(parseDurationMs(formatDuration(ms))).toBe(ms);
      }),
      { seed: 9, numRuns: 1000 },
    );
  });
});
