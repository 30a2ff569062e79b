/**
 * GET /v1/gateways serving what ingest wrote: batches published on the gateway's own telemetry
 * topic go through the real ingest function into `gateways/<id>`, and the API function shows
 * that document with its uplink lag, gap and health (no seeded document involved).
 */
import { type DeviceProfile, encodeBatch, type GatewayHealth, telemetryTopicName } from '@edgeflow/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GatewayList } from '../../src/api/contract.ts';
import { useLocalCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';
import { call, warmUp } from './support.ts';

const GATEWAY = 'gw-ingested';
const local = useLocalCloud({ functions: ['ingest', 'api'], gateways: [GATEWAY] });
const api = () => local.cloud.functionUrls.api;
beforeAll(() => warmUp(api()), 60_000);

/** Readings one second apart, the newest an hour before the test runs at the latest. */
const NEWEST_MS = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;

const health: GatewayHealth = {
  reportedAtMs: NEWEST_MS,
  uptimeS: 7200,
  rssBytes: 70_000_000,
  clientsConnected: 3,
  outboxRecords: 12,
  outboxBytes: 2048,
  oldestUnsentAgeMs: 400,
  evictedReadings: 10,
  rejectedByReason: { oversize: 1 },
  rulesVersion: null,
};

function batch(fromSeq: number, toSeq: number, withHealth: boolean): Buffer {
  const readings = Array.from({ length: toSeq - fromSeq + 1 }, (_, i) => ({
    deviceId: 'dev-ingested',
    metric: 'temperature',
    tsMs: NEWEST_MS - (30 - (fromSeq + i)) * 1000,
    value: 4,
    seq: fromSeq + i,
  }));
  return Buffer.from(
    encodeBatch({
      gatewayId: GATEWAY,
      createdAtMs: NEWEST_MS,
      readings,
      alerts: [],
      ...(withHealth ? { health } : {}),
    }),
  );
}

async function ingested(lastSeq: number): Promise<void> {
  await waitFor(
    async () => {
      const snap = await local.firestore.collection('gateways').doc(GATEWAY).get();
      return snap.get('lastSeq') === lastSeq ? true : undefined;
    },
    { what: `gateways/${GATEWAY} at seq ${lastSeq}`, timeoutMs: 30_000 },
  );
}

describe('GET /v1/gateways after ingest', { timeout: 60_000 }, () => {
  it('serves the document ingest wrote, with uplink lag, the gap and the health', async () => {
    const profile: DeviceProfile = {
      deviceId: 'dev-ingested',
      gatewayId: GATEWAY,
      site: 'plant-z',
      name: 'cold room',
      units: {},
      notify: [],
    };
    await local.firestore.collection('devices').doc(profile.deviceId).set(profile);
    const topic = local.pubsub.topic(telemetryTopicName(GATEWAY));
    const startedMs = Date.now();
    await topic.publishMessage({ data: batch(1, 10, false) });
    await ingested(10);
    // Readings 11..20 are lost on the way.
    await topic.publishMessage({ data: batch(21, 30, true) });
    await ingested(30);

    const { status, body } = await call<GatewayList>(api(), '/v1/gateways', '/v1/gateways');
    expect(status).toBe(200);
    const gw = body.items.find((g) => g.gatewayId === GATEWAY);
    expect(gw).toBeDefined();
    expect(gw?.newestReadingAtMs).toBe(NEWEST_MS);
    expect(gw?.uplinkLagMs).toBeGreaterThanOrEqual(startedMs - NEWEST_MS);
    expect(gw?.uplinkLagMs).toBeLessThanOrEqual(Date.now() - NEWEST_MS);
    expect(gw?.lastBatchAtMs).toBeGreaterThanOrEqual(startedMs);
    expect(gw?.lastSeq).toBe(30);
    expect(gw?.seqGapCount).toBe(1);
    expect(gw?.recentGaps).toEqual([{ fromSeq: 11, toSeq: 20, detectedAtMs: expect.any(Number) }]);
    expect(gw?.recentGaps[0]?.detectedAtMs).toBeGreaterThanOrEqual(startedMs);
    expect(gw?.health).toEqual(health);
  });
});
