import { afterEach, describe, expect, it } from 'vitest';
import { FakeOutbox } from './helpers/fake-outbox.ts';
import { closedWithin, nextMessage, sleep, startTestGateway, type TestGateway } from './helpers/gateway.ts';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

/** Resolves to 'settled' or 'pending' after `ms`, without consuming the promise. */
async function stateAfter(promise: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  return Promise.race([promise.then(() => 'settled' as const), sleep(ms).then(() => 'pending' as const)]);
}

const immediateRules = {
  rules: {
    defaults: {
      temperature: [
        {
          id: 'temperature-high',
          kind: 'threshold',
          severity: 'warning',
          direction: 'above',
          threshold: 30,
          clearBand: 1,
          raiseHoldMs: 0,
          clearHoldMs: 0,
        },
      ],
    },
    tickMs: 20,
  },
};

describe('publish path: acknowledgement only after durability', () => {
  it('QoS 1: the PUBACK waits for the outbox onDurable', async () => {
    const outbox = new FakeOutbox({ autoDurable: false });
    gw = await startTestGateway({ outbox });
    const a = await gw.connect('dev-a');
    const publish = a.publishAsync('sensors/dev-a/temperature', '21.5', { qos: 1 });
    expect(await stateAfter(publish, 300)).toBe('pending');
    expect(outbox.readings).toMatchObject([
      { deviceId: 'dev-a', metric: 'temperature', value: 21.5, seq: 0 },
    ]);
    outbox.release();
    expect(await stateAfter(publish, 2000)).toBe('settled');
  });

  it('PUBACKs keep arrival order: a refused message is acked only after what came before it', async () => {
    const outbox = new FakeOutbox({ autoDurable: false });
    gw = await startTestGateway({ outbox });
    const a = await gw.connect('dev-a');
    const valid = a.publishAsync('sensors/dev-a/temperature', '21.5', { qos: 1 });
    await sleep(50);
    const refused = a.publishAsync('sensors/dev-a/temperature', 'garbage', { qos: 1 });
    expect(await stateAfter(refused, 300)).toBe('pending');
    outbox.release();
    expect(await stateAfter(Promise.all([valid, refused]), 2000)).toBe('settled');
    // With nothing pending, a refused message is acked at once.
    expect(await stateAfter(a.publishAsync('sensors/dev-a/temperature', 'garbage', { qos: 1 }), 2000)).toBe(
      'settled',
    );
  });

  it('QoS 2: the PUBREC waits for the outbox onDurable too', async () => {
    const outbox = new FakeOutbox({ autoDurable: false });
    gw = await startTestGateway({ outbox });
    const a = await gw.connect('dev-a');
    const publish = a.publishAsync(
      'sensors/dev-a',
      JSON.stringify({ temperature: 20, humidity: { v: 40 } }),
      {
        qos: 2,
      },
    );
    expect(await stateAfter(publish, 300)).toBe('pending');
    expect(outbox.readings.map((r) => [r.metric, r.seq])).toEqual([
      ['temperature', 0],
      ['humidity', 1],
    ]);
    outbox.release();
    expect(await stateAfter(publish, 2000)).toBe('settled');
  });

  it('a failed append is never acknowledged: the device is disconnected and will retry', async () => {
    const outbox = new FakeOutbox({ autoDurable: false });
    gw = await startTestGateway({ outbox });
    const a = await gw.connect('dev-a');
    let acked = false;
    a.publish('sensors/dev-a/temperature', '21.5', { qos: 1 }, (err) => {
      if (!err) acked = true;
    });
    await sleep(100);
    outbox.release(new Error('fsync failed'));
    expect(await closedWithin(a, 3000)).toBe(true);
    expect(acked).toBe(false);
  });

  it('groups the publishes of one event-loop turn into one outbox record, in arrival order', async () => {
    gw = await startTestGateway();
    const a = await gw.connect('dev-a');
    // 200 QoS 1 publishes written back to back reach the broker in a few socket reads.
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        a.publishAsync('sensors/dev-a/humidity', String(i % 100), { qos: 1 }),
      ),
    );
    expect(gw.outbox.readings.map((r) => r.value)).toEqual(Array.from({ length: 200 }, (_, i) => i % 100));
    expect(gw.outbox.readings.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(gw.outbox.appendCalls).toBeLessThan(50);
  });

  it('shutdown stops accepting but still acknowledges what was received once it is durable', async () => {
    const outbox = new FakeOutbox({ autoDurable: false });
    gw = await startTestGateway({ outbox });
    const a = await gw.connect('dev-a');
    const publish = a.publishAsync('sensors/dev-a/temperature', '21.5', { qos: 1 });
    await sleep(100);
    const stopping = gw.gateway.stop();
    await sleep(100);
    // No new connections while stopping.
    await expect(gw.connect('dev-b', { connectTimeout: 1000 })).rejects.toThrow();
    expect(await stateAfter(publish, 100)).toBe('pending');
    outbox.release();
    expect(await stateAfter(publish, 2000)).toBe('settled');
    await stopping;
  });

  it('QoS 0 is appended without waiting', async () => {
    const outbox = new FakeOutbox({ autoDurable: false });
    gw = await startTestGateway({ outbox });
    const a = await gw.connect('dev-a');
    await a.publishAsync('sensors/dev-a/temperature', `{"v":22,"t":${Date.now()}}`, { qos: 0 });
    await sleep(100);
    expect(outbox.readings).toHaveLength(1);
  });

  it('rejected input is acknowledged anyway (no endless retries), counted and not stored', async () => {
    const outbox = new FakeOutbox({ autoDurable: false });
    gw = await startTestGateway({ outbox });
    const a = await gw.connect('dev-a');
    const publish = a.publishAsync('sensors/dev-a/temperature', 'not a number', { qos: 1 });
    expect(await stateAfter(publish, 2000)).toBe('settled');
    await a.publishAsync('sensors/dev-a/temperature', '1e999', { qos: 1 });
    await a.publishAsync('sensors/dev-a/temperature', '500', { qos: 1 });
    expect(outbox.readings).toEqual([]);
    expect(await gw.metric('edgeflow_gateway_readings_rejected_total', { reason: 'unparsable' })).toBe(1);
    expect(await gw.metric('edgeflow_gateway_readings_rejected_total', { reason: 'non_finite' })).toBe(1);
    expect(await gw.metric('edgeflow_gateway_readings_rejected_total', { reason: 'out_of_range' })).toBe(1);
  });
});

