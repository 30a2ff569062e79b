/**
 * Password checks for CONNECT. scrypt never runs on the event loop (the gateway verifies on
 * worker threads of its own, scrypt-pool.ts, keeping libuv's pool for the outbox's fsyncs);
 * a successful check is remembered as the SHA-256 of the secret, keyed by user and by the
 * exact registry entry, so a reconnect storm of 10k devices costs one hash each, and
 * changing or removing an entry invalidates what was remembered for it.
 * Concurrent scrypt runs are bounded (a few, one per verification thread) and the CONNECTs
 * waiting for one are queued up to a bound: a fleet reconnecting after a restart is served
 * in order, while a flood beyond the queue gets "server unavailable" instead of unbounded
 * work and memory. Failed attempts feed the login throttle (login-throttle.ts), checked
 * after the remembered verification and before any scrypt: a held attempt costs no hash.
 * Every identity handed out remembers the entry it was verified against, so a rotated
 * secret invalidates the sessions opened with the old one (stillValid).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthRefusalReason } from '../ops/metrics.ts';
import { addressKey, type LoginThrottle } from './login-throttle.ts';
import { type SecretHash, verifySecret } from './secret.ts';

export type IdentityRole = 'device' | 'operator' | 'anonymous';

export interface Identity {
  readonly role: IdentityRole;
  /** The username (device id for devices); '' for anonymous clients. */
  readonly id: string;
}

export interface Account {
  readonly role: 'device' | 'operator';
  readonly credential: SecretHash;
}

export type AuthResult = Identity | AuthRefusalReason;

export interface AuthenticatorOptions {
  readonly allowAnonymous: boolean;
  /** scrypt runs at once (each takes a verification thread, or a libuv one with the default verify). */
  readonly maxConcurrentVerifications: number;
  /** CONNECTs waiting for a scrypt slot; beyond this they are refused as overloaded. */
  readonly maxQueuedVerifications?: number;
  /** Failed-login throttling; none when absent. */
  readonly throttle?: LoginThrottle;
  /** The scrypt check; secret.ts `verifySecret` (libuv's pool) when absent. */
  readonly verify?: (secret: Buffer, stored: SecretHash) => Promise<boolean>;
}

export const ANONYMOUS: Identity = Object.freeze({ role: 'anonymous', id: '' });

