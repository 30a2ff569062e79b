/**
 * Trust boundaries, against the real emulators and functions-framework behind the push
 * subscriptions: ingest knows the sending gateway from the telemetry topic a batch arrived
 * on (the push endpoint path, set by the topology) and checks the payload against it.
 */
import { type AlertEvent, type DeviceProfile, type Reading, telemetryTopicName } from '@edgeflow/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudErrorCodes } from '../../../src/adapters/errors.ts';
import {
  batchBytes,
  type Harness,
  series,
  settle,
  startHarness,
  storedSeqs,
  T0,
  waitFor,
} from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.stop();
}, 30_000);

async function registerDevice(deviceId: string, gatewayId: string): Promise<void> {
  const profile: DeviceProfile = {
    deviceId,
    gatewayId,
    site: 'plant-9',
    name: deviceId,
    units: {},
    notify: [{ kind: 'webhook', url: h.sinkUrl, format: 'json' }],
  };
  await h.db.collection('devices').doc(deviceId).set(profile);
}

async function deadLetter(messageId: string): Promise<Record<string, unknown>> {
  return waitFor(`dead letter of ${messageId}`, async () => {
    const d = await h.db.collection('deadLetters').doc(`ingest-${messageId}`).get();
    return d.exists ? d.data() : undefined;
  });
}

async function waitSeqs(deviceId: string, count: number): Promise<number[]> {
  return waitFor(`${count} readings of ${deviceId}`, async () => {
    const seqs = await storedSeqs(h.db, deviceId, 'temperature');
    return seqs.length >= count ? seqs : undefined;
  });
}

function edgeAlert(deviceId: string, seq: number, gatewayId?: string): AlertEvent {
  return {
    alertId: `${deviceId}.temperature.temperature-high.${seq}`,
    kind: 'raised',
    deviceId,
    metric: 'temperature',
    ruleId: 'temperature-high',
    ruleKind: 'threshold',
    severity: 'critical',
    value: 99,
    tsMs: T0,
    seq,
    source: 'edge',
    ...(gatewayId === undefined ? {} : { gatewayId }),
    message: 'forged: evacuate the building',
  };
}

async function docsOf(collection: string, deviceId: string): Promise<number> {
  return (await h.db.collection(collection).where('deviceId', '==', deviceId).get()).size;
}

