import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../src/broker/sessions.ts';

function table(maxSessionsPerIdentity = 2, sessionExpiryMs = 1000) {
  const removed: string[] = [];
  const events: string[] = [];
  const sessions = new SessionTable(
    { maxSessionsPerIdentity, sessionExpiryMs },
    {
      removeSession: async (clientId) => {
        removed.push(clientId);
      },
      onSessionRemoved: (reason, clientId) => events.push(`${reason} ${clientId}`),
      onRemoveFailed: (err) => {
        throw err;
      },
    },
  );
  return { sessions, removed, events };
}

describe('SessionTable (injected times)', () => {
  it('admits up to the cap per identity, and a held client id always', () => {
    const { sessions } = table(2);
    const [c1, c2, c3, c4] = [{}, {}, {}, {}];
    expect(sessions.admit('dev-a', true, 'dev-a/1', c1)).toBe(true);
    expect(sessions.admit('dev-a', true, 'dev-a/2', c2)).toBe(true);
    expect(sessions.admit('dev-a', true, 'dev-a/3', c3)).toBe(false);
    expect(sessions.admit('dev-a', true, 'dev-a/1', c4)).toBe(true);
    expect(sessions.admit('dev-b', true, 'dev-b', {})).toBe(true);
    expect(sessions.count('dev-a')).toBe(2);
  });

  it('the release of a connection that was taken over changes nothing', () => {
    const { sessions } = table(1);
    const [old, current] = [{}, {}];
    sessions.admit('dev-a', true, 'dev-a', old);
    sessions.admit('dev-a', true, 'dev-a', current);
    sessions.released('dev-a', 'dev-a', old, false, 0);
    expect(sessions.count('dev-a')).toBe(1);
    // Still online: a second client id is refused at a cap of one.
    expect(sessions.admit('dev-a', true, 'dev-a/x', {})).toBe(false);
    sessions.released('dev-a', 'dev-a', current, false, 0);
    expect(sessions.count('dev-a')).toBe(0);
  });

  it('expires a persistent session offline for sessionExpiryMs, not one that came back', () => {
    const { sessions, removed, events } = table(4, 1000);
    const [a, b] = [{}, {}];
    sessions.admit('dev-a', true, 'dev-a', a);
    sessions.admit('dev-b', true, 'dev-b', b);
    sessions.released('dev-a', 'dev-a', a, true, 10_000);
    sessions.released('dev-b', 'dev-b', b, true, 10_000);
    sessions.admit('dev-b', true, 'dev-b', {});
    sessions.sweep(10_999);
    expect(removed).toEqual([]);
    sessions.sweep(11_000);
    expect(removed).toEqual(['dev-a']);
    expect(events).toEqual(['expired dev-a']);
    expect(sessions.count('dev-a')).toBe(0);
    expect(sessions.count('dev-b')).toBe(1);
  });

  it('at the cap evicts the longest-offline persistent session of that identity', () => {
    const { sessions, removed, events } = table(3);
    const [x, y, z] = [{}, {}, {}];
    sessions.admit('dev-a', true, 'dev-a/x', x);
    sessions.admit('dev-a', true, 'dev-a/y', y);
    sessions.admit('dev-a', true, 'dev-a/z', z);
    sessions.released('dev-a', 'dev-a/y', y, true, 5);
    sessions.released('dev-a', 'dev-a/x', x, true, 7);
    expect(sessions.admit('dev-a', true, 'dev-a/new', {})).toBe(true);
    expect(removed).toEqual(['dev-a/y']);
    expect(events).toEqual(['evicted dev-a/y']);
  });

  it('does not cap uncapped identities (anonymous, dev flag)', () => {
    const { sessions } = table(1);
    for (let i = 0; i < 5; i++) expect(sessions.admit('', false, `anon-${i}`, {})).toBe(true);
  });

  it('revoke removes every session of the named identities, never the anonymous one', () => {
    const { sessions, removed, events } = table(4);
    const a = {};
    sessions.admit('dev-a', true, 'dev-a/1', a);
    sessions.admit('dev-a', true, 'dev-a/2', {});
    sessions.admit('dev-b', true, 'dev-b', {});
    sessions.admit('', false, 'anon', {});
    sessions.revoke((id) => id !== 'dev-b');
    expect(removed.sort()).toEqual(['dev-a/1', 'dev-a/2']);
    expect(events).toContain('revoked dev-a/1');
    expect(sessions.count('dev-a')).toBe(0);
    expect(sessions.count('')).toBe(1);
    // The revoked connection's later release is a no-op.
    sessions.released('dev-a', 'dev-a/1', a, true, 0);
    expect(sessions.count('dev-a')).toBe(0);
  });
});
