/** The API's config: the fleet rules come through ingest's own config and checks. */
import { DEFAULT_RULES } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { apiConfigFromEnv } from '../../src/api/config.ts';
import { ingestConfigFromEnv } from '../../src/functions/ingest/config.ts';

const RULES = {
  co2: [
    {
      id: 'co2-high',
      kind: 'threshold',
      severity: 'warning',
      direction: 'above',
      threshold: 900,
      clearBand: 50,
      raiseHoldMs: 0,
      clearHoldMs: 0,
    },
  ],
};

describe('apiConfigFromEnv', () => {
  it('takes the fleet rules as ingest reads them, else the shared defaults; open-alert TTL 2 s', () => {
    const env = { EDGEFLOW_INGEST_DEFAULT_RULES: JSON.stringify(RULES) };
    expect(apiConfigFromEnv(env).defaultRules).toEqual(ingestConfigFromEnv(env).defaultRules);
    expect(apiConfigFromEnv(env).defaultRules).toEqual(RULES);
    expect(apiConfigFromEnv({}).defaultRules).toBe(DEFAULT_RULES);
    expect(apiConfigFromEnv({}).openAlertsTtlMs).toBe(2000);
    expect(apiConfigFromEnv({ EDGEFLOW_API_OPEN_ALERTS_TTL_MS: '0' }).openAlertsTtlMs).toBe(0);
  });

  it("refuses to start on rules ingest would refuse, with ingest's codes", () => {
    // Schema-valid, meaning-invalid (a hold of a year): validateRules, as ingest's runtime runs it.
    const year = [{ ...RULES.co2[0], raiseHoldMs: 365 * 86_400_000 }];
    expect(() => apiConfigFromEnv({ EDGEFLOW_INGEST_DEFAULT_RULES: JSON.stringify({ co2: year }) })).toThrow(
      expect.objectContaining({ code: 'EDGEFLOW_RULE_INVALID' }),
    );
    expect(() => apiConfigFromEnv({ EDGEFLOW_INGEST_DEFAULT_RULES: '{"co2": [{"id": 1}]}' })).toThrow(
      expect.objectContaining({ code: 'EDGEFLOW_CONFIG_INVALID' }),
    );
    expect(() => apiConfigFromEnv({ EDGEFLOW_API_OPEN_ALERTS_TTL_MS: '-1' })).toThrow(
      expect.objectContaining({ code: 'EDGEFLOW_CONFIG_INVALID' }),
    );
  });
});
