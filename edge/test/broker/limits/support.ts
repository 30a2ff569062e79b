/** Raw-socket helpers for the limit tests: bytes on the wire without an MQTT client's help. */
import { connect, type Socket } from 'node:net';
import { remainingLength } from '../../helpers/raw-mqtt.ts';

export { remainingLength };

/** A CONNECT fixed header declaring `declaredBytes` of body, plus the start of a 3.1.1 body. */
export function connectHeader(declaredBytes: number): Buffer {
  const body = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(declaredBytes), body]);
}

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** True once the peer has closed `socket` (or it errored), false after `timeoutMs`. */
export function socketClosedWithin(socket: Socket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve(true);
    socket.on('error', () => undefined);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('close', done);
    socket.once('end', done);
  });
}

export { selfSignedCert } from '../../helpers/tls.ts';
