/**
 * Password checks for CONNECT. scrypt runs on libuv's thread pool (never on the event loop);
 * a successful check is remembered as the SHA-256 of the secret, keyed by user and by the
 * exact registry entry, so a reconnect storm of 10k devices costs one hash each, and
 * changing or removing an entry invalidates what was remembered for it.
 * Concurrent scrypt runs are bounded (a few, like libuv's thread pool) and the CONNECTs
 * waiting for one are queued up to a bound: a fleet reconnecting after a restart is served
 * in order, while a flood beyond the queue gets "server unavailable" instead of unbounded
 * work and memory.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthRefusalReason } from '../ops/metrics.ts';
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
  /** scrypt runs at once (each takes a libuv thread-pool thread). */
  readonly maxConcurrentVerifications: number;
  /** CONNECTs waiting for a scrypt slot; beyond this they are refused as overloaded. */
  readonly maxQueuedVerifications?: number;
}

export const ANONYMOUS: Identity = Object.freeze({ role: 'anonymous', id: '' });

export class Authenticator {
  readonly #options: AuthenticatorOptions;
  #accounts: ReadonlyMap<string, Account> = new Map();
  readonly #verified = new Map<string, { account: Account; digest: Buffer }>();
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
  }

  /** Replaces the account table (start-up and registry reloads). */
  setAccounts(accounts: ReadonlyMap<string, Account>): void {
    this.#accounts = accounts;
    for (const [user, cached] of this.#verified) {
      if (accounts.get(user) !== cached.account) this.#verified.delete(user);
    }
  }

  /** True while `identity` still names an account with the same role (used after reloads). */
  stillValid(identity: Identity): boolean {
    if (identity.role === 'anonymous') return this.#options.allowAnonymous;
    return this.#accounts.get(identity.id)?.role === identity.role;
  }

  async authenticate(username: string | undefined, password: Buffer | undefined): Promise<AuthResult> {
    if (username === undefined || username === '') {
      return this.#options.allowAnonymous && password === undefined ? ANONYMOUS : 'anonymous';
    }
    const account = this.#accounts.get(username);
    if (!account) return 'unknown_user';
    if (password === undefined || password.length === 0) return 'bad_password';
    const digest = createHash('sha256').update(password).digest();
    const cached = this.#verified.get(username);
    if (cached && cached.account === account && timingSafeEqual(cached.digest, digest)) {
      return { role: account.role, id: username };
    }
    if (this.#inFlight >= this.#options.maxConcurrentVerifications) {
      if (this.#waiting.length >= (this.#options.maxQueuedVerifications ?? 0)) return 'overloaded';
      // The slot is handed over by the verification that finishes (see finally).
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#inFlight++;
    }
    try {
      const ok = await verifySecret(password, account.credential);
      if (!ok) return 'bad_password';
      // The table may have been reloaded while scrypt ran: only trust what is still current.
      if (this.#accounts.get(username) !== account) return 'unknown_user';
      this.#verified.set(username, { account, digest });
      return { role: account.role, id: username };
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#inFlight--;
    }
  }
}