describe('ingest trusts the transport, not the payload', () => {
  it('dead-letters a batch published on gateway A’s topic that names gateway B, and writes nothing else', async () => {
    await registerDevice('victim-1', 'gw-bravo');
    // What freezes a series (seq 2^53 - 2) and raises an alert with the attacker's text.
    const frozen = { ...(series('victim-1', 'temperature', 1, 1, 99)[0] as Reading), seq: 2 ** 53 - 2 };
    const forged = batchBytes('gw-bravo', [frozen], [edgeAlert('victim-1', 2 ** 53 - 3, 'gw-bravo')]);
    const id = await h.publishOn('gw-alpha', forged);
    const letter = await deadLetter(id);
    expect(letter).toMatchObject({
      source: 'ingest',
      code: CloudErrorCodes.GATEWAY_MISMATCH,
      sourceTopic: telemetryTopicName('gw-alpha'),
      state: 'open',
    });
    expect(letter.reason).toMatch(/names gateway gw-bravo but arrived on the telemetry topic of gw-alpha/);
    // Ingest dead-letters before any other write, and publishes nothing for notify to store.
    expect(await docsOf('readings', 'victim-1')).toBe(0);
    expect(await docsOf('alerts', 'victim-1')).toBe(0);
    expect(
      (await h.db.collection('latest').where('gatewayId', 'in', ['gw-alpha', 'gw-bravo']).get()).size,
    ).toBe(0);
    expect(h.sink.filter((r) => r.body.alert?.deviceId === 'victim-1')).toEqual([]);
  }, 90_000);

  it('dead-letters a push that names no gateway’s telemetry topic', async () => {
    const data = batchBytes('gw-alpha', series('victim-2', 'temperature', 1, 5, 20)).toString('base64');
    const body = { message: { data, messageId: 'no-identity-1', attributes: {} }, subscription: 'x' };
    for (const topic of ['edgeflow-alerts', 'edgeflow-telemetry']) {
      const res = await fetch(`${h.ingestUrl}/projects/demo-edgeflow-test/topics/${topic}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, message: { ...body.message, messageId: `no-identity-${topic}` } }),
        signal: AbortSignal.timeout(30_000),
      });
      expect(res.status).toBeLessThan(300);
      const letter = await deadLetter(`no-identity-${topic}`);
      expect(letter).toMatchObject({ code: CloudErrorCodes.NO_TRANSPORT_IDENTITY, sourceTopic: null });
    }
    expect(await docsOf('readings', 'victim-2')).toBe(0);
  }, 60_000);

  it('drops readings and alerts of a device registered to another gateway, keeps the sender’s own', async () => {
    await registerDevice('bravo-dev', 'gw-bravo');
    await registerDevice('alpha-dev', 'gw-alpha');
    await h.publish(
      batchBytes(
        'gw-alpha',
        [...series('bravo-dev', 'temperature', 1, 20, 99), ...series('alpha-dev', 'temperature', 21, 20, 20)],
        [edgeAlert('bravo-dev', 5), edgeAlert('alpha-dev', 25, 'gw-bravo')],
      ),
    );
    expect(await waitSeqs('alpha-dev', 20)).toHaveLength(20);
    await settle(h);
    expect(await storedSeqs(h.db, 'bravo-dev', 'temperature')).toEqual([]);
    expect(await docsOf('alerts', 'bravo-dev')).toBe(0);
    expect(await docsOf('alerts', 'alpha-dev')).toBe(0);
    expect(h.sink.filter((r) => r.body.alert?.message?.startsWith('forged'))).toEqual([]);
    // The device's own gateway still reports it.
    await h.publish(batchBytes('gw-bravo', series('bravo-dev', 'temperature', 1, 5, 20)));
    expect(await waitSeqs('bravo-dev', 5)).toEqual([1, 2, 3, 4, 5]);
  }, 90_000);

  it('keeps an unregistered device to the gateway that reported it first; a second one is dropped and flagged', async () => {
    await h.publish(batchBytes('gw-alpha', series('stray-1', 'temperature', 100, 5, 20)));
    expect(await waitSeqs('stray-1', 5)).toEqual([100, 101, 102, 103, 104]);
    await h.publish(batchBytes('gw-charlie', series('stray-1', 'temperature', 500, 5, 20)));
    const record = await waitFor('the flag on stray-1', async () => {
      const d = await h.db.collection('unregisteredDevices').doc('stray-1').get();
      return d.get('claimedBy') ? d.data() : undefined;
    });
    expect(record).toMatchObject({ deviceId: 'stray-1', gatewayId: 'gw-alpha', claimedBy: ['gw-charlie'] });
    await settle(h);
    expect(await storedSeqs(h.db, 'stray-1', 'temperature')).toEqual([100, 101, 102, 103, 104]);
  }, 90_000);

  it('drops a reading whose sequence jumps past the bound, so the series keeps moving', async () => {
    await registerDevice('seq-dev', 'gw-delta');
    await h.publish(batchBytes('gw-delta', series('seq-dev', 'temperature', 1, 10, 20)));
    expect(await waitSeqs('seq-dev', 10)).toHaveLength(10);
    const [eleven, twelve] = series('seq-dev', 'temperature', 11, 2, 20);
    const jump = { ...(twelve as Reading), seq: Number.MAX_SAFE_INTEGER - 1 };
    await h.publish(batchBytes('gw-delta', [eleven as Reading, jump]));
    expect(await waitSeqs('seq-dev', 11)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    await h.publish(batchBytes('gw-delta', series('seq-dev', 'temperature', 13, 3, 20)));
    const seqs = await waitSeqs('seq-dev', 14);
    expect(seqs).not.toContain(Number.MAX_SAFE_INTEGER - 1);
    const latest = await waitFor('the shard past seq 15', async () => {
      const snap = await h.db.collection('latest').where('gatewayId', '==', 'gw-delta').get();
      const state = snap.docs.map((d) => d.get('series')?.['seq-dev']?.temperature).find(Boolean);
      return state?.seq === 15 ? state : undefined;
    });
    expect(latest.seq).toBe(15);
  }, 90_000);
});
