/**
 * Which sessions exist, per identity, so an identity holds a bounded number of them and a
 * persistent session left offline is eventually forgotten.
 *
 * A session is a client id (bound to one identity by clientIdAllowed, acl.ts): online while
 * a connection holds it, offline once a persistent (`clean: false`) connection ended. An
 * identity holds at most `maxSessionsPerIdentity`; a CONNECT with a new client id at the
 * cap evicts that identity's longest-offline session (counted), or is refused when all are
 * online. Reconnecting with a client id the identity already holds never counts twice, so
 * a device replacing its own half-open connection is always admitted. An offline session
 * not reconnected within `sessionExpiryMs` is removed from the store (counted) by `sweep`,
 * called on a timer with the injected clock's time.
 *
 * Anonymous clients (dev flag) share one identity and are not capped; their sessions still
 * expire.
 */

export interface SessionOptions {
  readonly maxSessionsPerIdentity: number;
  readonly sessionExpiryMs: number;
}

export type SessionRemoval = 'expired' | 'evicted' | 'revoked';

export interface SessionDeps {
  /** Drops a session's subscriptions and queue (BoundedPersistence.removeSession). */
  removeSession(clientId: string): Promise<void>;
  onSessionRemoved(reason: SessionRemoval, clientId: string): void;
  onRemoveFailed(err: unknown, clientId: string): void;
}

interface Session {
  /** The connection holding it (any object identity), or null while offline. */
  holder: object | null;
  offlineSinceMs: number;
}

export class SessionTable {
  readonly #options: SessionOptions;
  readonly #deps: SessionDeps;
  /** identity id -> client id -> session; identities with no session are not kept. */
  readonly #byIdentity = new Map<string, Map<string, Session>>();

  constructor(options: SessionOptions, deps: SessionDeps) {
    this.#options = options;
    this.#deps = deps;
  }

  /**
   * Called at CONNECT once identity and client id are checked, before aedes takes over the
   * session: false when the identity already holds its maximum of online sessions.
   */
  admit(identityId: string, capped: boolean, clientId: string, holder: object): boolean {
    let sessions = this.#byIdentity.get(identityId);
    const existing = sessions?.get(clientId);
    if (existing !== undefined) {
      existing.holder = holder;
      existing.offlineSinceMs = -1;
      return true;
    }
    if (sessions === undefined) {
      sessions = new Map();
      this.#byIdentity.set(identityId, sessions);
    }
    if (capped && sessions.size >= this.#options.maxSessionsPerIdentity) {
      const victim = longestOffline(sessions);
      if (victim === undefined) return false;
      sessions.delete(victim);
      this.#remove(victim, 'evicted');
    }
    sessions.set(clientId, { holder, offlineSinceMs: -1 });
    return true;
  }

  /** The connection `holder` ended; a persistent session stays (offline) until it expires. */
  released(identityId: string, clientId: string, holder: object, persistent: boolean, nowMs: number): void {
    const sessions = this.#byIdentity.get(identityId);
    const session = sessions?.get(clientId);
    // Taken over by a newer connection with the same client id: that one holds it now.
    if (sessions === undefined || session === undefined || session.holder !== holder) return;
    if (persistent) {
      session.holder = null;
      session.offlineSinceMs = nowMs;
      return;
    }
    sessions.delete(clientId);
    if (sessions.size === 0) this.#byIdentity.delete(identityId);
  }

  /** Removes the persistent sessions offline for `sessionExpiryMs` or longer. */
  sweep(nowMs: number): void {
    const expiry = this.#options.sessionExpiryMs;
    for (const [identityId, sessions] of this.#byIdentity) {
      for (const [clientId, session] of sessions) {
        if (session.holder === null && nowMs - session.offlineSinceMs >= expiry) {
          sessions.delete(clientId);
          this.#remove(clientId, 'expired');
        }
      }
      if (sessions.size === 0) this.#byIdentity.delete(identityId);
    }
  }

  /**
   * Removes every session of the identities `revoked` names (accounts removed from the
   * registry): their queued commands must not wait for a device re-provisioned later under
   * the same id. Their connections are closed by the caller.
   */
  revoke(revoked: (identityId: string) => boolean): void {
    for (const [identityId, sessions] of this.#byIdentity) {
      if (identityId === '' || !revoked(identityId)) continue;
      this.#byIdentity.delete(identityId);
      for (const clientId of sessions.keys()) this.#remove(clientId, 'revoked');
    }
  }

  /** Sessions (online and offline) held by `identityId`. */
  count(identityId: string): number {
    return this.#byIdentity.get(identityId)?.size ?? 0;
  }

  #remove(clientId: string, reason: SessionRemoval): void {
    this.#deps.onSessionRemoved(reason, clientId);
    this.#deps.removeSession(clientId).catch((err: unknown) => this.#deps.onRemoveFailed(err, clientId));
  }
}

function longestOffline(sessions: ReadonlyMap<string, Session>): string | undefined {
  let victim: string | undefined;
  let since = Number.POSITIVE_INFINITY;
  for (const [clientId, session] of sessions) {
    if (session.holder === null && session.offlineSinceMs < since) {
      since = session.offlineSinceMs;
      victim = clientId;
    }
  }
  return victim;
}
