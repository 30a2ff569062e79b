import { type AlertEvent, ManualClock, type Reading, telemetryTopicName } from '@edgeflow/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloudErrorCodes } from '../../../src/adapters/errors.ts';
import { topicOfSource } from '../../../src/adapters/pubsub/cloud-event.ts';
import { admitBatch, payloadMismatch, transportGateway } from '../../../src/functions/ingest/admit.ts';
import type { PreparedBatch } from '../../../src/functions/ingest/prepare.ts';
import { ProfileCache } from '../../../src/functions/ingest/profile-cache.ts';
import { MemoryProfileStore } from './fakes.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

function prepared(readings: Reading[]): PreparedBatch {
  const seqs = readings.map((r) => r.seq);
  const firstSeq = seqs.length ? Math.min(...seqs) : 0;
  const lastSeq = seqs.length ? Math.max(...seqs) : 0;
  return {
    batch: { gatewayId: 'gw-a', createdAtMs: T0, readings, alerts: [] },
    batchId: `gw-a:${firstSeq}-${lastSeq}`,
    firstSeq,
    lastSeq,
    readings,
    alerts: [],
    rejectedReadings: 0,
    rejectedAlerts: 0,
    rejectionSamples: [],
    deviceIds: new Set(readings.map((r) => r.deviceId)),
  };
}

describe('transport identity', () => {
  it('takes the topic from a Pub/Sub CloudEvent source and nothing else', () => {
    expect(topicOfSource('//pubsub.googleapis.com/projects/p/topics/edgeflow-telemetry-gw-a')).toBe(
      'edgeflow-telemetry-gw-a',
    );
    for (const bad of [
      undefined,
      42,
      '',
      'projects/p/topics/edgeflow-telemetry-gw-a',
      '//pubsub.googleapis.com/projects/p/topics/edgeflow-telemetry-gw-a/extra',
      '//evil.example/projects/p/topics/edgeflow-telemetry-gw-a',
    ]) {
      expect(topicOfSource(bad)).toBeUndefined();
    }
  });

  it('knows the gateway only from its own telemetry topic', () => {
    expect(transportGateway(telemetryTopicName('gw-a'))).toEqual({
      ok: true,
      gatewayId: 'gw-a',
      topic: 'edgeflow-telemetry-gw-a',
    });
    for (const topic of [undefined, 'edgeflow-telemetry', 'edgeflow-alerts', 'edgeflow-telemetry-GW']) {
      expect(transportGateway(topic)).toMatchObject({
        ok: false,
        code: CloudErrorCodes.NO_TRANSPORT_IDENTITY,
      });
    }
    expect(payloadMismatch('gw-a', 'gw-a')).toBeUndefined();
    expect(payloadMismatch('gw-b', 'gw-a')).toMatchObject({ code: CloudErrorCodes.GATEWAY_MISMATCH });
  });
});

describe('admitBatch', () => {
  const reading = fc.record({
    deviceId: fc.constantFrom('mine', 'theirs', 'unbound'),
    metric: fc.constant('temperature'),
    tsMs: fc.constant(T0),
    value: fc.constant(20),
    seq: fc.oneof(fc.nat({ max: 2000 }), fc.constant(Number.MAX_SAFE_INTEGER - 1)),
  });
  const owners = new Map<string, string | undefined>([
    ['mine', 'gw-a'],
    ['theirs', 'gw-b'],
    ['unbound', undefined],
  ]);

  it('keeps exactly the readings of the gateway’s own devices within the sequence bound, and counts the rest', () => {
    fc.assert(
      fc.property(
        fc.array(reading, { maxLength: 50 }),
        fc.option(fc.nat({ max: 1000 })),
        (rs, highestSeq) => {
          const ctx = { gatewayId: 'gw-a', owners, highestSeq: highestSeq ?? undefined, maxSeqJump: 500 };
          const batch = prepared(rs);
          const out = admitBatch(batch, ctx);
          const base = highestSeq === null ? batch.firstSeq : Math.min(highestSeq, batch.firstSeq);
          const ceiling = base + 500;
          expect(out.readings).toEqual(rs.filter((r) => r.deviceId === 'mine' && r.seq <= ceiling));
          expect(out.foreignDeviceReadings).toBe(rs.filter((r) => r.deviceId !== 'mine').length);
          expect(out.readings.length + out.foreignDeviceReadings + out.seqJumpReadings).toBe(rs.length);
          expect(out.samples.length).toBeLessThanOrEqual(5);
        },
      ),
    );
  });
});

