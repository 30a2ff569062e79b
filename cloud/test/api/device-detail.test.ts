/**
 * GET /v1/devices/{id} against the Firestore emulator, through the real functions-framework:
 * the device reads as the list shows it, the rules are those ingest's own stepper applies
 * (fleet defaults from EDGEFLOW_INGEST_DEFAULT_RULES, set here, merged with the profile's),
 * only the device's gateway's shards are read, and every bad or unknown id gets its code.
 */
import { type DeviceProfile, type RuleSet, validateRules } from '@edgeflow/shared';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeviceDetail, DeviceList, ErrorResponse } from '../../src/api/contract.ts';
import { ProblemCodes } from '../../src/api/errors.ts';
import { sharedRuleStepper } from '../../src/functions/ingest/rules.ts';
import { useLocalCloud } from '../support/local-cloud.ts';
import { call, expectProblem, seedShard, warmUp } from './support.ts';

/** Fleet defaults unlike the shared DEFAULT_RULES, so the test tells which ones were used. */
const FLEET_RULES: RuleSet = validateRules({
  temperature: [
    {
      id: 'temperature-high',
      kind: 'threshold',
      severity: 'warning',
      direction: 'above',
      threshold: 27,
      clearBand: 2,
      raiseHoldMs: 5000,
      clearHoldMs: 5000,
    },
    { id: 'temperature-stale', kind: 'stale', severity: 'warning', afterMs: 90_000 },
  ],
  humidity: [
    {
      id: 'humidity-high',
      kind: 'threshold',
      severity: 'critical',
      direction: 'above',
      threshold: 90,
      clearBand: 4,
      raiseHoldMs: 0,
      clearHoldMs: 0,
    },
  ],
});
const MAX_READS = 20;
const local = useLocalCloud({
  functions: ['api'],
  env: {
    EDGEFLOW_API_MAX_READS: String(MAX_READS),
    // No instance cache may outlive a seed.
    EDGEFLOW_API_PROFILE_TTL_MS: '0',
    EDGEFLOW_INGEST_DEFAULT_RULES: JSON.stringify(FLEET_RULES),
  },
});
const api = () => local.cloud.functionUrls.api;
beforeAll(() => warmUp(api()), 60_000);

const PROBE: DeviceProfile = {
  deviceId: 'probe-1',
  gatewayId: 'gw-a',
  site: 'plant-a',
  name: 'Probe one',
  units: { temperature: 'degF' },
  rules: {
    temperature: [
      // Replaces the fleet's temperature-high in place; temperature-low is appended.
      {
        id: 'temperature-high',
        kind: 'threshold',
        severity: 'critical',
        direction: 'above',
        threshold: 95,
        clearBand: 3,
        raiseHoldMs: 1000,
        clearHoldMs: 1000,
      },
      {
        id: 'temperature-low',
        kind: 'threshold',
        severity: 'warning',
        direction: 'below',
        threshold: 40,
        clearBand: 2,
        raiseHoldMs: 1000,
        clearHoldMs: 1000,
      },
    ],
    co2: [
      { id: 'co2-jump', kind: 'rate', severity: 'info', maxDelta: 300, windowMs: 10_000, clearHoldMs: 0 },
    ],
  },
  notify: [],
};
/** Shards of another gateway, none of which a gw-a device's detail may read. */
const OTHER_SHARDS = 6;

