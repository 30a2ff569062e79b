/**
 * Failed-login throttling, per source address and per user name: after a few failures each
 * further attempt must wait an exponentially growing delay since the last failure, and enough
 * failures start a temporary ban. A held attempt is refused before any scrypt runs.
 *
 * The per-user table counts *distinct failing addresses*, not failures: one address
 * hammering a real device's name is stopped by its own address entry and never locks the
 * name, so the real device connecting from elsewhere still gets in. Guessing a name from
 * many addresses does hold the name; a device that already connected since start-up still
 * passes then, because a remembered verification is checked before the throttle
 * (authenticator.ts) and costs no scrypt.
 *
 * Pure and clock-driven (no timers): state is touched only on attempts. Both tables are
 * bounded; the least recently struck entry is evicted beyond the bound (counted).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Clock } from '@edgeflow/shared';
import Type, { type Static } from 'typebox';

const Policy = (defaults: {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  banAfterFailures: number;
  banMs: number;
}) =>
  Type.Object(
    {
      /** Failures (per user: distinct failing addresses) allowed before the back-off starts. */
      freeFailures: Type.Integer({ minimum: 0, default: defaults.freeFailures }),
      /** Wait after the first failure beyond the free ones; doubles with each further one. */
      baseDelayMs: Type.Integer({ minimum: 1, default: defaults.baseDelayMs }),
      maxDelayMs: Type.Integer({ minimum: 1, default: defaults.maxDelayMs }),
      /** Failures that start a ban (the count starts over when the ban ends). */
      banAfterFailures: Type.Integer({ minimum: 1, default: defaults.banAfterFailures }),
      banMs: Type.Integer({ minimum: 1, default: defaults.banMs }),
    },
    { additionalProperties: false, default: {} },
  );

/** The gateway config's `mqtt.loginThrottle` section. */
export const LoginThrottleConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    perAddress: Policy({
      freeFailures: 5,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      banAfterFailures: 20,
      banMs: 15 * 60_000,
    }),
    perUser: Policy({
      freeFailures: 3,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      banAfterFailures: 10,
      banMs: 5 * 60_000,
    }),
    /** An entry with no failure for this long is forgotten. */
    forgetAfterMs: Type.Integer({ minimum: 1, default: 15 * 60_000 }),
    /** Entries per table (addresses, users); the least recently failed is evicted beyond it. */
    maxTrackedKeys: Type.Integer({ minimum: 1, default: 10_000 }),
  },
  { additionalProperties: false, default: {} },
);
export type LoginThrottleConfig = Static<typeof LoginThrottleConfigSchema>;
export type ThrottlePolicy = LoginThrottleConfig['perAddress'];

export type ThrottleScope = 'address' | 'user';
export type ThrottleHold = 'throttled' | 'banned';

export interface LoginThrottleEvents {
  onBan?(scope: ThrottleScope): void;
  onEvict?(scope: ThrottleScope): void;
}

interface Entry {
  strikes: number;
  lastStrikeMs: number;
  bannedUntilMs: number;
  /** Per-user table only: the addresses already counted (bounded by banAfterFailures). */
  sources?: Set<string>;
}

/** The back-off a policy asks for after `strikes` failures (0: none). */
export function backoffMs(policy: ThrottlePolicy, strikes: number): number {
  if (strikes < policy.freeFailures) return 0;
  const doublings = Math.min(strikes - policy.freeFailures, 52);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** doublings);
}

class StrikeTable {
  readonly #entries = new Map<string, Entry>();
  readonly #policy: ThrottlePolicy;
  readonly #scope: ThrottleScope;
  readonly #forgetAfterMs: number;
  readonly #maxKeys: number;
  readonly #events: LoginThrottleEvents;

  constructor(
    scope: ThrottleScope,
    policy: ThrottlePolicy,
    forgetAfterMs: number,
    maxKeys: number,
    events: LoginThrottleEvents,
  ) {
    this.#scope = scope;
    this.#policy = policy;
    this.#forgetAfterMs = forgetAfterMs;
    this.#maxKeys = maxKeys;
    this.#events = events;
  }

  get size(): number {
    return this.#entries.size;
  }

