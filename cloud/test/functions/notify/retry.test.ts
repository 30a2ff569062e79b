import { describe, expect, it } from 'vitest';
import { backoffDelayMs, retryWithBackoff } from '../../../src/functions/notify/retry.ts';

/** A fake clock: sleeping records the delay and advances time instantly. */
function fakeSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

const base = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250, random: () => 1 - Number.EPSILON };

describe('retryWithBackoff', () => {
  it('retries retryable failures with capped exponential backoff, then succeeds', async () => {
    const clock = fakeSleep();
    let calls = 0;
    const value = await retryWithBackoff(
      async () => {
        calls++;
        if (calls < 4) throw new Error('flaky');
        return 'ok';
      },
      { ...base, sleep: clock.sleep, isRetryable: () => true },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(4);
    expect(clock.delays).toEqual([99, 199, 249]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const clock = fakeSleep();
    const attempts: number[] = [];
    await expect(
      retryWithBackoff(
        async () => {
          throw new Error('down');
        },
        { ...base, sleep: clock.sleep, isRetryable: () => true, onAttempt: (n) => attempts.push(n) },
      ),
    ).rejects.toThrow('down');
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(clock.delays).toHaveLength(3);
  });

  it('stops at once on a permanent failure', async () => {
    const clock = fakeSleep();
    let calls = 0;
    await expect(
      retryWithBackoff(
        async () => {
          calls++;
          throw new Error('bad request');
        },
        { ...base, sleep: clock.sleep, isRetryable: () => false },
      ),
    ).rejects.toThrow('bad request');
    expect(calls).toBe(1);
    expect(clock.delays).toEqual([]);
  });

  it('jitters within [0, cap)', () => {
    expect(backoffDelayMs(1, { ...base, random: () => 0 })).toBe(0);
    expect(backoffDelayMs(10, { ...base, random: () => 0.5 })).toBe(125);
  });
});
