/**
 * Notify configuration from the environment, validated once and frozen. Overrides:
 * `EDGEFLOW_NOTIFY_STORM_LIMIT=10`, `EDGEFLOW_NOTIFY_DEFAULT_TARGETS='[{"kind":"log"}]'`.
 * The SMTP URL (it may hold a password) is read from `EDGEFLOW_SMTP_URL` and never logged.
 */
import { buildConfig, NotificationTargetSchema, SHARED_TOPICS } from '@edgeflow/shared';
import Type, { type Static } from 'typebox';

export const NotifyConfigSchema = Type.Object({
  stormLimit: Type.Integer({ minimum: 1, default: 5 }),
  stormWindowMs: Type.Integer({ minimum: 1_000, default: 600_000 }),
  /** A pending delivery claim younger than this is left to the instance that holds it. */
  leaseMs: Type.Integer({ minimum: 1_000, default: 30_000 }),
  /** Must stay below the subscription's ack deadline (60 s). */
  maxBusyWaitMs: Type.Integer({ minimum: 0, default: 30_000 }),
  retryMaxAttempts: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
  retryBaseDelayMs: Type.Integer({ minimum: 0, default: 200 }),
  retryMaxDelayMs: Type.Integer({ minimum: 0, default: 2_000 }),
  webhookTimeoutMs: Type.Integer({ minimum: 100, default: 5_000 }),
  deadlineMs: Type.Integer({ minimum: 100, default: 20_000 }),
  profileTtlMs: Type.Integer({ minimum: 0, default: 60_000 }),
  mailFrom: Type.String({ default: 'edgeflow@localhost' }),
  defaultTargets: Type.Array(NotificationTargetSchema, { default: [{ kind: 'log' }] }),
});

export type NotifyConfig = Static<typeof NotifyConfigSchema> & {
  readonly projectId: string | undefined;
  readonly smtpUrl: string | undefined;
  readonly alertsTopic: string;
};

export function notifyConfigFromEnv(env: NodeJS.ProcessEnv): NotifyConfig {
  const base = buildConfig({
    schema: NotifyConfigSchema,
    file: {},
    env,
    envPrefix: 'EDGEFLOW_NOTIFY_',
    source: 'env',
  });
  return Object.freeze({
    ...base,
    projectId: env.EDGEFLOW_PROJECT_ID ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT,
    smtpUrl: env.EDGEFLOW_SMTP_URL || undefined,
    alertsTopic: env.EDGEFLOW_ALERTS_TOPIC || SHARED_TOPICS.alerts.name,
  });
}
