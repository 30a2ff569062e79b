import { ErrorCodes } from '@edgeflow/shared';
import { describe, expect, it } from 'vitest';
import { ingestConfigFromEnv } from '../../../src/functions/ingest/config.ts';

describe('ingest config from the environment', () => {
  it('takes the fleet rule defaults as JSON, as the local stack and deployments pass them', () => {
    const rules = {
      temperature: [
        {
          id: 'temperature-high',
          kind: 'threshold',
          severity: 'warning',
          direction: 'above',
          threshold: 32,
          clearBand: 2,
          raiseHoldMs: 0,
          clearHoldMs: 0,
        },
      ],
    };
    const config = ingestConfigFromEnv({ EDGEFLOW_INGEST_DEFAULT_RULES: JSON.stringify(rules) });
    expect(config.defaultRules).toEqual(rules);
    expect(ingestConfigFromEnv({}).defaultRules).toBeUndefined();
  });

  it('bounds sequence jumps at 10^8 by default, overridable', () => {
    expect(ingestConfigFromEnv({}).maxSeqJump).toBe(100_000_000);
    expect(ingestConfigFromEnv({ EDGEFLOW_INGEST_MAX_SEQ_JUMP: '1000' }).maxSeqJump).toBe(1000);
    expect(() => ingestConfigFromEnv({ EDGEFLOW_INGEST_MAX_SEQ_JUMP: '0' })).toThrow(/maxSeqJump/);
  });

  it('refuses malformed settings with one error naming each', () => {
    expect(() =>
      ingestConfigFromEnv({
        EDGEFLOW_INGEST_DEFAULT_RULES: '{"temperature":[{"id":"x","kind":"nope"}]}',
        EDGEFLOW_INGEST_LATEST_SHARDS: '0',
      }),
    ).toThrow(
      expect.objectContaining({
        code: ErrorCodes.CONFIG_INVALID,
        message: expect.stringMatching(/defaultRules.*latestShards|latestShards.*defaultRules/s),
      }),
    );
  });
});
