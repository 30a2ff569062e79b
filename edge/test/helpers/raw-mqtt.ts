/**
 * MQTT 3.1.1 packets written by hand, for what mqtt.js never sends on demand (a DUP
 * retransmission, a packet id reused) and a reader that counts the acks that came back.
 */
import { connect, type Socket } from 'node:net';
import { sleep } from './gateway.ts';

/** MQTT's variable byte integer [MQTT-2.2.3]. */
export function remainingLength(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

const str = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};

export const packet = (header: number, body: Buffer) =>
  Buffer.concat([Buffer.from([header]), remainingLength(body.length), body]);

/** CONNECT with client id = user; `clean` false keeps a persistent session. */
export function connectPacket(user: string, password: string, clean = true): Buffer {
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, clean ? 0xc2 : 0xc0, 0, 60])]);
  return packet(0x10, Buffer.concat([variable, str(user), str(user), str(password)]));
}

export function publishPacket(qos: 1 | 2, topic: string, id: number, payload: string, dup: boolean): Buffer {
  return packet(
    0x30 | (qos << 1) | (dup ? 0x08 : 0),
    Buffer.concat([str(topic), Buffer.from([id >> 8, id & 0xff]), Buffer.from(payload)]),
  );
}

export const CONNACK_ACCEPTED = [0x20, 0x02, 0x00, 0x00];
export const puback = (id: number) => [0x40, 0x02, id >> 8, id & 0xff];
export const pubrec = (id: number) => [0x50, 0x02, id >> 8, id & 0xff];

export interface RawClient {
  readonly socket: Socket;
  /** How often `bytes` occur in what was received so far, once at least once (0 after the timeout). */
  seen(bytes: number[], timeoutMs?: number): Promise<number>;
  /** Forgets what was received (so the next seen() counts only new packets). */
  reset(): void;
}

export function rawClient(port: number): RawClient {
  const received: Buffer[] = [];
  const socket = connect(port, '127.0.0.1');
  socket.on('data', (d) => received.push(d));
  socket.on('error', () => {});
  return {
    socket,
    async seen(bytes, timeoutMs = 3000) {
      const want = Buffer.from(bytes);
      for (let waited = 0; waited < timeoutMs; waited += 20) {
        const all = Buffer.concat(received);
        let count = 0;
        for (let i = all.indexOf(want); i !== -1; i = all.indexOf(want, i + 1)) count++;
        if (count > 0) return count;
        await sleep(20);
      }
      return 0;
    },
    reset() {
      received.length = 0;
    },
  };
}
