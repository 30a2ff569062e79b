/**
 * The packet guard reaches into aedes' client (`_parser`, `connected`) and mqtt-packet's
 * parser (`_parseLength`, `_states`, `packet.length`, `_emitError`) and recognises aedes'
 * connect-timeout error by its message. These tests pin that shape on the installed versions:
 * an upgrade that changes it fails here, not silently in production.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import fc from 'fast-check';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPacketGuard,
  isConnectTimeout,
  MQTT_MAX_PACKET_BYTES,
  unsupportedReason,
} from '../../../src/broker/limits/packet-guard.ts';
import { EdgeErrorCodes } from '../../../src/errors.ts';
import { openSocket, remainingLength, socketClosedWithin } from './support.ts';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function rawAedes(options: { connectTimeout?: number } = {}) {
  const aedes = await Aedes.createBroker(options);
  const clients: Client[] = [];
  const server: Server = createServer((conn) => clients.push(aedes.handle(conn)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(async () => {
    server.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  });
  return { aedes, clients, port: (server.address() as AddressInfo).port };
}

describe('packet guard adapter (aedes 1.x, mqtt-packet 9.x)', () => {
  it('finds the parser fields it hooks on a real aedes client, before and after CONNECT', async () => {
    expect(unsupportedReason()).toBeUndefined();
    const { aedes, clients, port } = await rawAedes();
    const ready = once(aedes, 'clientReady');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    cleanup.push(() => client.endAsync(true));
    await ready;
    const [aedesClient] = clients as [Client];
    expect(unsupportedReason(aedesClient)).toBeUndefined();
    expect((aedesClient as unknown as { connected: boolean }).connected).toBe(true);
  });

  it('recognises the error aedes raises when CONNECT does not arrive in time', async () => {
    const { aedes, port } = await rawAedes({ connectTimeout: 50 });
    const errored = once(aedes, 'connectionError');
    const socket = await openSocket(port);
    cleanup.push(async () => void socket.destroy());
    const [, err] = (await errored) as [Client, Error];
    expect(isConnectTimeout(err)).toBe(true);
    expect(await socketClosedWithin(socket, 2000)).toBe(true);
  });

  it('fails the parser exactly when the declared length is over the cap for the client state', () => {
    fc.assert(
      fc.property(
        // From 1: a PUBLISH with no body at all is malformed, which mqtt-packet reports itself.
        fc.integer({ min: 1, max: MQTT_MAX_PACKET_BYTES }),
        fc.integer({ min: 64, max: MQTT_MAX_PACKET_BYTES }),
        fc.integer({ min: 64, max: MQTT_MAX_PACKET_BYTES }),
        fc.boolean(),
        (declared, maxConnectPacketBytes, maxPacketBytes, connected) => {
          const oversize: number[] = [];
          const guard = createPacketGuard(
            { maxConnectPacketBytes, maxPacketBytes },
            { onOversize: (_client, bytes) => oversize.push(bytes) },
          );
          const parser = mqttPacket.parser() as unknown as ReturnType<typeof mqttPacket.parser> & {
            client: unknown;
          };
          const client = { connected, _parser: parser, conn: { destroy: () => undefined } };
          parser.client = client;
          guard.install(client as unknown as Client);
          const errors: Error[] = [];
          parser.on('error', (err) => errors.push(err));
          // A PUBLISH fixed header; the body never arrives, so only the header is judged.
          parser.parse(Buffer.concat([Buffer.from([0x30]), remainingLength(declared)]));
          const over = declared > (connected ? maxPacketBytes : maxConnectPacketBytes);
          expect(oversize).toEqual(over ? [declared] : []);
          expect(errors.map((e) => (e as { code?: string }).code)).toEqual(
            over ? [EdgeErrorCodes.PACKET_TOO_LARGE] : [],
          );
        },
      ),
      { seed: 20261203, numRuns: 500 },
    );
  });

  it('still parses packets under the cap', () => {
    const guard = createPacketGuard(
      { maxConnectPacketBytes: 64, maxPacketBytes: 64 },
      { onOversize: () => undefined },
    );
    const parser = mqttPacket.parser() as unknown as ReturnType<typeof mqttPacket.parser> & {
      client: unknown;
    };
    const client = { connected: true, _parser: parser, conn: { destroy: () => undefined } };
    parser.client = client;
    guard.install(client as unknown as Client);
    const packets: unknown[] = [];
    parser.on('packet', (p) => packets.push(p));
    const publish = mqttPacket.generate({
      cmd: 'publish',
      topic: 'a/b',
      payload: Buffer.from('x'.repeat(20)),
      qos: 0,
      dup: false,
      retain: false,
    });
    parser.parse(Buffer.concat([publish, publish]));
    expect(packets).toHaveLength(2);
    expect(packets[1]).toMatchObject({ cmd: 'publish', topic: 'a/b' });
  });

  it('fails closed on a client whose parser it does not recognise', () => {
    const guard = createPacketGuard(
      { maxConnectPacketBytes: 64, maxPacketBytes: 64 },
      { onOversize: () => undefined },
    );
    const destroyed: Error[] = [];
    const client = { connected: false, _parser: {}, conn: { destroy: (err: Error) => destroyed.push(err) } };
    guard.install(client as unknown as Client);
    expect(destroyed.map((e) => (e as { code?: string }).code)).toEqual([EdgeErrorCodes.UNSUPPORTED_LIBRARY]);
  });
});
