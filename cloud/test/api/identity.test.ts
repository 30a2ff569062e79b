import { describe, expect, it } from 'vitest';
import { actorOf } from '../../src/api/identity.ts';

const token = (payload: object) =>
  `Bearer e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;

describe('actorOf', () => {
  it('ignores identity headers unless running behind Google’s front end', () => {
    const headers = { 'x-goog-authenticated-user-email': 'accounts.google.com:eve@example.com' };
    expect(actorOf(headers, false, 'local-operator')).toBe('local-operator');
    expect(actorOf(headers, true, 'local-operator')).toBe('eve@example.com');
  });

  it('takes the ID token’s email behind Cloud Run, else the configured operator', () => {
    expect(actorOf({ authorization: token({ email: 'lea@example.com' }) }, true, 'op')).toBe(
      'lea@example.com',
    );
    expect(actorOf({ authorization: 'Bearer not-a-jwt' }, true, 'op')).toBe('op');
    expect(actorOf({}, true, 'op')).toBe('op');
  });
});