describe('GET /v1/devices/{id}', { timeout: 30_000 }, () => {
  let now: number;
  beforeAll(async () => {
    const db = local.firestore;
    await local.cloud.clearFirestore();
    now = Date.now();
    const { deviceId, ...profile } = PROBE;
    await db.collection('devices').doc(deviceId).set(profile);
    // Bound to no gateway: its shard can only be found by looking at every one.
    await db
      .collection('devices')
      .doc('loose-1')
      .set({ site: 'plant-b', name: 'Loose', units: {}, notify: [] });
    await seedShard(db, 'gw-a', 0, { 'probe-1': { temperature: { v: 71.5, tsMs: now - 1000, seq: 41 } } });
    await seedShard(db, 'gw-a', 1, {
      'probe-1': { co2: { v: 700, tsMs: now - 3000, seq: 40 } },
      'other-1': { co2: { v: 500, tsMs: now - 3000, seq: 39 } },
    });
    for (let k = 0; k < OTHER_SHARDS; k++)
      await seedShard(db, 'gw-b', k, { [`b-${k}`]: { humidity: { v: 50, tsMs: now - 2000, seq: k + 1 } } });
    await db
      .collection('unregisteredDevices')
      .doc('b-3')
      .set({ deviceId: 'b-3', gatewayId: 'gw-b', firstSeenAt: new Date(now - 60_000) });
    await db
      .collection('unregisteredDevices')
      .doc('silent-1')
      .set({ deviceId: 'silent-1', gatewayId: 'gw-c' });
    await db
      .collection('alerts')
      .doc('al-1')
      .set({ alertId: 'al-1', deviceId: 'probe-1', state: 'acknowledged' });
    await db
      .collection('alerts')
      .doc('al-2')
      .set({ alertId: 'al-2', deviceId: 'probe-1', state: 'resolved' });
    await db.collection('alerts').doc('al-3').set({ alertId: 'al-3', deviceId: 'other-1', state: 'open' });
  }, 60_000);

  it('shows the device as the list does, with the rules ingest evaluates for it', async () => {
    const { status, body, reads } = await call<DeviceDetail>(
      api(),
      '/v1/devices/{id}',
      '/v1/devices/probe-1',
    );
    expect(status).toBe(200);
    expect(body.device).toMatchObject({
      deviceId: 'probe-1',
      gatewayId: 'gw-a',
      site: 'plant-a',
      name: 'Probe one',
      profile: 'probe-1',
      state: 'alerting',
      openAlerts: 1,
      lastSeenMs: now - 1000,
      metrics: {
        temperature: { v: 71.5, tsMs: now - 1000, seq: 41, unit: 'degF' },
        co2: { v: 700, tsMs: now - 3000, seq: 40, unit: 'ppm' },
      },
    });
    // Ingest's own stepper over the fleet defaults it would run with: the same lists.
    const stepper = sharedRuleStepper(FLEET_RULES);
    expect(body.rules).toEqual({
      co2: stepper.rulesFor(PROBE, 'co2'),
      humidity: stepper.rulesFor(PROBE, 'humidity'),
      temperature: stepper.rulesFor(PROBE, 'temperature'),
    });
    expect(body.rules.temperature?.map((r) => r.id)).toEqual([
      'temperature-high',
      'temperature-stale',
      'temperature-low',
    ]);
    expect(body.rules.temperature?.[0]).toMatchObject({ threshold: 95, clearBand: 3, severity: 'critical' });
    expect(body.rules.humidity?.[0]).toMatchObject({ threshold: 90, clearBand: 4 });
    // The profile catalogue (2 profiles, reloaded: TTL 0) + gw-a's 2 shards + 1 open-alert query;
    // none of gw-b's shards.
    expect(reads).toBe(2 + 2 + 1);

    const list = await call<DeviceList>(api(), '/v1/devices', '/v1/devices?limit=1000');
    expect(list.status).toBe(200);
    const listed = list.body.items.find((d) => d.deviceId === 'probe-1');
    expect(body.device).toEqual(listed);
  });

  it("an unregistered device: its reporting gateway's shard and the fleet defaults alone", async () => {
    const { status, body, reads } = await call<DeviceDetail>(api(), '/v1/devices/{id}', '/v1/devices/b-3');
    expect(status).toBe(200);
    expect(body.device).toMatchObject({
      deviceId: 'b-3',
      gatewayId: 'gw-b',
      site: null,
      profile: null,
      state: 'unregistered',
      openAlerts: 0,
      metrics: { humidity: { v: 50, seq: 4 } },
    });
    expect(body.rules).toEqual(FLEET_RULES);
    // Catalogue 2 + the unregistered record + gw-b's shards + the open-alert query.
    expect(reads).toBe(2 + 1 + OTHER_SHARDS + 1);
  });

  it('a reported device without readings yet is known, with nothing seen', async () => {
    const { status, body } = await call<DeviceDetail>(api(), '/v1/devices/{id}', '/v1/devices/silent-1');
    expect(status).toBe(200);
    expect(body.device).toMatchObject({
      gatewayId: '',
      metrics: {},
      lastSeenMs: null,
      state: 'unregistered',
    });
  });

  it('a device of no known gateway is looked for in every shard, as the list does', async () => {
    const { status, body, reads } = await call<DeviceDetail>(
      api(),
      '/v1/devices/{id}',
      '/v1/devices/loose-1',
    );
    expect(status).toBe(200);
    expect(body.device).toMatchObject({ site: 'plant-b', metrics: {}, lastSeenMs: null, state: 'stale' });
    expect(body.rules).toEqual(FLEET_RULES);
    expect(reads).toBe(2 + 2 + OTHER_SHARDS + 1);
  });

  it('404 for an unknown device, one coded 400 for a malformed id or an unknown parameter', async () => {
    const unknown = await call<ErrorResponse>(api(), '/v1/devices/{id}', '/v1/devices/nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('EDGEFLOW_API_NOT_FOUND');
    const bad = await call<ErrorResponse>(api(), '/v1/devices/{id}', '/v1/devices/no%20such%21?colour=red');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('EDGEFLOW_API_BAD_REQUEST');
    expectProblem(bad.body, ProblemCodes.BAD_ID, '/path/id');
    expectProblem(bad.body, ProblemCodes.UNKNOWN_PARAM, '/query/colour');
  });

  it('any id gets 200, a coded 400 or a 404, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }), async (id) => {
        const { status, body } = await call<ErrorResponse | DeviceDetail>(
          api(),
          '/v1/devices/{id}',
          `/v1/devices/${encodeURIComponent(id)}`,
        );
        expect([200, 400, 404, 422]).toContain(status);
        if (status === 400) expectProblem(body, ProblemCodes.BAD_ID, '/path/id');
      }),
      { seed: 7, numRuns: 40 },
    );
  });
});
