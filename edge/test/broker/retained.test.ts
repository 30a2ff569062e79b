/**
 * Only the gateway retains (alerts/), within a cap; a reading ingest refuses reaches nobody.
 * Real mqtt.js over TCP. On aedes alone, a device's refused 2 MiB retained publish on its
 * own sensors topic was stored and delivered to every subscriber, then and later.
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { nextMessage, sleep, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

function collect(client: MqttClient): Array<{ topic: string; bytes: number; retain: boolean }> {
  const seen: Array<{ topic: string; bytes: number; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) =>
    seen.push({ topic, bytes: payload.length, retain: packet.retain }),
  );
  return seen;
}

const publishGateway = (gateway: TestGateway, topic: string, payload: string) =>
  new Promise<void>((resolve, reject) =>
    gateway.gateway.broker.publish({ topic, payload: Buffer.from(payload), qos: 1, retain: true }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );

describe('retained messages', () => {
  it('a refused retained reading (2 MiB) is acknowledged, not stored, and delivered to nobody', async () => {
    // The packet cap would close the connection first (limits/packet-size.test.ts); raised here
    // so the payload reaches ingest, whose refusal is what this test is about.
    gw = await startTestGateway({
      config: { mqtt: { host: '127.0.0.1', port: 0, limits: { maxPacketBytes: 4 * 1024 * 1024 } } },
    });
    const live = await gw.connect('op-1');
    await live.subscribeAsync('sensors/#');
    const liveSeen = collect(live);
    const a = await gw.connect('dev-a');
    const big = Buffer.alloc(2 * 1024 * 1024, 0x61);
    for (const qos of [0, 1, 2] as const) {
      await a.publishAsync('sensors/dev-a/temperature', big, { qos, retain: true });
    }
    // A valid reading behind them: the live subscriber is reading, it just got nothing refused.
    const marker = nextMessage(live, 'sensors/dev-a/humidity');
    await a.publishAsync('sensors/dev-a/humidity', '40', { qos: 1 });
    await marker;
    expect(liveSeen.map((m) => m.topic)).toEqual(['sensors/dev-a/humidity']);
    expect(await gw.metric('edgeflow_gateway_readings_rejected_total', { reason: 'oversize' })).toBe(3);
    expect(await gw.metric('edgeflow_gateway_forward_refusals_total', { reason: 'rejected_input' })).toBe(3);
    expect(await gw.metric('edgeflow_gateway_retain_stripped_total')).toBe(3);
    await live.endAsync();
    const late = await gw.connect('op-1');
    const lateSeen = collect(late);
    await late.subscribeAsync('sensors/#');
    await sleep(100);
    expect(lateSeen).toEqual([]);
    expect(a.connected).toBe(true);
  });

  it('a valid reading published retained is delivered live but never retained', async () => {
    gw = await startTestGateway();
    const live = await gw.connect('op-1');
    await live.subscribeAsync('sensors/#');
    const seen = nextMessage(live, 'sensors/dev-a/temperature');
    const a = await gw.connect('dev-a');
    await a.publishAsync('sensors/dev-a/temperature', '21.5', { qos: 1, retain: true });
    expect((await seen).payload.toString()).toBe('21.5');
    expect(gw.outbox.readings).toHaveLength(1);
    await live.endAsync();
    const late = await gw.connect('op-1');
    const lateSeen = collect(late);
    await late.subscribeAsync('sensors/#');
    await sleep(100);
    expect(lateSeen).toEqual([]);
    expect(await gw.metric('edgeflow_gateway_retain_stripped_total')).toBe(1);
  });

  it("the gateway's own retains are capped in count; a topic already retained is still replaced", async () => {
    gw = await startTestGateway({ config: { mqtt: { host: '127.0.0.1', port: 0, maxRetainedMessages: 2 } } });
    await publishGateway(gw, 'alerts/dev-a/temperature', 'raised');
    await publishGateway(gw, 'alerts/dev-a/humidity', 'raised');
    await publishGateway(gw, 'alerts/dev-b/temperature', 'raised');
    await publishGateway(gw, 'alerts/dev-a/temperature', 'cleared');
    expect(await gw.metric('edgeflow_gateway_retained_refused_total')).toBe(1);
    expect(await gw.metric('edgeflow_gateway_retained_messages')).toBe(2);
    const panel = await gw.connect('dev-b');
    const seen: string[] = [];
    panel.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
    await panel.subscribeAsync('alerts/#', { qos: 1 });
    await sleep(100);
    expect(seen.sort()).toEqual(['alerts/dev-a/humidity raised', 'alerts/dev-a/temperature cleared']);
  });
});
