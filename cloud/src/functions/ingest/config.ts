/**
 * Ingest configuration from the environment, validated once at start-up (one error listing
 * every problem) and frozen. Overrides: `EDGEFLOW_INGEST_BUCKET_WINDOW_MS=600000` etc.
 */
import { buildConfig, RuleSetSchema, SHARED_TOPICS } from '@edgeflow/shared';
import Type, { type Static } from 'typebox';

export const IngestConfigSchema = Type.Object({
  /** Bucket document window; must divide a day so windows align to UTC boundaries. */
  bucketWindowMs: Type.Integer({ minimum: 60_000, maximum: 86_400_000, default: 3_600_000 }),
  retentionMs: Type.Integer({ minimum: 3_600_000, default: 30 * 86_400_000 }),
  latestShards: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
  profileTtlMs: Type.Integer({ minimum: 0, default: 60_000 }),
  /** Bound on each Firestore / Pub/Sub call; past it the batch is redelivered. */
  deadlineMs: Type.Integer({ minimum: 100, default: 20_000 }),
  /**
   * How far past a gateway's highest applied sequence a reading may be; further ones are
   * dropped (EDGEFLOW_SEQ_JUMP) so one bogus sequence cannot freeze a series. Must exceed the
   * readings a gateway can lose unseen (its outbox evicting during an outage): 10^8 readings
   * need far more than the default 1 GiB outbox.
   */
  maxSeqJump: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 100_000_000 }),
  alertsTopic: Type.String({ minLength: 1, default: SHARED_TOPICS.alerts.name }),
  /**
   * Fleet rule defaults (JSON), which device profiles override by rule id; the shared
   * DEFAULT_RULES when absent. Set it to what the gateways run so edge and cloud agree.
   */
  defaultRules: Type.Optional(RuleSetSchema),
});
export type IngestConfig = Static<typeof IngestConfigSchema> & {
  readonly projectId: string | undefined;
  readonly failAfterWrite: boolean;
};

export function ingestConfigFromEnv(env: NodeJS.ProcessEnv): IngestConfig {
  const base = buildConfig({
    schema: IngestConfigSchema,
    file: {},
    env,
    envPrefix: 'EDGEFLOW_INGEST_',
    source: 'env',
  });
  return Object.freeze({
    ...base,
    projectId: env.EDGEFLOW_PROJECT_ID ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT,
    // Honoured only in test mode, so a stray variable in production cannot break ingestion.
    failAfterWrite: env.EDGEFLOW_TEST_MODE === '1' && env.EDGEFLOW_TEST_FAIL_AFTER_WRITE === '1',
  });
}
