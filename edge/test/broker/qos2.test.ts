/** QoS 2 exactly-once on the wire, with raw packets (mqtt.js never sends a DUP on demand). */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway | undefined;
let socket: Socket | undefined;
afterEach(async () => {
  socket?.destroy();
  await gw?.close();
  gw = undefined;
});

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

const str = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
const packet = (header: number, body: Buffer) =>
  Buffer.concat([Buffer.from([header]), remainingLength(body.length), body]);

function connectPacket(user: string, password: string): Buffer {
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60])]);
  return packet(0x10, Buffer.concat([variable, str(user), str(user), str(password)]));
}

function publishQoS2(topic: string, id: number, payload: string, dup: boolean): Buffer {
  return packet(
    0x34 | (dup ? 0x08 : 0),
    Buffer.concat([str(topic), Buffer.from([id >> 8, id & 0xff]), Buffer.from(payload)]),
  );
}

describe('QoS 2', () => {
  it('a DUP retransmission of a stored PUBLISH is acknowledged again but appended once', async () => {
    gw = await startTestGateway();
    const received: Buffer[] = [];
    socket = connect(gw.gateway.mqtt?.port ?? 0, '127.0.0.1');
    socket.on('data', (d) => received.push(d));
    const seen = async (bytes: number[], timeoutMs = 3000) => {
      const want = Buffer.from(bytes);
      for (let waited = 0; waited < timeoutMs; waited += 20) {
        const all = Buffer.concat(received);
        let count = 0;
        for (let i = all.indexOf(want); i !== -1; i = all.indexOf(want, i + 1)) count++;
        if (count > 0) return count;
        await sleep(20);
      }
      return 0;
    };
    socket.write(connectPacket('dev-a', gw.secrets['dev-a'] as string));
    expect(await seen([0x20, 0x02, 0x00, 0x00])).toBe(1); // CONNACK accepted
    socket.write(publishQoS2('sensors/dev-a/temperature', 7, '21.5', false));
    expect(await seen([0x50, 0x02, 0x00, 0x07])).toBe(1); // PUBREC 7
    received.length = 0;
    socket.write(publishQoS2('sensors/dev-a/temperature', 7, '21.5', true));
    expect(await seen([0x50, 0x02, 0x00, 0x07])).toBe(1); // PUBREC 7 again
    expect(gw.outbox.readings).toHaveLength(1);
    socket.write(packet(0x62, Buffer.from([0, 7]))); // PUBREL 7
    expect(await seen([0x70, 0x02, 0x00, 0x07])).toBe(1); // PUBCOMP 7
    expect(gw.outbox.readings).toHaveLength(1);
  });
});
