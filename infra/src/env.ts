/**
 * The environment contract between this program and the functions: exactly the variables
 * cloud/src reads (functions/*\/config.ts, via shared buildConfig with the `EDGEFLOW_INGEST_`
 * and `EDGEFLOW_NOTIFY_` prefixes). Secrets arrive as Secret Manager references (notifySecrets).
 */
import type { FunctionName, NotificationTarget, Topology } from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';

const DAY_MS = 86_400_000;

export interface FunctionEnvInputs {
  readonly project: string;
  readonly topology: Topology;
  readonly retentionDays: number;
  readonly mailFrom: string | undefined;
  readonly webhookAllowedHosts: readonly string[];
}

export function functionEnvironment(fn: FunctionName, inputs: FunctionEnvInputs): Record<string, string> {
  const env: Record<string, string> = {
    // Gen 2 runtimes no longer set it; the functions and the Google clients read it.
    GOOGLE_CLOUD_PROJECT: inputs.project,
    // Stack traces point into cloud/src rather than the bundle.
    NODE_OPTIONS: '--enable-source-maps',
  };
  if (fn === 'ingest') {
    env.EDGEFLOW_INGEST_ALERTS_TOPIC = inputs.topology.topics.alerts.name;
    // Bucket documents carry expireAt = window end + retention; the TTL policy deletes them.
    env.EDGEFLOW_INGEST_RETENTION_MS = String(inputs.retentionDays * DAY_MS);
  }
  if (fn === 'notify') {
    if (inputs.mailFrom !== undefined) env.EDGEFLOW_NOTIFY_MAIL_FROM = inputs.mailFrom;
    env.EDGEFLOW_NOTIFY_WEBHOOK_ALLOWED_HOSTS = JSON.stringify(inputs.webhookAllowedHosts);
    // Explicit, so no stray emulator variable can turn on the local stack's http exception.
    env.EDGEFLOW_NOTIFY_WEBHOOK_ALLOW_LOOPBACK_HTTP = 'false';
  }
  return env;
}

export interface SecretEnv {
  /** Secret Manager secret id. */
  readonly secretId: string;
  /** The variable the function reads it from. */
  readonly envVar: string;
  readonly value: pulumi.Output<string>;
}

export interface NotifySecretInputs {
  readonly webhookUrl: pulumi.Output<string> | undefined;
  readonly webhookFormat: 'json' | 'slack';
  readonly smtpUrl: pulumi.Output<string> | undefined;
}

/**
 * The notify function's secrets. The fleet-wide webhook becomes notify's default targets
 * (used for devices whose profile names none), so the whole JSON is the secret.
 */
export function notifySecrets(inputs: NotifySecretInputs): SecretEnv[] {
  const out: SecretEnv[] = [];
  if (inputs.webhookUrl) {
    const format = inputs.webhookFormat;
    out.push({
      secretId: 'edgeflow-notify-default-targets',
      envVar: 'EDGEFLOW_NOTIFY_DEFAULT_TARGETS',
      value: pulumi.secret(
        inputs.webhookUrl.apply((url) =>
          JSON.stringify([{ kind: 'webhook', url, format }, { kind: 'log' }] satisfies NotificationTarget[]),
        ),
      ),
    });
  }
  if (inputs.smtpUrl) {
    out.push({
      secretId: 'edgeflow-smtp-url',
      envVar: 'EDGEFLOW_SMTP_URL',
      value: pulumi.secret(inputs.smtpUrl),
    });
  }
  return out;
}
