/**
 * The read side of the /v1 API against the Firestore emulator, through the real
 * functions-framework: devices, series (dedup, downsampling, raw), gateways, every bad-input
 * case with its code, and the per-request read cap (set low here: EDGEFLOW_API_MAX_READS=40).
 */
import type { Reading } from '@edgeflow/shared';
import { Timestamp } from '@google-cloud/firestore';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeviceDetail, DeviceList, ErrorResponse, GatewayList, Series } from '../../src/api/contract.ts';
import { ProblemCodes } from '../../src/api/errors.ts';
import { useLocalCloud } from '../support/local-cloud.ts';
import { call, expectProblem, seedProfile, seedReadings, seedShard, warmUp } from './support.ts';

const MAX_READS = 40;
// Catalogue and open-alert TTLs 0: describes clear Firestore in between, so no instance cache may outlive a seed.
const local = useLocalCloud({
  functions: ['api'],
  env: {
    EDGEFLOW_API_MAX_READS: String(MAX_READS),
    EDGEFLOW_API_PROFILE_TTL_MS: '0',
    EDGEFLOW_API_OPEN_ALERTS_TTL_MS: '0',
  },
});
const api = () => local.cloud.functionUrls.api;
// The first request loads the function's runtime and opens Firestore: slow on a busy machine.
beforeAll(() => warmUp(api()), 60_000);
const HOUR = 3_600_000;
/** A UTC midnight in the past: 24 h from here span 24 hour buckets. */
const DAY0 = Date.UTC(2026, 10, 1);

function readings(
  deviceId: string,
  metric: string,
  fromMs: number,
  count: number,
  stepMs: number,
  seq0: number,
) {
  return Array.from(
    { length: count },
    (_, i): Reading => ({
      deviceId,
      metric,
      tsMs: fromMs + i * stepMs,
      value: Math.round(Math.sin(i / 300) * 1000) / 100 + 20,
      seq: seq0 + i,
    }),
  );
}

/** The fold the API must match, computed from the raw readings the plain way. */
function fold(raw: readonly Reading[], startMs: number, endMs: number, intervalMs: number, agg: string) {
  const first = Math.floor(startMs / intervalMs) * intervalMs;
  const count = Math.ceil((endMs - first) / intervalMs);
  const groups: Reading[][] = Array.from({ length: count }, () => []);
  const seen = new Set<number>();
  for (const r of raw) {
    if (r.tsMs < startMs || r.tsMs >= endMs || seen.has(r.seq)) continue;
    seen.add(r.seq);
    groups[Math.floor((r.tsMs - first) / intervalMs)]?.push(r);
  }
  return groups.map((g) => {
    if (agg === 'count') return g.length;
    if (g.length === 0) return null;
    const values = g.map((r) => r.value);
    if (agg === 'avg') return values.reduce((a, b) => a + b, 0) / g.length;
    if (agg === 'min') return Math.min(...values);
    if (agg === 'max') return Math.max(...values);
    const last = [...g].sort((a, b) => a.tsMs - b.tsMs || a.seq - b.seq).at(-1) as Reading;
    return last.value;
  });
}

