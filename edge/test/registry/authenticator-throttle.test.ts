import { ManualClock } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { type Account, Authenticator } from '../../src/registry/authenticator.ts';
import { LoginThrottle, type LoginThrottleConfig } from '../../src/registry/login-throttle.ts';
import { hashSecret, type SecretHash, verifySecret } from '../../src/registry/secret.ts';
import { TEST_SCRYPT } from '../helpers/gateway.ts';

const CONFIG: Omit<LoginThrottleConfig, 'enabled'> = {
  perAddress: { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000, banAfterFailures: 6, banMs: 60_000 },
  perUser: { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000, banAfterFailures: 4, banMs: 60_000 },
  forgetAfterMs: 600_000,
  maxTrackedKeys: 100,
};

async function setup() {
  const clock = new ManualClock(1_000_000);
  let scrypts = 0;
  const auth = new Authenticator({
    allowAnonymous: false,
    maxConcurrentVerifications: 2,
    maxQueuedVerifications: 1000,
    throttle: new LoginThrottle(CONFIG, clock),
    verify: (secret: Buffer, stored: SecretHash) => {
      scrypts++;
      return verifySecret(secret, stored);
    },
  });
  const accounts = new Map<string, Account>();
  for (const id of ['dev-a', 'dev-b']) {
    accounts.set(id, { role: 'device', credential: await hashSecret(`${id}-secret`, TEST_SCRYPT) });
  }
  auth.setAccounts(accounts);
  return { auth, clock, accounts, scrypts: () => scrypts };
}

let guesses = 0;
/** A new wrong password each time (a repeated one is refused from memory, see below). */
const bad = (): Buffer => Buffer.from(`guess-${guesses++}`);

describe('Authenticator with the login throttle', () => {
  it('a throttled or banned attempt costs no scrypt', async () => {
    const { auth, clock, scrypts } = await setup();
    for (let i = 0; i < 3; i++)
      expect(await auth.authenticate('dev-a', bad(), '10.6.6.6')).toBe('bad_password');
    expect(scrypts()).toBe(3);
    expect(await auth.authenticate('dev-a', bad(), '10.6.6.6')).toBe('throttled');
    expect(await auth.authenticate('dev-a', Buffer.from('dev-a-secret'), '10.6.6.6')).toBe('throttled');
    expect(scrypts()).toBe(3);
    for (const waitMs of [1000, 2000, 4000]) {
      clock.advance(waitMs);
      expect(await auth.authenticate('dev-b', bad(), '10.6.6.6')).toBe('bad_password');
    }
    expect(await auth.authenticate('dev-b', bad(), '10.6.6.6')).toBe('banned');
    expect(scrypts()).toBe(6);
  });

  it('a burst from one address starts no more scrypts than its free failures', async () => {
    const { auth, scrypts } = await setup();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => auth.authenticate('dev-a', bad(), '10.6.6.6')),
    );
    expect(scrypts()).toBe(3);
    expect(results.filter((r) => r === 'bad_password')).toHaveLength(3);
    expect(results.filter((r) => r === 'throttled')).toHaveLength(47);
  });

  it('a burst of good logins from one address (a NAT) is served in full, none refused', async () => {
    const { auth, accounts } = await setup();
    const many = new Map(accounts);
    for (let i = 0; i < 20; i++) {
      many.set(`n-${i}`, { role: 'device', credential: await hashSecret(`n-${i}`, TEST_SCRYPT) });
    }
    auth.setAccounts(many);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => auth.authenticate(`n-${i}`, Buffer.from(`n-${i}`), '10.0.0.1')),
    );
    expect(results.every((r) => typeof r === 'object')).toBe(true);
  });

  it('the real device gets in from another address while one address floods its name', async () => {
    const { auth, scrypts } = await setup();
    await Promise.all(Array.from({ length: 100 }, () => auth.authenticate('dev-a', bad(), '10.6.6.6')));
    expect(await auth.authenticate('dev-a', bad(), '10.6.6.6')).toBe('throttled');
    expect(await auth.authenticate('dev-a', Buffer.from('dev-a-secret'), '10.0.0.7')).toEqual({
      role: 'device',
      id: 'dev-a',
    });
    expect(scrypts()).toBe(4);
  });

  it('a remembered verification passes even while its name is held, without scrypt', async () => {
    const { auth, clock, scrypts } = await setup();
    const good = Buffer.from('dev-a-secret');
    expect(await auth.authenticate('dev-a', good, '10.0.0.7')).toMatchObject({ id: 'dev-a' });
    for (const [address, waitMs] of [
      ['10.0.0.1', 0],
      ['10.0.0.2', 0],
      ['10.0.0.3', 1000],
      ['10.0.0.4', 2000],
    ] as const) {
      clock.advance(waitMs);
      expect(await auth.authenticate('dev-a', bad(), address)).toBe('bad_password');
    }
    expect(await auth.authenticate('dev-a', bad(), '10.0.0.5')).toBe('banned');
    const before = scrypts();
    expect(await auth.authenticate('dev-a', good, '10.0.0.7')).toMatchObject({ id: 'dev-a' });
    expect(await auth.authenticate('dev-a', good, '10.0.0.1')).toMatchObject({ id: 'dev-a' });
    expect(scrypts()).toBe(before);
  });

  it('unknown names and empty passwords count against the address, with no scrypt', async () => {
    const { auth, scrypts } = await setup();
    expect(await auth.authenticate('ghost', bad(), '10.6.6.6')).toBe('unknown_user');
    expect(await auth.authenticate('ghost2', bad(), '10.6.6.6')).toBe('unknown_user');
    expect(await auth.authenticate('dev-a', Buffer.alloc(0), '10.6.6.6')).toBe('bad_password');
    expect(await auth.authenticate('dev-b', Buffer.from('dev-b-secret'), '10.6.6.6')).toBe('throttled');
    expect(scrypts()).toBe(0);
  });
});

