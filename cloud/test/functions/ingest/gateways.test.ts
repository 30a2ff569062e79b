/**
 * ingest keeps `gateways/<id>` against the real emulators and functions-framework, fed by
 * the gateway's own telemetry topic: health, last batch and newest receipt time, a gap, and
 * the upgrade path (a 1.0 batch without health, a batch whose health does not validate).
 */
import { type DeviceProfile, encodeBatch, type GatewayHealth, type Reading } from '@edgeflow/shared';
import { Encoder } from 'cbor-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayFromDoc } from '../../../src/adapters/firestore/gateways.ts';
import type { GatewayState } from '../../../src/functions/ingest/gateway-state.ts';
import { type Harness, series, startHarness, storedSeqs, T0, waitFor } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.stop();
}, 30_000);

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

function health(outboxRecords: number): GatewayHealth {
  return {
    reportedAtMs: T0 + outboxRecords,
    uptimeS: 120,
    rssBytes: 90_000_000,
    clientsConnected: 2,
    outboxRecords,
    outboxBytes: outboxRecords * 100,
    oldestUnsentAgeMs: 800,
    evictedReadings: 0,
    rejectedByReason: { bad_topic: 1 },
    rulesVersion: 3,
  };
}

async function register(deviceId: string, gatewayId: string): Promise<void> {
  const profile: DeviceProfile = {
    deviceId,
    gatewayId,
    site: 'plant-1',
    name: deviceId,
    units: {},
    notify: [],
  };
  await h.db.collection('devices').doc(deviceId).set(profile);
}

async function publish(
  gatewayId: string,
  readings: Reading[],
  extra: { health?: GatewayHealth; edit?: (env: Record<string, unknown>) => void } = {},
): Promise<void> {
  let bytes = encodeBatch({
    gatewayId,
    createdAtMs: T0,
    readings,
    alerts: [],
    ...(extra.health ? { health: extra.health } : {}),
  });
  if (extra.edit) {
    const env = cbor.decode(bytes) as Record<string, unknown>;
    extra.edit(env);
    bytes = cbor.encode(env);
  }
  await h.publishOn(gatewayId, Buffer.from(bytes));
}

/** The gateway's document once `ready` holds for it. */
function gatewayWhen(gatewayId: string, ready: (s: GatewayState) => boolean): Promise<GatewayState> {
  return waitFor(`gateways/${gatewayId}`, async () => {
    const snap = await h.db.collection('gateways').doc(gatewayId).get();
    const data = snap.data();
    if (data === undefined) return undefined;
    const state = gatewayFromDoc(gatewayId, data);
    return ready(state) ? state : undefined;
  });
}

describe('ingest -> gateways/<id>', { timeout: 60_000 }, () => {
  it('writes health, last batch and newest receipt time, then records a gap', async () => {
    await register('gs-a', 'gw-state-a');
    const before = Date.now();
    // The device stamped its own (later) clock on the last reading: receipt time counts, not event time.
    const first = series('gs-a', 'temperature', 1, 10, 20);
    const last = first[9] as Reading;
    first[9] = { ...last, tsMs: last.tsMs + 3_600_000, rxMs: last.tsMs };
    await publish('gw-state-a', first, { health: health(4) });
    const created = await gatewayWhen('gw-state-a', (s) => s.lastSeq === 10);
    expect(created.lastBatchAtMs).toBeGreaterThanOrEqual(before);
    expect(created.lastBatchAtMs).toBeLessThanOrEqual(Date.now());
    expect(created.newestReadingAtMs).toBe(T0 + 10_000);
    expect(created.health).toEqual(health(4));
    expect(created).toMatchObject({ firstSeq: 1, seqGapCount: 0, recentGaps: [], missingReadings: 0 });

    // Readings 11..15 never arrive.
    await publish('gw-state-a', series('gs-a', 'temperature', 16, 5, 20), { health: health(9) });
    const gapped = await gatewayWhen('gw-state-a', (s) => s.lastSeq === 20);
    expect(gapped.recentGaps.map((g) => [g.fromSeq, g.toSeq])).toEqual([[11, 15]]);
    expect(gapped.recentGaps[0]?.detectedAtMs).toBeGreaterThanOrEqual(created.lastBatchAtMs as number);
    expect(gapped).toMatchObject({ seqGapCount: 1, missingReadings: 5, newestReadingAtMs: T0 + 20_000 });
    expect(gapped.health).toEqual(health(9));
  });

  it('ingests a 1.0 batch (no health) and one whose health does not validate, keeping the health it had', async () => {
    await register('gs-b', 'gw-state-b');
    await publish('gw-state-b', series('gs-b', 'temperature', 1, 5, 20), { health: health(2) });
    await gatewayWhen('gw-state-b', (s) => s.lastSeq === 5);

    // As a gateway from before format 1.1 writes it: minor 0, no health key.
    await publish('gw-state-b', series('gs-b', 'temperature', 6, 5, 21), {
      edit: (env) => {
        env.v = 0;
      },
    });
    const upgraded = await gatewayWhen('gw-state-b', (s) => s.lastSeq === 10);
    expect(upgraded.health).toEqual(health(2));
    expect(upgraded.newestReadingAtMs).toBe(T0 + 10_000);
    expect(await storedSeqs(h.db, 'gs-b', 'temperature')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    await publish('gw-state-b', series('gs-b', 'temperature', 11, 5, 22), {
      health: { ...health(7), rejectedByReason: { 'Not A Reason!': 1 } },
    });
    const rejected = await gatewayWhen('gw-state-b', (s) => s.lastSeq === 15);
    expect(rejected.health).toEqual(health(2));
    expect(rejected.seqGapCount).toBe(0);
    expect((await storedSeqs(h.db, 'gs-b', 'temperature')).length).toBe(15);
  });
});