describe('GET /v1/devices', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    const db = local.firestore;
    await local.cloud.clearFirestore();
    const now = Date.now();
    await seedProfile(db, 'dev-a', 'plant-a', { temperature: 'degF' });
    await seedProfile(db, 'dev-b', 'plant-a');
    await seedProfile(db, 'dev-c', 'plant-b');
    await seedShard(db, 'gw-one', 0, {
      'dev-a': { temperature: { v: 70.1, tsMs: now - 1000, seq: 10 } },
      'dev-b': { humidity: { v: 40, tsMs: now - 2000, seq: 11 } },
    });
    await seedShard(db, 'gw-two', 1, {
      'dev-x': { co2: { v: 800, tsMs: now - 1000, seq: 3 } },
      // Moved from gw-one: the newer value wins.
      'dev-a': { temperature: { v: 71, tsMs: now - 500, seq: 4 } },
    });
    await db.collection('alerts').doc('al-1').set({ alertId: 'al-1', deviceId: 'dev-b', state: 'open' });
    await db.collection('alerts').doc('al-2').set({ alertId: 'al-2', deviceId: 'dev-b', state: 'resolved' });
  }, 60_000);

  it('lists every known device with last values, state and open alerts, from the shards', async () => {
    const { status, body, reads } = await call<DeviceList>(api(), '/v1/devices', '/v1/devices');
    expect(status).toBe(200);
    expect(body.items.map((d) => [d.deviceId, d.state, d.openAlerts])).toEqual([
      ['dev-a', 'ok', 0],
      ['dev-b', 'alerting', 1],
      ['dev-c', 'stale', 0],
      ['dev-x', 'unregistered', 0],
    ]);
    const a = body.items[0];
    expect(a).toMatchObject({
      gatewayId: 'gw-two',
      site: 'plant-a',
      metrics: { temperature: { v: 71, unit: 'degF' } },
    });
    expect(body.items[3]?.metrics.co2?.unit).toBe('ppm');
    // 2 shards + 1 open-alert query (+ the profile catalogue when it (re)loads: 3 profiles).
    expect(reads).toBeLessThanOrEqual(6);
  });

  it('pages with a cursor and filters by site and state', async () => {
    const first = await call<DeviceList>(api(), '/v1/devices', '/v1/devices?limit=3');
    expect(first.body.items).toHaveLength(3);
    expect(first.body.total).toBe(4);
    const cursor = first.body.nextCursor as string;
    const second = await call<DeviceList>(api(), '/v1/devices', `/v1/devices?limit=3&cursor=${cursor}`);
    expect(second.body.items.map((d) => d.deviceId)).toEqual(['dev-x']);
    expect(second.body.nextCursor).toBeNull();
    const site = await call<DeviceList>(api(), '/v1/devices', '/v1/devices?site=plant-a&state=alerting');
    expect(site.body.items.map((d) => d.deviceId)).toEqual(['dev-b']);
  });

  it('shows one device as the list does, with the rules that apply per metric', async () => {
    const { status, body } = await call<DeviceDetail>(api(), '/v1/devices/{id}', '/v1/devices/dev-a');
    expect(status).toBe(200);
    expect(body.device).toMatchObject({
      deviceId: 'dev-a',
      gatewayId: 'gw-two',
      site: 'plant-a',
      metrics: { temperature: { v: 71, unit: 'degF' } },
    });
    expect(
      body.rules.temperature?.some((r) => r.kind === 'threshold' && typeof r.threshold === 'number'),
    ).toBe(true);
    expect((await call<ErrorResponse>(api(), '/v1/devices/{id}', '/v1/devices/nobody')).status).toBe(404);
  });

  it('answers one 400 naming every bad parameter', async () => {
    const { status, body } = await call<ErrorResponse>(
      api(),
      '/v1/devices',
      '/v1/devices?state=weird&limit=0&cursor=@@&colour=red',
    );
    expect(status).toBe(400);
    expect(body.error.code).toBe('EDGEFLOW_API_BAD_REQUEST');
    expectProblem(body, ProblemCodes.BAD_ENUM, '/query/state');
    expectProblem(body, ProblemCodes.BAD_LIMIT, '/query/limit');
    expectProblem(body, ProblemCodes.BAD_CURSOR, '/query/cursor');
    expectProblem(body, ProblemCodes.UNKNOWN_PARAM, '/query/colour');
  });
});

