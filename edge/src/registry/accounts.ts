/**
 * The account table the authenticator checks against: registry devices (and operators
 * added with `devices add --role operator`) plus operators from the gateway config. The
 * registry file is polled so `devices add/remove` take effect on a running gateway; an entry
 * that did not change keeps its object identity, so its cached verification survives.
 */
import { type StatWatcher, unwatchFile, watchFile } from 'node:fs';
import type { Account } from './authenticator.ts';
import type { SecretHash } from './secret.ts';
import { readRegistry } from './store.ts';

function sameAccount(a: Account, b: Account): boolean {
  return (
    a.role === b.role &&
    a.credential.scryptHash === b.credential.scryptHash &&
    a.credential.salt === b.credential.salt &&
    a.credential.params.N === b.credential.params.N &&
    a.credential.params.r === b.credential.params.r &&
    a.credential.params.p === b.credential.params.p &&
    a.credential.params.keyLen === b.credential.params.keyLen
  );
}

/**
 * Reads the registry (a missing file is an empty registry: a fresh gateway before the
 * first `devices add`) and merges config operators over it.
 */
export async function loadAccounts(
  registryFile: string,
  operators: Readonly<Record<string, SecretHash>>,
  previous?: ReadonlyMap<string, Account>,
): Promise<Map<string, Account>> {
  const registry = await readRegistry(registryFile, { allowMissing: true });
  const accounts = new Map<string, Account>();
  const put = (id: string, account: Account): void => {
    const old = previous?.get(id);
    accounts.set(id, old && sameAccount(old, account) ? old : account);
  };
  for (const [id, entry] of Object.entries(registry.devices)) {
    put(id, {
      role: entry.role,
      credential: { scryptHash: entry.scryptHash, salt: entry.salt, params: entry.params },
    });
  }
  for (const [id, credential] of Object.entries(operators)) put(id, { role: 'operator', credential });
  return accounts;
}

/** Calls `onChange` when the file's mtime or size changes; returns the stop function. */
export function watchRegistryFile(path: string, pollMs: number, onChange: () => void): () => void {
  const listener = (
    curr: { mtimeMs: number; size: number },
    prev: { mtimeMs: number; size: number },
  ): void => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size) onChange();
  };
  const watcher: StatWatcher = watchFile(path, { interval: pollMs, persistent: false }, listener);
  watcher.unref?.();
  return () => unwatchFile(path, listener);
}
