/**
 * Exactly-once from the device, over TCP with raw packets: a QoS 1 PUBLISH sent again with DUP
 * (after a reconnect of the persistent session, or on the same connection) is acknowledged
 * and stored once; a device-timestamped reading sent again as a new publish (a clean-session
 * device resending) is stored once; nothing else is taken for a copy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import {
  CONNACK_ACCEPTED,
  connectPacket,
  puback,
  publishPacket,
  type RawClient,
  rawClient,
} from '../helpers/raw-mqtt.ts';

let gw: TestGateway | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await gw?.close();
  gw = undefined;
});

const TOPIC = 'sensors/dev-a/temperature';

async function session(g: TestGateway, clean: boolean): Promise<RawClient> {
  const c = rawClient(g.gateway.mqtt?.port ?? 0);
  clients.push(c);
  c.socket.write(connectPacket('dev-a', g.secrets['dev-a'] as string, clean));
  expect(await c.seen(CONNACK_ACCEPTED)).toBe(1);
  return c;
}

const dropped = (g: TestGateway, reason: string) =>
  g.metric('edgeflow_gateway_duplicates_dropped_total', { reason });

describe('duplicates from the device', () => {
  it('a QoS 1 retransmission (DUP, same packet id) after a reconnect is acked again and stored once', async () => {
    gw = await startTestGateway();
    const first = await session(gw, false);
    first.socket.write(publishPacket(1, TOPIC, 9, '21.5', false));
    expect(await first.seen(puback(9))).toBe(1);
    // The PUBACK "was lost": the device reconnects and sends the PUBLISH again.
    first.socket.destroy();
    const second = await session(gw, false);
    second.socket.write(publishPacket(1, TOPIC, 9, '21.5', true));
    expect(await second.seen(puback(9))).toBe(1);
    expect(gw.outbox.readings.map((r) => r.value)).toEqual([21.5]);
    expect(await dropped(gw, 'retransmit')).toBe(1);
    // The same packet id again on the same connection, DUP set: still one reading.
    second.reset();
    second.socket.write(publishPacket(1, TOPIC, 9, '21.5', true));
    expect(await second.seen(puback(9))).toBe(1);
    expect(gw.outbox.readings).toHaveLength(1);
    expect(await dropped(gw, 'retransmit')).toBe(2);
  });

  it('a reused packet id is a new reading: without DUP, or with other content', async () => {
    gw = await startTestGateway();
    const c = await session(gw, false);
    c.socket.write(publishPacket(1, TOPIC, 3, '20', false));
    c.socket.write(publishPacket(1, TOPIC, 3, '20', false));
    c.socket.write(publishPacket(1, TOPIC, 3, '21', true));
    c.socket.write(publishPacket(1, 'sensors/dev-a/humidity', 3, '21', true));
    expect(await c.seen(puback(3))).toBeGreaterThan(0);
    await expect.poll(() => gw?.outbox.readings.length, { timeout: 3000 }).toBe(4);
    expect(await dropped(gw, 'retransmit')).toBe(0);
  });

  it("one device cannot make another device's publish look like a copy", async () => {
    gw = await startTestGateway();
    const b = rawClient(gw.gateway.mqtt?.port ?? 0);
    clients.push(b);
    b.socket.write(connectPacket('dev-b', gw.secrets['dev-b'] as string, false));
    expect(await b.seen(CONNACK_ACCEPTED)).toBe(1);
    b.socket.write(publishPacket(1, 'sensors/dev-b/temperature', 5, '1', false));
    expect(await b.seen(puback(5))).toBe(1);
    const a = await session(gw, false);
    a.socket.write(publishPacket(1, TOPIC, 5, '1', true));
    expect(await a.seen(puback(5))).toBe(1);
    expect(gw.outbox.readings.map((r) => r.deviceId)).toEqual(['dev-b', 'dev-a']);
  });

  it('a device-timestamped reading sent again as a new publish is stored once; gateway-stamped values never', async () => {
    gw = await startTestGateway();
    const c = await session(gw, true);
    const t = Date.now() - 60_000;
    c.socket.write(publishPacket(1, TOPIC, 1, JSON.stringify({ v: 20.5, t }), false));
    expect(await c.seen(puback(1))).toBe(1);
    c.socket.destroy();
    const again = await session(gw, true);
    again.socket.write(publishPacket(1, TOPIC, 1, JSON.stringify({ v: 20.5, t }), false));
    again.socket.write(publishPacket(1, TOPIC, 2, JSON.stringify({ v: 20.6, t }), false));
    again.socket.write(publishPacket(1, TOPIC, 3, JSON.stringify({ v: 20.5, t: t + 1 }), false));
    again.socket.write(publishPacket(1, TOPIC, 4, '20.5', false));
    again.socket.write(publishPacket(1, TOPIC, 5, '20.5', false));
    expect(await again.seen(puback(5))).toBe(1);
    expect(await again.seen(puback(1))).toBe(1);
    await expect.poll(() => gw?.outbox.readings.length, { timeout: 3000 }).toBe(5);
    expect(gw.outbox.readings.map((r) => r.value)).toEqual([20.5, 20.6, 20.5, 20.5, 20.5]);
    expect(await dropped(gw, 'same_reading')).toBe(1);
  });

  it('dedup.readingsPerSeries 0 turns the same-reading window off', async () => {
    gw = await startTestGateway({ config: { dedup: { readingsPerSeries: 0 } } });
    const c = await session(gw, true);
    const t = Date.now() - 60_000;
    c.socket.write(publishPacket(1, TOPIC, 1, JSON.stringify({ v: 20.5, t }), false));
    c.socket.write(publishPacket(1, TOPIC, 2, JSON.stringify({ v: 20.5, t }), false));
    expect(await c.seen(puback(2))).toBe(1);
    await expect.poll(() => gw?.outbox.readings.length, { timeout: 3000 }).toBe(2);
  });
});
