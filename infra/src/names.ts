/**
 * Physical names of what the program creates, in one place: the tests, the README and the
 * monitoring filters all refer to the same strings.
 */
import { createHash } from 'node:crypto';
import type { FunctionName } from '@edgeflow/shared';

export const FUNCTION_NAMES: readonly FunctionName[] = ['ingest', 'notify', 'triage'];

/**
 * Cloud Run functions name; the 2nd gen function's Cloud Run service carries the same name,
 * which the error-rate alert filters on.
 */
export function functionName(fn: FunctionName): string {
  return `edgeflow-${fn}`;
}

/** Service account ids: 6-30 chars, `^[a-z]([-a-z0-9]*[a-z0-9])$`. */
export const ACCOUNT_IDS = {
  /** One push invoker per function: a subscription's token can invoke its own function only. */
  invoker: (fn: FunctionName): string => `edgeflow-push-${fn}`,
  build: 'edgeflow-fn-build',
  runtime: (fn: FunctionName): string => `edgeflow-fn-${fn}`,
} as const;

/** The private bucket holding the functions' source archives. */
export function sourceBucketName(project: string): string {
  return `${project}-edgeflow-fn-source`;
}

/**
 * A gateway's service account id. Gateway ids allow 63 chars, account ids only 30, so long
 * ids are cut and suffixed with a hash of the full id: stable across runs, unique in practice
 * (config validation rejects the rare collision).
 */
export function gatewayAccountId(gatewayId: string): string {
  const prefix = 'gw-';
  if (prefix.length + gatewayId.length <= 30 && !gatewayId.endsWith('-')) return `${prefix}${gatewayId}`;
  const hash = createHash('sha256').update(gatewayId).digest('hex').slice(0, 6);
  const head = gatewayId.slice(0, 30 - prefix.length - hash.length - 1).replace(/-+$/, '');
  return `${prefix}${head}-${hash}`;
}

/**
 * Firestore collections the indexes, exemptions and TTL policy apply to; the same names as
 * `Collections` in cloud/src/adapters/firestore/client.ts.
 */
export const COLLECTIONS = {
  /** Time-bucket documents of readings; carry the `expireAt` TTL field. */
  readings: 'readings',
  /** Latest-value shards per gateway. */
  latest: 'latest',
  alerts: 'alerts',
  deadLetters: 'deadLetters',
} as const;

/** The readings' expiry field the TTL policy deletes on. */
export const EXPIRY_FIELD = 'expireAt';
