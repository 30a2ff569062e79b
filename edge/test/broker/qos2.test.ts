/** QoS 2 exactly-once on the wire, with raw packets (mqtt.js never sends a DUP on demand). */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import {
  CONNACK_ACCEPTED,
  connectPacket,
  packet,
  publishPacket,
  pubrec,
  type RawClient,
  rawClient,
} from '../helpers/raw-mqtt.ts';

let gw: TestGateway | undefined;
let client: RawClient | undefined;
afterEach(async () => {
  client?.socket.destroy();
  await gw?.close();
  gw = undefined;
});

describe('QoS 2', () => {
  it('a DUP retransmission of a stored PUBLISH is acknowledged again but appended once', async () => {
    gw = await startTestGateway();
    client = rawClient(gw.gateway.mqtt?.port ?? 0);
    const { socket, seen } = client;
    socket.write(connectPacket('dev-a', gw.secrets['dev-a'] as string));
    expect(await seen(CONNACK_ACCEPTED)).toBe(1);
    socket.write(publishPacket(2, 'sensors/dev-a/temperature', 7, '21.5', false));
    expect(await seen(pubrec(7))).toBe(1);
    client.reset();
    socket.write(publishPacket(2, 'sensors/dev-a/temperature', 7, '21.5', true));
    expect(await seen(pubrec(7))).toBe(1); // PUBREC 7 again
    expect(gw.outbox.readings).toHaveLength(1);
    socket.write(packet(0x62, Buffer.from([0, 7]))); // PUBREL 7
    expect(await seen([0x70, 0x02, 0x00, 0x07])).toBe(1); // PUBCOMP 7
    expect(gw.outbox.readings).toHaveLength(1);
  });
});