  #live(key: string, nowMs: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (nowMs < entry.bannedUntilMs) return entry;
    if (entry.bannedUntilMs > 0) {
      // The ban is over: start afresh rather than re-banning on the next failure.
      this.#entries.delete(key);
      return undefined;
    }
    if (nowMs - entry.lastStrikeMs >= this.#forgetAfterMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  hold(key: string, nowMs: number): ThrottleHold | undefined {
    const entry = this.#live(key, nowMs);
    if (entry === undefined) return undefined;
    if (nowMs < entry.bannedUntilMs) return 'banned';
    return nowMs < entry.lastStrikeMs + backoffMs(this.#policy, entry.strikes) ? 'throttled' : undefined;
  }

  /** Counts a failure; with `source`, only the first failure from each source counts. */
  strike(key: string, nowMs: number, source?: string): void {
    let entry = this.#live(key, nowMs);
    if (entry !== undefined && nowMs < entry.bannedUntilMs) return;
    if (entry === undefined) {
      entry = { strikes: 0, lastStrikeMs: nowMs, bannedUntilMs: 0 };
      if (source !== undefined) entry.sources = new Set();
    } else {
      this.#entries.delete(key);
    }
    // Re-inserted on every strike: the Map's order is the eviction order.
    this.#entries.set(key, entry);
    if (source !== undefined && entry.sources !== undefined) {
      if (entry.sources.has(source)) return;
      entry.sources.add(source);
    }
    entry.strikes++;
    entry.lastStrikeMs = nowMs;
    if (entry.strikes >= this.#policy.banAfterFailures) {
      entry.bannedUntilMs = nowMs + this.#policy.banMs;
      entry.sources = undefined;
      this.#events.onBan?.(this.#scope);
    }
    while (this.#entries.size > this.#maxKeys) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#events.onEvict?.(this.#scope);
    }
  }

  /** Failures `key` may still have before its back-off starts. */
  freeLeft(key: string, nowMs: number): number {
    return this.#policy.freeFailures - (this.#live(key, nowMs)?.strikes ?? 0);
  }

  clear(key: string): void {
    this.#entries.delete(key);
  }
}

export class LoginThrottle {
  readonly #clock: Clock;
  readonly #addresses: StrikeTable;
  readonly #users: StrikeTable;
  /** Verifications running per address; bounded by the authenticator's own bounds. */
  readonly #pending = new Map<string, number>();

  constructor(config: Omit<LoginThrottleConfig, 'enabled'>, clock: Clock, events: LoginThrottleEvents = {}) {
    this.#clock = clock;
    this.#addresses = new StrikeTable(
      'address',
      config.perAddress,
      config.forgetAfterMs,
      config.maxTrackedKeys,
      events,
    );
    this.#users = new StrikeTable(
      'user',
      config.perUser,
      config.forgetAfterMs,
      config.maxTrackedKeys,
      events,
    );
  }

  /** Entries held, per table (for tests and the bound). */
  get tracked(): { addresses: number; users: number; pending: number } {
    return { addresses: this.#addresses.size, users: this.#users.size, pending: this.#pending.size };
  }

  /** Whether an attempt from `address` (see addressKey) for `user` must be refused unchecked. */
  hold(address: string, user: string | undefined): ThrottleHold | undefined {
    const nowMs = this.#clock.nowMs();
    const byAddress = this.#addresses.hold(address, nowMs);
    const byUser = user === undefined ? undefined : this.#users.hold(user, nowMs);
    return byAddress === 'banned' || byUser === 'banned' ? 'banned' : (byAddress ?? byUser);
  }

  /**
   * Admits a verification from `address` unless the attempt is held, or 'busy' while as many
   * verifications from it are running as could still fail before its back-off starts (at
   * least one): a burst from one address cannot start more scrypts than its free failures.
   * An admitted verification must be ended with `end`.
   */
  begin(address: string, user: string): ThrottleHold | 'busy' | undefined {
    const held = this.hold(address, user);
    if (held) return held;
    const pending = this.#pending.get(address) ?? 0;
    if (pending >= Math.max(1, this.#addresses.freeLeft(address, this.#clock.nowMs()))) return 'busy';
    this.#pending.set(address, pending + 1);
    return undefined;
  }

  end(address: string): void {
    const pending = (this.#pending.get(address) ?? 1) - 1;
    if (pending > 0) this.#pending.set(address, pending);
    else this.#pending.delete(address);
  }

  /** A failed attempt; `user` only when the name exists (unknown names never fill the table). */
  failed(address: string, user?: string): void {
    const nowMs = this.#clock.nowMs();
    this.#addresses.strike(address, nowMs);
    if (user !== undefined) this.#users.strike(user, nowMs, address);
  }

  /** A verified login clears the name's failures (not the address's: it may serve others). */
  succeeded(user: string): void {
    this.#users.clear(user);
  }
}

/**
 * The throttle key of a remote address: IPv4 as is (also when mapped into IPv6), IPv6 by its
 * /64, which one host can fill with addresses at will.
 */
export function addressKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined || remoteAddress === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  if (mapped) return mapped[1] as string;
  if (isIPv4(remoteAddress)) return remoteAddress;
  if (!isIPv6(remoteAddress)) return remoteAddress.slice(0, 64);
  const [head = '', tail] = remoteAddress.toLowerCase().split('%')[0]?.split('::') ?? [''];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
