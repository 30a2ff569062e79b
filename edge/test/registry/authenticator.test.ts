import { describe, expect, it } from 'vitest';
import { type Account, Authenticator } from '../../src/registry/authenticator.ts';
import { hashSecret } from '../../src/registry/secret.ts';
import { TEST_SCRYPT } from '../helpers/gateway.ts';

async function account(secret: string, role: Account['role'] = 'device'): Promise<Account> {
  return { role, credential: await hashSecret(secret, TEST_SCRYPT) };
}

describe('Authenticator', () => {
  it('verifies against the scrypt hash, then serves repeats from the cache', async () => {
    const auth = new Authenticator({ allowAnonymous: false, maxConcurrentVerifications: 1 });
    auth.setAccounts(new Map([['dev-1', await account('s3cret')]]));
    expect(await auth.authenticate('dev-1', Buffer.from('s3cret'))).toEqual({ role: 'device', id: 'dev-1' });
    // With the only scrypt slot taken, a cached secret still passes and an uncached one is refused.
    const busy = auth.authenticate('dev-1', Buffer.from('other'));
    expect(await auth.authenticate('dev-1', Buffer.from('s3cret'))).toEqual({ role: 'device', id: 'dev-1' });
    expect(await auth.authenticate('dev-1', Buffer.from('third'))).toBe('overloaded');
    expect(await busy).toBe('bad_password');
  });

  it('forgets a cached verification when the account changes', async () => {
    const auth = new Authenticator({ allowAnonymous: false, maxConcurrentVerifications: 4 });
    auth.setAccounts(new Map([['dev-1', await account('old')]]));
    expect(await auth.authenticate('dev-1', Buffer.from('old'))).toMatchObject({ id: 'dev-1' });
    auth.setAccounts(new Map([['dev-1', await account('new')]]));
    expect(await auth.authenticate('dev-1', Buffer.from('old'))).toBe('bad_password');
    expect(await auth.authenticate('dev-1', Buffer.from('new'))).toMatchObject({ id: 'dev-1' });
    auth.setAccounts(new Map());
    expect(await auth.authenticate('dev-1', Buffer.from('new'))).toBe('unknown_user');
  });

  it('anonymous only with the flag, and never with a password alone', async () => {
    const strict = new Authenticator({ allowAnonymous: false, maxConcurrentVerifications: 4 });
    expect(await strict.authenticate(undefined, undefined)).toBe('anonymous');
    const dev = new Authenticator({ allowAnonymous: true, maxConcurrentVerifications: 4 });
    expect(await dev.authenticate(undefined, undefined)).toEqual({ role: 'anonymous', id: '' });
    expect(await dev.authenticate(undefined, Buffer.from('x'))).toBe('anonymous');
    expect(dev.stillValid({ role: 'anonymous', id: '' })).toBe(true);
    expect(strict.stillValid({ role: 'anonymous', id: '' })).toBe(false);
  });
});

describe('Authenticator queueing', () => {
  it('queues CONNECTs beyond the concurrent scrypt runs up to a bound, in order', async () => {
    const auth = new Authenticator({
      allowAnonymous: false,
      maxConcurrentVerifications: 1,
      maxQueuedVerifications: 2,
    });
    const accounts = new Map<string, Account>();
    for (const id of ['d1', 'd2', 'd3', 'd4']) accounts.set(id, await account(`${id}-secret`));
    auth.setAccounts(accounts);
    const results = await Promise.all(
      ['d1', 'd2', 'd3', 'd4'].map((id) => auth.authenticate(id, Buffer.from(`${id}-secret`))),
    );
    // One running, two queued, the fourth refused.
    expect(results).toEqual([
      { role: 'device', id: 'd1' },
      { role: 'device', id: 'd2' },
      { role: 'device', id: 'd3' },
      'overloaded',
    ]);
    // Slots were handed back: a later CONNECT runs at once.
    expect(await auth.authenticate('d4', Buffer.from('d4-secret'))).toEqual({ role: 'device', id: 'd4' });
  });
});
