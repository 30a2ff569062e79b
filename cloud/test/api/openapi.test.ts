import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENAPI_PATH, renderOpenApi } from '../../src/api/openapi.ts';
import { assertMatchesOpenApi } from './openapi-validator.ts';

describe('openapi.json', () => {
  it('is the rendering of the contract (run `node cloud/src/api/openapi.ts` after changing contract.ts)', () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(renderOpenApi());
  });

  it('rejects a response that breaks the contract', () => {
    const error = { error: { code: 'EDGEFLOW_API_NOT_FOUND', message: 'no alert x', problems: [] } };
    expect(() => assertMatchesOpenApi('/v1/alerts/{id}', 'get', 404, error)).not.toThrow();
    expect(() =>
      assertMatchesOpenApi('/v1/alerts/{id}', 'get', 404, { error: { code: 1, message: 'x' } }),
    ).toThrow(/does not match openapi.json/);
  });
});
