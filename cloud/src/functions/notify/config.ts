/**
 * Notify configuration from the environment, validated once and frozen. Overrides:
 * `EDGEFLOW_NOTIFY_STORM_LIMIT=10`, `EDGEFLOW_NOTIFY_DEFAULT_TARGETS='[{"kind":"log"}]'`,
 * `EDGEFLOW_NOTIFY_WEBHOOK_ALLOWED_HOSTS='["hooks.slack.com"]'`.
 * The SMTP URL (it may hold a password) is read from `EDGEFLOW_SMTP_URL` and never logged.
 */
import {
  buildConfig,
  EdgeflowError,
  ErrorCodes,
  formatProblems,
  NotificationTargetSchema,
  type Problem,
  SHARED_TOPICS,
} from '@edgeflow/shared';
import Type, { type Static } from 'typebox';
import { checkWebhookUrl, HOST_PATTERN_SOURCE } from '../../adapters/channels/webhook-policy.ts';

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
  /** Hosts webhooks may go to (`hooks.slack.com`, `*.example.com`); empty refuses every webhook. */
  webhookAllowedHosts: Type.Array(Type.String({ pattern: HOST_PATTERN_SOURCE, maxLength: 255 }), {
    maxItems: 100,
    default: [],
  }),
  /**
   * Plain http to loopback hosts, which need no allowlist entry: the local stack's webhook
   * sinks. Unset, it is on exactly when the functions talk to the Firestore emulator.
   */
  webhookAllowLoopbackHttp: Type.Optional(Type.Boolean()),
});

export type NotifyConfig = Omit<Static<typeof NotifyConfigSchema>, 'webhookAllowLoopbackHttp'> & {
  readonly webhookAllowLoopbackHttp: boolean;
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
  // A production function never has the emulator host set: it would write nowhere real.
  const webhookAllowLoopbackHttp = base.webhookAllowLoopbackHttp ?? env.FIRESTORE_EMULATOR_HOST !== undefined;
  const policy = { allowedHosts: base.webhookAllowedHosts, allowLoopbackHttp: webhookAllowLoopbackHttp };
  const problems: Problem[] = [];
  base.defaultTargets.forEach((target, i) => {
    if (target.kind !== 'webhook') return;
    const verdict = checkWebhookUrl(target.url, policy);
    if (!verdict.ok)
      problems.push({ path: `/defaultTargets/${i}/url`, message: `${verdict.code}: ${verdict.reason}` });
  });
  if (problems.length > 0) {
    throw new EdgeflowError(ErrorCodes.CONFIG_INVALID, formatProblems('invalid config (env)', problems), {
      problems,
    });
  }
  return Object.freeze({
    ...base,
    webhookAllowLoopbackHttp,
    projectId: env.EDGEFLOW_PROJECT_ID ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT,
    smtpUrl: env.EDGEFLOW_SMTP_URL || undefined,
    alertsTopic: env.EDGEFLOW_ALERTS_TOPIC || SHARED_TOPICS.alerts.name,
  });
}
