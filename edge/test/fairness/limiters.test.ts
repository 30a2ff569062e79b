import type { AlertEvent } from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeviceBuckets } from '../../src/fairness/device-buckets.ts';
import { TransitionLimiter } from '../../src/fairness/transition-limit.ts';

const T0 = 1_780_000_000_000;

describe('DeviceBuckets', () => {
  it('allows exactly the burst, then exactly the rate, per device', () => {
    const buckets = new DeviceBuckets({ ratePerSec: 10, burst: 5, maxDevices: 10 }, T0);
    for (let i = 0; i < 5; i++) expect(buckets.take('dev-a', 1, T0)).toBe(true);
    expect(buckets.take('dev-a', 1, T0)).toBe(false);
    // Another device is untouched by dev-a's exhaustion.
    expect(buckets.take('dev-b', 5, T0)).toBe(true);
    // 10/s: one token takes 100 ms; at 99 ms there is 0.99 of one.
    expect(buckets.take('dev-a', 1, T0 + 99)).toBe(false);
    expect(buckets.take('dev-a', 1, T0 + 100)).toBe(true);
    expect(buckets.take('dev-a', 1, T0 + 100)).toBe(false);
    // Refills to the burst, never beyond.
    expect(buckets.tokens('dev-a', T0 + 3_600_000)).toBe(5);
    expect(buckets.take('dev-a', 6, T0 + 3_600_000)).toBe(false);
    expect(buckets.take('dev-a', 5, T0 + 3_600_000)).toBe(true);
  });

  it('takes a multi-reading message whole or not at all', () => {
    const buckets = new DeviceBuckets({ ratePerSec: 1, burst: 3, maxDevices: 1 }, T0);
    expect(buckets.take('dev-a', 2, T0)).toBe(true);
    expect(buckets.take('dev-a', 2, T0)).toBe(false);
    expect(buckets.tokens('dev-a', T0)).toBe(1);
  });

  it('does not refill when the clock steps back', () => {
    const buckets = new DeviceBuckets({ ratePerSec: 1000, burst: 2, maxDevices: 1 }, T0);
    expect(buckets.take('dev-a', 2, T0)).toBe(true);
    expect(buckets.take('dev-a', 1, T0 - 60_000)).toBe(false);
    expect(buckets.take('dev-a', 1, T0 + 1)).toBe(true);
  });

  it('stays bounded: recycles full buckets, else charges the shared overflow bucket (counted)', () => {
    let overflows = 0;
    const buckets = new DeviceBuckets(
      { ratePerSec: 1, burst: 2, maxDevices: 2, onOverflow: () => overflows++ },
      T0,
    );
    expect(buckets.take('dev-a', 2, T0)).toBe(true);
    expect(buckets.take('dev-b', 2, T0)).toBe(true);
    // Both buckets are in use: dev-c goes to the overflow bucket (burst 2).
    expect(buckets.take('dev-c', 2, T0)).toBe(true);
    expect(buckets.take('dev-d', 1, T0)).toBe(false);
    expect(overflows).toBe(2);
    expect(buckets.size).toBe(2);
    // Two seconds later every bucket is full again, so dev-c gets one of its own.
    expect(buckets.take('dev-c', 1, T0 + 2000)).toBe(true);
    expect(buckets.size).toBe(2);
    expect(overflows).toBe(2);
    expect(buckets.tokens('dev-c', T0 + 2000)).toBe(1);
  });

  it('never lets a device take more than burst + rate * elapsed (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 5 })), {
          maxLength: 200,
        }),
        (ratePerSec, burst, steps) => {
          const buckets = new DeviceBuckets({ ratePerSec, burst, maxDevices: 4 }, T0);
          let now = T0;
          let taken = 0;
          for (const [dtMs, n] of steps) {
            now += dtMs;
            if (buckets.take('dev-a', n, now)) taken += n;
          }
          expect(taken).toBeLessThanOrEqual(burst + (ratePerSec * (now - T0)) / 1000 + 1e-9);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});