describe('local rules', () => {
  it('publishes a transition retained on alerts/<device>/<metric>, visible to a late subscriber, and queues it', async () => {
    gw = await startTestGateway({ config: immediateRules });
    const a = await gw.connect('dev-a');
    await a.publishAsync('sensors/dev-a/temperature', '35', { qos: 1 });
    await sleep(100);
    expect(gw.outbox.alerts).toMatchObject([
      {
        kind: 'raised',
        deviceId: 'dev-a',
        metric: 'temperature',
        ruleId: 'temperature-high',
        source: 'edge',
        gatewayId: 'test-gw',
      },
    ]);
    // A panel connecting after the fact sees the current state.
    const late = await gw.connect('dev-b');
    const retained = nextMessage(late, 'alerts/dev-a/temperature');
    await late.subscribeAsync('alerts/#', { qos: 1 });
    const message = await retained;
    expect(message.retain).toBe(true);
    expect(JSON.parse(message.payload.toString())).toMatchObject({
      kind: 'raised',
      ruleId: 'temperature-high',
      active: ['temperature-high'],
      value: 35,
    });
    // The clear replaces the retained state.
    const cleared = nextMessage(late, 'alerts/dev-a/temperature');
    await a.publishAsync('sensors/dev-a/temperature', '20', { qos: 1 });
    expect(JSON.parse((await cleared).payload.toString())).toMatchObject({ kind: 'cleared', active: [] });
    expect(await gw.metric('edgeflow_gateway_alerts_total', { kind: 'raised' })).toBe(1);
    expect(await gw.metric('edgeflow_gateway_alerts_total', { kind: 'cleared' })).toBe(1);
  });

  it('the periodic tick raises staleness alerts', async () => {
    gw = await startTestGateway({
      config: {
        rules: {
          defaults: { door: [{ id: 'door-stale', kind: 'stale', severity: 'warning', afterMs: 100 }] },
          tickMs: 20,
        },
      },
    });
    const a = await gw.connect('dev-a');
    await a.subscribeAsync('alerts/#');
    const stale = nextMessage(a, 'alerts/dev-a/door', 3000);
    await a.publishAsync('sensors/dev-a/door', '1', { qos: 1 });
    expect(JSON.parse((await stale).payload.toString())).toMatchObject({ kind: 'raised', ruleKind: 'stale' });
  });
});

describe('ops endpoint', () => {
  it('serves /healthz and /metrics', async () => {
    gw = await startTestGateway();
    const base = `http://127.0.0.1:${gw.gateway.http.port}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, gatewayId: 'test-gw', outbox: { records: 0 } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('edgeflow_gateway_readings_accepted_total');
    expect(metrics).toContain('edgeflow_gateway_connected_clients');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