describe('GET /v1/devices/{id}/series/{metric}', { timeout: 30_000 }, () => {
  const route = '/v1/devices/{id}/series/{metric}';
  const day = readings('dev-s', 'temperature', DAY0, 86_400, 1000, 1);

  beforeAll(async () => {
    const db = local.firestore;
    await local.cloud.clearFirestore();
    await seedProfile(db, 'dev-s', 'plant-a');
    // As a gateway sends it: one batch per minute.
    const batches: Promise<void>[] = [];
    for (let i = 0; i < day.length; i += 3600)
      batches.push(seedReadings(db, 'gw-one', i + 1, day.slice(i, i + 3600)));
    await Promise.all(batches);
    // The same readings again under another column (a gateway that re-formed a batch).
    await seedReadings(db, 'gw-one', 999_999, day.slice(100, 160));
  }, 120_000);

  it('downsamples 24 h at 1 Hz to 1-minute averages from one read per hour bucket', async () => {
    const path = `/v1/devices/dev-s/series/temperature?start=${DAY0}&end=${new Date(DAY0 + 24 * HOUR).toISOString()}&interval=1m&agg=avg`;
    const { status, body, reads } = await call<Series>(api(), route, path);
    expect(status).toBe(200);
    expect(body).toMatchObject({ unit: 'degC', resolution: 'downsampled', intervalMs: 60_000, agg: 'avg' });
    expect(body.points.t).toHaveLength(1440);
    expect(body.points.n.every((n) => n === 60)).toBe(true);
    expect(body.readings).toBe(86_400);
    expect(body.duplicates).toBe(60);
    // 24 hour buckets (+1 overlapping the start) + the profile catalogue, reloaded per request here (1 profile).
    expect(reads).toBeLessThanOrEqual(25 + 1);
    const expected = fold(day, DAY0, DAY0 + 24 * HOUR, 60_000, 'avg');
    body.points.v.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i] as number, 9);
    });
  });

  it('serves a short range raw, each duplicated reading once', async () => {
    const { body } = await call<Series>(
      api(),
      route,
      `/v1/devices/dev-s/series/temperature?start=${DAY0 + 90_000}&end=${DAY0 + 170_000}`,
    );
    expect(body.resolution).toBe('raw');
    expect(body.points.t).toEqual(day.slice(90, 170).map((r) => r.tsMs));
    expect(body.points.v).toEqual(day.slice(90, 170).map((r) => r.value));
    expect(body.duplicates).toBe(60);
  });

  it('equals the fold of the raw readings for any interval and agg (property, through HTTP)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 20 * HOUR }),
        fc.integer({ min: 60_000, max: 4 * HOUR }),
        fc.integer({ min: 1_000, max: 30 * 60_000 }),
        fc.constantFrom('avg', 'min', 'max', 'count', 'last'),
        async (offset, span, intervalMs, agg) => {
          const start = DAY0 + offset;
          const end = start + span;
          const { body } = await call<Series>(
            api(),
            route,
            `/v1/devices/dev-s/series/temperature?start=${start}&end=${end}&interval=${intervalMs}&agg=${agg}`,
          );
          const expected = fold(day, start, end, intervalMs, agg);
          expect(body.points.v).toHaveLength(expected.length);
          body.points.v.forEach((v, i) => {
            const e = expected[i];
            if (e === null || e === undefined) expect(v).toBeNull();
            else expect(v).toBeCloseTo(e, 9);
          });
        },
      ),
      { numRuns: 6, seed: 12 },
    );
  }, 60_000);

  it('names every bad parameter of a series request in one 400', async () => {
    const cases: [string, string, string][] = [
      ['start=yesterday', ProblemCodes.BAD_TIME, '/query/start'],
      [`start=${DAY0 + HOUR}&end=${DAY0}`, ProblemCodes.END_BEFORE_START, '/query/end'],
      [`start=${DAY0}&end=${DAY0 + HOUR}&interval=1m&agg=median`, ProblemCodes.UNKNOWN_AGG, '/query/agg'],
      [`start=${DAY0}&end=${DAY0 + HOUR}&interval=1fortnight`, ProblemCodes.BAD_INTERVAL, '/query/interval'],
      [`start=${DAY0}&end=${DAY0 + 2 * HOUR}`, ProblemCodes.RANGE_TOO_LONG_FOR_RAW, '/query/interval'],
      [`start=${DAY0}&end=${DAY0 + 24 * HOUR}&interval=1s`, ProblemCodes.TOO_MANY_POINTS, '/query/interval'],
    ];
    for (const [query, code, path] of cases) {
      const { status, body } = await call<ErrorResponse>(
        api(),
        route,
        `/v1/devices/dev-s/series/temperature?${query}`,
      );
      expect(status, query).toBe(400);
      expectProblem(body, code, path);
    }
    const tooMany = await call<ErrorResponse>(
      api(),
      route,
      `/v1/devices/dev-s/series/temperature?start=${DAY0}&end=${DAY0 + 24 * HOUR}&interval=1s`,
    );
    // 86 400 s / 10 000 points: 8.64 s is the smallest interval that fits.
    expect(tooMany.body.error.problems[0]?.minIntervalMs).toBe(8640);
    const all = await call<ErrorResponse>(
      api(),
      route,
      '/v1/devices/dev-s/series/no_such_metric?start=x&end=y&agg=median&interval=0',
    );
    expect(all.body.error.problems.map((p) => p.code).sort()).toEqual(
      [
        ProblemCodes.BAD_TIME,
        ProblemCodes.BAD_TIME,
        ProblemCodes.UNKNOWN_AGG,
        ProblemCodes.BAD_INTERVAL,
        ProblemCodes.UNKNOWN_METRIC,
      ].sort(),
    );
  });

  it('answers 404 for an unknown device', async () => {
    const { status, body } = await call<ErrorResponse>(
      api(),
      route,
      `/v1/devices/nobody/series/temperature?start=${DAY0}&end=${DAY0 + HOUR}`,
    );
    expect(status).toBe(404);
    expect(body.error.code).toBe('EDGEFLOW_API_NOT_FOUND');
  });

  it('refuses a request that would read more documents than the cap, before reading them', async () => {
    const db = local.firestore;
    const long = readings('dev-s', 'temperature', DAY0 + 24 * HOUR, 30, HOUR, 200_000);
    await seedReadings(db, 'gw-one', 200_000, long);
    const { status, body, reads } = await call<ErrorResponse>(
      api(),
      route,
      `/v1/devices/dev-s/series/temperature?start=${DAY0}&end=${DAY0 + 60 * HOUR}&interval=1h`,
    );
    expect(status).toBe(422);
    expect(body.error.code).toBe('EDGEFLOW_API_READ_CAP');
    // The cap, plus the profile catalogue's reload (outside the cap, bounded by EDGEFLOW_API_MAX_PROFILES).
    expect(reads).toBeLessThanOrEqual(MAX_READS + 1);
  });
});

