import { ManualClock } from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressKey,
  backoffMs,
  LoginThrottle,
  type LoginThrottleConfig,
  type ThrottleScope,
} from '../../src/registry/login-throttle.ts';

const POLICY = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 4000, banAfterFailures: 6, banMs: 60_000 };
const CONFIG: Omit<LoginThrottleConfig, 'enabled'> = {
  perAddress: POLICY,
  perUser: { ...POLICY, freeFailures: 2, banAfterFailures: 4 },
  forgetAfterMs: 600_000,
  maxTrackedKeys: 100,
};

function setup(config = CONFIG) {
  const clock = new ManualClock(1_000_000);
  const events = { bans: [] as ThrottleScope[], evictions: [] as ThrottleScope[] };
  const throttle = new LoginThrottle(config, clock, {
    onBan: (scope) => events.bans.push(scope),
    onEvict: (scope) => events.evictions.push(scope),
  });
  return { clock, throttle, events };
}

describe('backoffMs', () => {
  it('is 0 for the free failures, then doubles from the base up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 60].map((n) => backoffMs(POLICY, n))).toEqual([
      0, 0, 0, 1000, 2000, 4000, 4000, 4000,
    ]);
  });

  it('never exceeds the cap and never decreases with more failures', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (n) => {
        const now = backoffMs(POLICY, n);
        expect(now).toBeLessThanOrEqual(POLICY.maxDelayMs);
        expect(backoffMs(POLICY, n + 1)).toBeGreaterThanOrEqual(now);
      }),
    );
  });
});

describe('LoginThrottle per address', () => {
  it('holds nothing for the free failures, then exactly the back-off after the last failure', () => {
    const { clock, throttle } = setup();
    for (let i = 0; i < 3; i++) {
      expect(throttle.hold('10.0.0.1', undefined)).toBeUndefined();
      throttle.failed('10.0.0.1');
    }
    // 3 failures: 1000 ms from the third.
    expect(throttle.hold('10.0.0.1', undefined)).toBe('throttled');
    clock.advance(999);
    expect(throttle.hold('10.0.0.1', undefined)).toBe('throttled');
    clock.advance(1);
    expect(throttle.hold('10.0.0.1', undefined)).toBeUndefined();
    throttle.failed('10.0.0.1');
    clock.advance(1999);
    expect(throttle.hold('10.0.0.1', undefined)).toBe('throttled');
    clock.advance(1);
    expect(throttle.hold('10.0.0.1', undefined)).toBeUndefined();
    // Other addresses are untouched.
    expect(throttle.hold('10.0.0.2', undefined)).toBeUndefined();
  });

  it('bans at exactly banAfterFailures for exactly banMs, counted, then starts afresh', () => {
    const { clock, throttle, events } = setup();
    for (let i = 0; i < 5; i++) throttle.failed('10.0.0.1');
    clock.advance(4000);
    expect(throttle.hold('10.0.0.1', undefined)).toBeUndefined();
    expect(events.bans).toEqual([]);
    throttle.failed('10.0.0.1');
    expect(events.bans).toEqual(['address']);
    expect(throttle.hold('10.0.0.1', undefined)).toBe('banned');
    clock.advance(59_999);
    expect(throttle.hold('10.0.0.1', 'anyone')).toBe('banned');
    clock.advance(1);
    expect(throttle.hold('10.0.0.1', undefined)).toBeUndefined();
    // Fresh: the next failure is a free one again.
    throttle.failed('10.0.0.1');
    expect(throttle.hold('10.0.0.1', undefined)).toBeUndefined();
  });

  it('forgets an address exactly forgetAfterMs after its last failure', () => {
    const { clock, throttle } = setup({ ...CONFIG, forgetAfterMs: 10_000 });
    for (let i = 0; i < 5; i++) throttle.failed('10.0.0.1');
    clock.advance(9_999);
    throttle.failed('10.0.0.1'); // the 6th within the window: banned
    expect(throttle.hold('10.0.0.1', undefined)).toBe('banned');

    const other = setup({ ...CONFIG, forgetAfterMs: 10_000 });
    for (let i = 0; i < 5; i++) other.throttle.failed('10.0.0.1');
    other.clock.advance(10_000);
    other.throttle.failed('10.0.0.1'); // counted as the first of a new window
    expect(other.throttle.hold('10.0.0.1', undefined)).toBeUndefined();
    expect(other.events.bans).toEqual([]);
  });

  it('admits only as many verifications at once as free failures are left, at least one', () => {
    const { clock, throttle } = setup();
    expect([1, 2, 3, 4].map(() => throttle.begin('10.0.0.1', 'dev-a'))).toEqual([
      undefined,
      undefined,
      undefined,
      'busy',
    ]);
    for (let i = 0; i < 3; i++) {
      throttle.failed('10.0.0.1', 'dev-a');
      throttle.end('10.0.0.1');
    }
    expect(throttle.begin('10.0.0.1', 'dev-a')).toBe('throttled');
    clock.advance(1000);
    expect(throttle.begin('10.0.0.1', 'dev-b')).toBeUndefined();
    expect(throttle.begin('10.0.0.1', 'dev-b')).toBe('busy');
    throttle.end('10.0.0.1');
    expect(throttle.tracked.pending).toBe(0);
  });

  it('keeps each table within maxTrackedKeys, evicting the least recently failed (counted)', () => {
    const { throttle, events } = setup({ ...CONFIG, maxTrackedKeys: 3 });
    for (const a of ['a1', 'a2', 'a3']) for (let i = 0; i < 3; i++) throttle.failed(a);
    throttle.failed('a1'); // a1 is now the most recent
    throttle.failed('a4');
    expect(events.evictions).toEqual(['address']);
    expect(throttle.tracked.addresses).toBe(3);
    expect(throttle.hold('a2', undefined)).toBeUndefined(); // evicted
    expect(throttle.hold('a1', undefined)).toBe('throttled');
    expect(throttle.hold('a3', undefined)).toBe('throttled');
  });

  it('stays bounded whatever the sequence of attempts', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            address: fc.integer({ min: 0, max: 40 }),
            user: fc.integer({ min: 0, max: 40 }),
            ok: fc.boolean(),
            advanceMs: fc.integer({ min: 0, max: 5000 }),
          }),
          { maxLength: 300 },
        ),
        (attempts) => {
          const { clock, throttle } = setup({ ...CONFIG, maxTrackedKeys: 8 });
          for (const a of attempts) {
            clock.advance(a.advanceMs);
            const address = `10.0.0.${a.address}`;
            const user = `dev-${a.user}`;
            if (throttle.begin(address, user) !== undefined) continue;
            if (a.ok) throttle.succeeded(user);
            else throttle.failed(address, user);
            throttle.end(address);
          }
          const tracked = throttle.tracked;
          expect(tracked.addresses).toBeLessThanOrEqual(8);
          expect(tracked.users).toBeLessThanOrEqual(8);
          expect(tracked.pending).toBe(0);
        },
      ),
    );
  });
});