export class Authenticator {
  readonly #options: AuthenticatorOptions;
  #accounts: ReadonlyMap<string, Account> = new Map();
  readonly #verified = new Map<string, { account: Account; digest: Buffer }>();
  /**
   * The last wrong secret per user (one digest each, so bounded by the accounts): a device
   * misconfigured with a wrong secret, retrying, costs one scrypt and one throttle strike, not
   * one per retry, and so cannot get its (maybe shared, NAT) address throttled on its own.
   */
  readonly #refused = new Map<string, { account: Account; digest: Buffer }>();
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];
  /** The entry each handed-out identity was verified against. */
  readonly #issued = new WeakMap<Identity, Account>();
  /** CONNECTs waiting for their address's verifications to end (counted in the queue bound). */
  readonly #addressWaiters = new Map<string, Array<() => void>>();
  #addressWaiting = 0;

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
  }

  /** Replaces the account table (start-up and registry reloads). */
  setAccounts(accounts: ReadonlyMap<string, Account>): void {
    this.#accounts = accounts;
    for (const cache of [this.#verified, this.#refused]) {
      for (const [user, cached] of cache) {
        if (accounts.get(user) !== cached.account) cache.delete(user);
      }
    }
  }

  /**
   * True while `identity` still names the same account entry (used after reloads): removal,
   * a role change and a changed credential (rotation) all end it. Unchanged entries keep
   * their object identity across reloads (accounts.ts).
   */
  stillValid(identity: Identity): boolean {
    if (identity.role === 'anonymous') return this.#options.allowAnonymous;
    const account = this.#accounts.get(identity.id);
    if (account === undefined || account.role !== identity.role) return false;
    const issuedFor = this.#issued.get(identity);
    return issuedFor === undefined || issuedFor === account;
  }

  /** `remoteAddress`: the client's socket address, the throttle's per-address key. */
  async authenticate(
    username: string | undefined,
    password: Buffer | undefined,
    remoteAddress?: string,
  ): Promise<AuthResult> {
    if (username === undefined || username === '') {
      return this.#options.allowAnonymous && password === undefined ? ANONYMOUS : 'anonymous';
    }
    const account = this.#accounts.get(username);
    const digest =
      password === undefined || password.length === 0
        ? undefined
        : createHash('sha256').update(password).digest();
    const cached = this.#verified.get(username);
    if (account && digest && cached && cached.account === account && timingSafeEqual(cached.digest, digest)) {
      return this.#issue(account, username);
    }
    const refused = this.#refused.get(username);
    if (
      account &&
      digest &&
      refused &&
      refused.account === account &&
      timingSafeEqual(refused.digest, digest)
    ) {
      return 'bad_password';
    }
    const throttle = this.#options.throttle;
    const address = addressKey(remoteAddress);
    const held = throttle?.hold(address, account ? username : undefined);
    if (held) return held;
    if (!account) {
      throttle?.failed(address);
      return 'unknown_user';
    }
    if (password === undefined || digest === undefined) {
      throttle?.failed(address, username);
      return 'bad_password';
    }
    if (throttle) {
      for (;;) {
        const admitted = throttle.begin(address, username);
        if (admitted === undefined) break;
        if (admitted !== 'busy') return admitted;
        // Waits for the address's running verifications, then asks again (their outcome counts).
        if (this.#queued() >= (this.#options.maxQueuedVerifications ?? 0)) return 'overloaded';
        await this.#afterVerificationFrom(address);
      }
    }
    try {
      return await this.#verify(username, account, password, digest, address);
    } finally {
      if (throttle) {
        throttle.end(address);
        const waiters = this.#addressWaiters.get(address);
        this.#addressWaiters.delete(address);
        for (const wake of waiters ?? []) wake();
      }
    }
  }

  async #verify(
    username: string,
    account: Account,
    password: Buffer,
    digest: Buffer,
    address: string,
  ): Promise<AuthResult> {
    const throttle = this.#options.throttle;
    if (this.#inFlight >= this.#options.maxConcurrentVerifications) {
      if (this.#queued() >= (this.#options.maxQueuedVerifications ?? 0)) return 'overloaded';
      // The slot is handed over by the verification that finishes (see finally).
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#inFlight++;
    }
    try {
      const ok = await (this.#options.verify ?? verifySecret)(password, account.credential);
      if (!ok) {
        throttle?.failed(address, username);
        if (this.#accounts.get(username) === account) this.#refused.set(username, { account, digest });
        return 'bad_password';
      }
      // The table may have been reloaded while scrypt ran: only trust what is still current.
      if (this.#accounts.get(username) !== account) return 'unknown_user';
      this.#verified.set(username, { account, digest });
      this.#refused.delete(username);
      throttle?.succeeded(username);
      return this.#issue(account, username);
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#inFlight--;
    }
  }

  /** CONNECTs waiting: for a scrypt slot, or behind their address's running verifications. */
  #queued(): number {
    return this.#waiting.length + this.#addressWaiting;
  }

  #afterVerificationFrom(address: string): Promise<void> {
    this.#addressWaiting++;
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.#addressWaiting--;
        resolve();
      };
      const waiters = this.#addressWaiters.get(address);
      if (waiters) waiters.push(wake);
      else this.#addressWaiters.set(address, [wake]);
    });
  }

  #issue(account: Account, id: string): Identity {
    const identity: Identity = { role: account.role, id };
    this.#issued.set(identity, account);
    return identity;
  }
}