function transition(kind: AlertEvent['kind'], deviceId: string, episode: number): AlertEvent {
  return {
    alertId: `${deviceId}.temperature.temp-high.${episode}`,
    kind,
    deviceId,
    metric: 'temperature',
    ruleId: 'temp-high',
    ruleKind: 'threshold',
    severity: 'warning',
    value: 1,
    tsMs: episode,
    seq: episode,
    source: 'edge',
    message: 'm',
  };
}

function limiter(maxSuppressedEpisodes = 100) {
  const counts = { raised: 0, cleared: 0, transitions: 0, suppressed_episodes: 0 };
  const limit = new TransitionLimiter(
    { transitionsPerSec: 1, transitionsBurst: 2, maxDevices: 10, maxSuppressedEpisodes },
    { suppressed: (kind) => counts[kind]++, overflow: (which) => counts[which]++ },
    T0,
  );
  return { limit, counts };
}

describe('TransitionLimiter', () => {
  it('bounds raises per device, suppresses the clears of suppressed raises, never those of emitted ones', () => {
    const { limit, counts } = limiter();
    const emitted: string[] = [];
    const offer = (a: AlertEvent, now: number) => {
      if (limit.admit(a, now)) emitted.push(`${a.kind}:${a.alertId}`);
    };
    // A storm from dev-a: 5 episodes within the same instant, burst 2.
    for (let e = 1; e <= 5; e++) {
      offer(transition('raised', 'dev-a', e), T0);
      offer(transition('cleared', 'dev-a', e), T0);
    }
    expect(emitted).toEqual([
      'raised:dev-a.temperature.temp-high.1',
      'cleared:dev-a.temperature.temp-high.1',
      'raised:dev-a.temperature.temp-high.2',
      'cleared:dev-a.temperature.temp-high.2',
    ]);
    expect(counts).toMatchObject({ raised: 3, cleared: 3 });
    expect(limit.suppressedEpisodes).toBe(0);
    // dev-b is not affected by dev-a's storm.
    offer(transition('raised', 'dev-b', 1), T0);
    expect(emitted.at(-1)).toBe('raised:dev-b.temperature.temp-high.1');
    // A raise suppressed at T0 stays suppressed through its clear, even once tokens are back.
    offer(transition('raised', 'dev-a', 6), T0);
    expect(limit.suppressedEpisodes).toBe(1);
    offer(transition('cleared', 'dev-a', 6), T0 + 10_000);
    expect(emitted.at(-1)).toBe('raised:dev-b.temperature.temp-high.1');
    expect(limit.suppressedEpisodes).toBe(0);
    // A raise emitted with the last token: its clear goes out although the bucket is empty.
    offer(transition('raised', 'dev-a', 7), T0 + 10_000);
    offer(transition('raised', 'dev-a', 8), T0 + 10_000);
    offer(transition('raised', 'dev-a', 9), T0 + 10_000);
    offer(transition('cleared', 'dev-a', 7), T0 + 10_000);
    expect(emitted.slice(-3)).toEqual([
      'raised:dev-a.temperature.temp-high.7',
      'raised:dev-a.temperature.temp-high.8',
      'cleared:dev-a.temperature.temp-high.7',
    ]);
    // 1/s: 999 ms after the bucket emptied there is no token yet; at 1000 ms there is one.
    expect(limit.admit(transition('raised', 'dev-a', 10), T0 + 10_999)).toBe(false);
    expect(limit.admit(transition('raised', 'dev-a', 11), T0 + 11_000)).toBe(true);
  });

  it('emits a raise (counted) rather than forget it when the suppressed set is full', () => {
    const { limit, counts } = limiter(1);
    expect(limit.admit(transition('raised', 'dev-a', 1), T0)).toBe(true);
    expect(limit.admit(transition('raised', 'dev-a', 2), T0)).toBe(true);
    expect(limit.admit(transition('raised', 'dev-a', 3), T0)).toBe(false);
    expect(limit.admit(transition('raised', 'dev-a', 4), T0)).toBe(true);
    expect(counts).toMatchObject({ raised: 1, suppressed_episodes: 1 });
    expect(limit.admit(transition('cleared', 'dev-a', 4), T0)).toBe(true);
    expect(limit.admit(transition('cleared', 'dev-a', 3), T0)).toBe(false);
  });
});
