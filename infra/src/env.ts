/**
 * The environment contract between this program and the functions (cloud/src/index.ts reads
 * these). Plain values only; secrets arrive through Secret Manager references (SECRET_ENV).
 */
import type { FunctionName, Topology } from '@edgeflow/shared';

export interface FunctionEnvInputs {
  readonly project: string;
  readonly topology: Topology;
  readonly firestoreDatabase: string;
  readonly retentionDays: number;
  readonly smtpFrom: string | undefined;
}

export function functionEnvironment(fn: FunctionName, inputs: FunctionEnvInputs): Record<string, string> {
  const { topics } = inputs.topology;
  const env: Record<string, string> = {
    // Gen 2 runtimes no longer set it; the Google clients and our config both read it.
    GOOGLE_CLOUD_PROJECT: inputs.project,
    EDGEFLOW_TELEMETRY_TOPIC: topics.telemetry.name,
    EDGEFLOW_ALERTS_TOPIC: topics.alerts.name,
    EDGEFLOW_DEAD_LETTER_TOPIC: topics.deadLetters.name,
    EDGEFLOW_TRIAGE_FAILURES_TOPIC: topics.triageFailures.name,
    EDGEFLOW_FIRESTORE_DATABASE: inputs.firestoreDatabase,
    EDGEFLOW_RETENTION_DAYS: String(inputs.retentionDays),
    // Stack traces point into cloud/src rather than the bundle.
    NODE_OPTIONS: '--enable-source-maps',
  };
  if (fn === 'notify' && inputs.smtpFrom !== undefined) env.EDGEFLOW_SMTP_FROM = inputs.smtpFrom;
  return env;
}

/** Secret settings: config field, Secret Manager id, and the variable notify reads. */
export const SECRET_ENV = [
  { field: 'webhookUrl', secretId: 'edgeflow-webhook-url', envVar: 'EDGEFLOW_WEBHOOK_URL' },
  { field: 'smtpUrl', secretId: 'edgeflow-smtp-url', envVar: 'EDGEFLOW_SMTP_URL' },
] as const;