describe('Authenticator: a repeated wrong secret', () => {
  it('costs one scrypt and one strike, however often it is retried; a rotation forgets it', async () => {
    const { auth, accounts, scrypts } = await setup();
    const stale = Buffer.from('the-old-secret');
    for (let i = 0; i < 30; i++)
      expect(await auth.authenticate('dev-a', stale, '10.0.0.1')).toBe('bad_password');
    expect(scrypts()).toBe(1);
    // The shared address is not throttled by one misconfigured device.
    expect(await auth.authenticate('dev-b', Buffer.from('dev-b-secret'), '10.0.0.1')).toMatchObject({
      id: 'dev-b',
    });
    const rotated = new Map(accounts);
    rotated.set('dev-a', { role: 'device', credential: await hashSecret('the-old-secret', TEST_SCRYPT) });
    auth.setAccounts(rotated);
    expect(await auth.authenticate('dev-a', stale, '10.0.0.1')).toMatchObject({ id: 'dev-a' });
  });
});

describe('Authenticator.stillValid after a reload', () => {
  it('ends identities verified against a replaced entry (rotation), keeps unchanged ones', async () => {
    const { auth, accounts } = await setup();
    const a = await auth.authenticate('dev-a', Buffer.from('dev-a-secret'), '10.0.0.7');
    const b = await auth.authenticate('dev-b', Buffer.from('dev-b-secret'), '10.0.0.8');
    if (typeof a === 'string' || typeof b === 'string') throw new Error('login failed');
    const rotated = new Map(accounts);
    rotated.set('dev-a', { role: 'device', credential: await hashSecret('new-secret', TEST_SCRYPT) });
    auth.setAccounts(rotated);
    expect(auth.stillValid(a)).toBe(false);
    expect(auth.stillValid(b)).toBe(true);
    const again = await auth.authenticate('dev-a', Buffer.from('new-secret'), '10.0.0.7');
    expect(typeof again === 'object' && auth.stillValid(again)).toBe(true);
  });
});
