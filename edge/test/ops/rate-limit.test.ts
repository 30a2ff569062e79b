import { ManualClock } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/ops/rate-limit.ts';

describe('TokenBucket', () => {
  it('allows a burst, then the rate, and reports what it suppressed', () => {
    const clock = new ManualClock(1_000_000);
    const bucket = new TokenBucket(clock, 2, 3);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect(bucket.take()).toBe(-1);
    expect(bucket.take()).toBe(-1);
    clock.advance(500); // one token at 2/s
    expect(bucket.take()).toBe(2);
    expect(bucket.take()).toBe(-1);
    clock.advance(60_000); // refills to the burst, not beyond
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([1, 0, 0, -1]);
  });
});
