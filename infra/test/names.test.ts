import { GATEWAY_ID_PATTERN } from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gatewayAccountId } from '../src/names.ts';

// IAM's service account id grammar.
const ACCOUNT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

describe('gatewayAccountId', () => {
  it('keeps short ids readable', () => {
    expect(gatewayAccountId('site-a')).toBe('gw-site-a');
    expect(gatewayAccountId('abc')).toBe('gw-abc');
  });

  it('maps every valid gateway id to a valid, stable service account id', () => {
    fc.assert(
      fc.property(fc.stringMatching(new RegExp(GATEWAY_ID_PATTERN)), (id) => {
        const account = gatewayAccountId(id);
        expect(account).toMatch(ACCOUNT_ID);
        expect(gatewayAccountId(id)).toBe(account);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('keeps long ids that share a prefix apart', () => {
    const a = `plant-${'x'.repeat(40)}-line-1`;
    const b = `plant-${'x'.repeat(40)}-line-2`;
    expect(gatewayAccountId(a)).not.toBe(gatewayAccountId(b));
  });
});