describe('GET /v1/gateways', { timeout: 30_000 }, () => {
  it('shows last batch, uplink lag, health and sequence gaps', async () => {
    await local.cloud.clearFirestore();
    const now = Date.now();
    await local.firestore
      .collection('gateways')
      .doc('gw-one')
      .set({
        gatewayId: 'gw-one',
        lastBatchAt: Timestamp.fromMillis(now - 5000),
        newestReadingAt: Timestamp.fromMillis(now - 65_000),
        lastSeq: 1234,
        seqGapCount: 2,
        recentGaps: [
          { fromSeq: 100, toSeq: 120, detectedAtMs: now - 60_000 },
          { fromSeq: 900, toSeq: 901, detectedAtMs: now - 30_000 },
        ],
        health: {
          outboxRecords: 3,
          outboxBytes: 4096,
          oldestUnsentAgeMs: 1200,
          evictedReadings: 0,
          rejectedByReason: { schema: 2 },
          clientsConnected: 50,
          rulesVersion: 7,
          uptimeS: 3600,
          rssBytes: 80_000_000,
          reportedAtMs: now - 5000,
        },
      });
    await local.firestore
      .collection('gateways')
      .doc('gw-old')
      .set({
        gatewayId: 'gw-old',
        lastBatchAt: Timestamp.fromMillis(now - 5000),
        newestReadingAt: Timestamp.fromMillis(now - 5000),
        lastSeq: 5,
        seqGapCount: 0,
        recentGaps: [],
        health: null,
      });
    const { status, body } = await call<GatewayList>(api(), '/v1/gateways', '/v1/gateways');
    expect(status).toBe(200);
    const one = body.items.find((g) => g.gatewayId === 'gw-one');
    const old = body.items.find((g) => g.gatewayId === 'gw-old');
    expect(one?.uplinkLagMs).toBeGreaterThanOrEqual(65_000);
    expect(one?.recentGaps).toHaveLength(2);
    expect(one?.health?.rejectedByReason).toEqual({ schema: 2 });
    expect(old?.health).toBeNull();
  });
});
