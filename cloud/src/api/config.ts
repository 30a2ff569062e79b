/**
 * API configuration from the environment, validated once at start-up and frozen. Overrides:
 * `EDGEFLOW_API_MAX_READS=1000`, `EDGEFLOW_API_MAX_STREAMS=50`. The console's directory is
 * `EDGEFLOW_CONSOLE_DIR` (default `<repo>/console/dist`).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildConfig,
  DEFAULT_RULES,
  type RuleSet,
  type Topology,
  topologyFor,
  validateRules,
} from '@edgeflow/shared';
import Type, { type Static } from 'typebox';
import { ingestConfigFromEnv } from '../functions/ingest/config.ts';

export const DEFAULT_CONSOLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../console/dist');

export const ApiConfigSchema = Type.Object({
  /**
   * Firestore documents one request may read (billed reads: query results and gets). A
   * request that would need more is refused with EDGEFLOW_API_READ_CAP (422) instead of
   * reading them: 500 covers 20 days of hourly buckets, or 125 gateways' latest shards.
   */
  maxReads: Type.Integer({ minimum: 10, maximum: 10_000, default: 500 }),
  /** Points one series response may hold; a larger range x interval is a 400 naming the smallest interval that fits. */
  maxPoints: Type.Integer({ minimum: 100, maximum: 100_000, default: 10_000 }),
  /** Longest range served raw (no `interval`). */
  rawMaxRangeMs: Type.Integer({ minimum: 60_000, default: 3_600_000 }),
  /** A device with nothing newer than this is `stale`. */
  staleAfterMs: Type.Integer({ minimum: 1_000, default: 300_000 }),
  /** Device profiles are read as one catalogue per instance, refreshed after this. */
  profileTtlMs: Type.Integer({ minimum: 0, default: 60_000 }),
  /**
   * Open alert counts per device are kept this long per instance for GET /v1/devices
   * (open-alerts.ts): its own ack/resolve and its streams' alert events drop them at once, a
   * change through another instance shows within this. 0 queries on every request.
   */
  openAlertsTtlMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 2_000 }),
  /** Bound on the profile catalogue (documents read to build it). */
  maxProfiles: Type.Integer({ minimum: 1, default: 20_000 }),
  /** Concurrent SSE streams per instance; one more gets 503 (counted). */
  maxStreams: Type.Integer({ minimum: 1, maximum: 1_000, default: 20 }),
  heartbeatMs: Type.Integer({ minimum: 100, default: 15_000 }),
  /** Events one slow stream may have queued before it is closed (counted). */
  streamQueueMax: Type.Integer({ minimum: 10, default: 1_000 }),
  deadlineMs: Type.Integer({ minimum: 100, default: 20_000 }),
  /** The widest bucket window ingest writes (its EDGEFLOW_INGEST_BUCKET_WINDOW_MS). */
  bucketWindowMs: Type.Integer({ minimum: 60_000, maximum: 86_400_000, default: 3_600_000 }),
  /**
   * Take the operator's identity from Google's front end (IAP header, verified ID token);
   * infra sets it for the deployed function. Off by default: elsewhere anyone can set headers.
   */
  trustGoogleIdentity: Type.Boolean({ default: false }),
  /** Identity recorded for ack/resolve when no Google front end names the caller. */
  localOperator: Type.String({ minLength: 1, default: 'local-operator' }),
});

export type ApiConfig = Static<typeof ApiConfigSchema> & {
  readonly projectId: string | undefined;
  readonly consoleDir: string;
  /** The shared topics; a replay goes to the topic its dead letter recorded. */
  readonly topology: Topology;
  /**
   * Fleet rule defaults exactly as ingest runs them: EDGEFLOW_INGEST_DEFAULT_RULES read by
   * ingest's own config and checked by validateRules as its runtime does, else DEFAULT_RULES.
   */
  readonly defaultRules: RuleSet;
};

export function apiConfigFromEnv(env: NodeJS.ProcessEnv): ApiConfig {
  const base = buildConfig({
    schema: ApiConfigSchema,
    file: {},
    env,
    envPrefix: 'EDGEFLOW_API_',
    source: 'env',
  });
  const ingestRules = ingestConfigFromEnv(env).defaultRules;
  return Object.freeze({
    ...base,
    projectId: env.EDGEFLOW_PROJECT_ID ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT,
    consoleDir: env.EDGEFLOW_CONSOLE_DIR ? resolve(env.EDGEFLOW_CONSOLE_DIR) : DEFAULT_CONSOLE_DIR,
    topology: topologyFor([]),
    defaultRules: ingestRules ? validateRules(ingestRules) : DEFAULT_RULES,
  });
}
