/**
 * Shared helpers of the API tests: HTTP calls that validate every JSON response against
 * openapi.json, and seeding of the documents ingest writes (through ingest's own bucket
 * layout code, so the API reads exactly what production stores).
 */
import type { Reading } from '@edgeflow/shared';
import type { Firestore } from '@google-cloud/firestore';
import { expect } from 'vitest';
import { newWriteCounter } from '../../src/adapters/firestore/client.ts';
import { FirestoreReadingStore } from '../../src/adapters/firestore/readings.ts';
import { READS_HEADER } from '../../src/api/app.ts';
import { bucketReadings } from '../../src/functions/ingest/bucket.ts';
import type { SeriesState, ShardDoc } from '../../src/functions/ingest/shard.ts';
import { shardDocId } from '../../src/functions/ingest/shard.ts';
import { assertMatchesOpenApi } from './openapi-validator.ts';

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly reads: number;
  readonly headers: Headers;
}

/**
 * Calls the API and checks the response against the OpenAPI document for `route` (the
 * templated path, e.g. `/v1/alerts/{id}`).
 */
export async function call<T = unknown>(
  baseUrl: string,
  route: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const method = init.method ?? 'GET';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    signal: AbortSignal.timeout(20_000),
  });
  const body = (await res.json()) as T;
  assertMatchesOpenApi(route, method, res.status, body);
  return {
    status: res.status,
    body,
    reads: Number(res.headers.get(READS_HEADER) ?? Number.NaN),
    headers: res.headers,
  };
}

export function expectProblem(body: unknown, code: string, path?: string): void {
  const problems = (body as { error: { problems: { code: string; path: string }[] } }).error.problems;
  expect(problems.some((p) => p.code === code && (path === undefined || p.path === path))).toBe(true);
}

export async function seedReadings(
  db: Firestore,
  gatewayId: string,
  firstSeq: number,
  readings: readonly Reading[],
  unit = 'degC',
): Promise<void> {
  const store = new FirestoreReadingStore(db, { deadlineMs: 20_000, counter: newWriteCounter() });
  const buckets = bucketReadings(readings, gatewayId, firstSeq, () => ({
    site: 'plant-a',
    name: 'probe',
    unit,
    registered: true,
  }));
  await store.writeBuckets(buckets);
}

/** A latest-value shard as ingest writes it (rule state left empty). */
export async function seedShard(
  db: Firestore,
  gatewayId: string,
  shard: number,
  series: Record<string, Record<string, Omit<SeriesState, 'rules'>>>,
): Promise<void> {
  const doc: ShardDoc = {
    gatewayId,
    shard,
    series: Object.fromEntries(
      Object.entries(series).map(([d, ms]) => [
        d,
        Object.fromEntries(Object.entries(ms).map(([m, s]) => [m, { ...s, rules: {} }])),
      ]),
    ),
    recent: [],
  };
  await db.collection('latest').doc(shardDocId(gatewayId, shard)).set(doc);
}

export async function seedProfile(
  db: Firestore,
  deviceId: string,
  site: string,
  units: Record<string, string> = {},
) {
  await db
    .collection('devices')
    .doc(deviceId)
    .set({ site, name: `${deviceId} name`, units, notify: [] });
}
