/**
 * Ingest configuration from the environment, validated once at start-up (one error listing
 * every problem) and frozen. Overrides: `EDGEFLOW_INGEST_BUCKET_WINDOW_MS=600000` etc.
 */
import { buildConfig, RuleSetSchema, TOPOLOGY } from '@edgeflow/shared';
import Type, { type Static } from 'typebox';

export const IngestConfigSchema = Type.Object({
  /** Bucket document window; must divide a day so windows align to UTC boundaries. */
  bucketWindowMs: Type.Integer({ minimum: 60_000, maximum: 86_400_000, default: 3_600_000 }),
  retentionMs: Type.Integer({ minimum: 3_600_000, default: 30 * 86_400_000 }),
  latestShards: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
  profileTtlMs: Type.Integer({ minimum: 0, default: 60_000 }),
  /** Bound on each Firestore / Pub/Sub call; past it the batch is redelivered. */
  deadlineMs: Type.Integer({ minimum: 100, default: 20_000 }),
  alertsTopic: Type.String({ minLength: 1, default: TOPOLOGY.topics.alerts.name }),
  /**
   * Fleet rule defaults (JSON), which device profiles override by rule id; the shared
   * DEFAULT_RULES when absent. Set it to what the gateways run so edge and cloud agree.
   */
  defaultRules: Type.Optional(RuleSetSchema),
});
export type IngestConfig = Static<typeof IngestConfigSchema> & {
  readonly projectId: string | undefined;
  readonly failAfterWrite: boolean;
  readonly telemetryTopic: string;
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
    telemetryTopic: env.EDGEFLOW_TELEMETRY_TOPIC || TOPOLOGY.topics.telemetry.name,
    projectId: env.EDGEFLOW_PROJECT_ID ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT,
    // Honoured only in test mode, so a stray variable in production cannot break ingestion.
    failAfterWrite: env.EDGEFLOW_TEST_MODE === '1' && env.EDGEFLOW_TEST_FAIL_AFTER_WRITE === '1',
  });
}