describe('admitBatch alerts', () => {
  it('drops an alert naming another gateway or of a device that is not the gateway’s', () => {
    const alert = (deviceId: string, gatewayId?: string): AlertEvent => ({
      alertId: `${deviceId}.temperature.temperature-high.1`,
      kind: 'raised',
      deviceId,
      metric: 'temperature',
      ruleId: 'temperature-high',
      ruleKind: 'threshold',
      severity: 'warning',
      value: 35,
      tsMs: T0,
      seq: 1,
      source: 'edge',
      ...(gatewayId === undefined ? {} : { gatewayId }),
      message: 'hot',
    });
    const own = alert('mine');
    const named = alert('mine', 'gw-a');
    const batch = {
      ...prepared([]),
      alerts: [own, named, alert('mine', 'gw-b'), alert('theirs'), alert('unbound')],
    };
    const owners = new Map<string, string | undefined>([
      ['mine', 'gw-a'],
      ['theirs', 'gw-b'],
      ['unbound', undefined],
    ]);
    const out = admitBatch(batch, { gatewayId: 'gw-a', owners, highestSeq: undefined, maxSeqJump: 10 });
    expect(out.alerts).toEqual([own, named]);
    expect(out.foreignAlerts).toBe(3);
    expect(out.samples.map((s) => s.split(':')[0])).toEqual([
      CloudErrorCodes.ALERT_GATEWAY_MISMATCH,
      CloudErrorCodes.DEVICE_NOT_OF_GATEWAY,
      CloudErrorCodes.DEVICE_NOT_OF_GATEWAY,
    ]);
  });
});

describe('ProfileCache ownership', () => {
  it('gives a registered device to its profile’s gateway and an unregistered one to its first reporter', async () => {
    const store = new MemoryProfileStore();
    store.profiles.set('reg', {
      deviceId: 'reg',
      gatewayId: 'gw-b',
      site: 's',
      name: 'n',
      units: {},
      notify: [],
    });
    const cache = new ProfileCache(store, new ManualClock(T0), { ttlMs: 60_000, maxEntries: 100 });
    const first = await cache.lookup(['reg', 'stray'], 'gw-a');
    expect(first.owners).toEqual(
      new Map([
        ['reg', 'gw-b'],
        ['stray', 'gw-a'],
      ]),
    );
    expect(first.flagged).toEqual([]);
    const second = await cache.lookup(['stray'], 'gw-c');
    expect(second.owners.get('stray')).toBe('gw-a');
    expect(second.flagged).toEqual(['stray']);
    // Flagged once per instance per (device, gateway).
    expect((await cache.lookup(['stray'], 'gw-c')).flagged).toEqual([]);
    expect(store.flagged).toEqual([{ deviceId: 'stray', gatewayId: 'gw-c' }]);
    expect(store.reported).toEqual(['stray']);
    // A second instance learns the first reporter from the store.
    const other = new ProfileCache(store, new ManualClock(T0), { ttlMs: 60_000, maxEntries: 100 });
    expect((await other.lookup(['stray'], 'gw-c')).owners.get('stray')).toBe('gw-a');
    // Notify's lookup (no gateway) reports and flags nothing.
    expect((await other.lookup(['ghost'], undefined)).owners.size).toBe(0);
  });
});