describe('LoginThrottle per user', () => {
  it('one address flooding a name never holds the name for other addresses', () => {
    const { clock, throttle } = setup();
    for (let i = 0; i < 200; i++) {
      clock.advance(100);
      if (throttle.hold('10.6.6.6', 'dev-a') === undefined) throttle.failed('10.6.6.6', 'dev-a');
    }
    expect(throttle.hold('10.6.6.6', 'dev-a')).toBe('banned');
    expect(throttle.hold('10.0.0.9', 'dev-a')).toBeUndefined();
  });

  it('counts distinct failing addresses: back-off at freeFailures, ban at banAfterFailures', () => {
    const { clock, throttle, events } = setup();
    throttle.failed('10.0.0.1', 'dev-a');
    throttle.failed('10.0.0.1', 'dev-a');
    expect(throttle.hold('10.0.0.9', 'dev-a')).toBeUndefined();
    throttle.failed('10.0.0.2', 'dev-a');
    // 2 distinct addresses = freeFailures: 1000 ms for everyone trying dev-a.
    expect(throttle.hold('10.0.0.9', 'dev-a')).toBe('throttled');
    expect(throttle.hold('10.0.0.9', 'dev-b')).toBeUndefined();
    clock.advance(1000);
    expect(throttle.hold('10.0.0.9', 'dev-a')).toBeUndefined();
    throttle.failed('10.0.0.3', 'dev-a');
    expect(events.bans).toEqual([]);
    clock.advance(2000);
    throttle.failed('10.0.0.4', 'dev-a');
    expect(events.bans).toEqual(['user']);
    expect(throttle.hold('10.0.0.9', 'dev-a')).toBe('banned');
  });

  it('a verified login clears the name (not the address)', () => {
    const { throttle } = setup();
    for (const a of ['10.0.0.1', '10.0.0.2']) for (let i = 0; i < 3; i++) throttle.failed(a, 'dev-a');
    expect(throttle.hold('10.0.0.9', 'dev-a')).toBe('throttled');
    throttle.succeeded('dev-a');
    expect(throttle.hold('10.0.0.9', 'dev-a')).toBeUndefined();
    expect(throttle.hold('10.0.0.1', 'dev-a')).toBe('throttled');
  });
});

describe('addressKey', () => {
  it('keys IPv4 as is, mapped IPv4 as IPv4, IPv6 by its /64', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});
