/**
 * The one place that reaches into aedes' and mqtt-packet's private fields for the broker's
 * limits (covered by edge/test/broker/limits/adapter.test.ts, which fails if their shape
 * changes).
 *
 * Why: mqtt-packet's parser learns a packet's size from the fixed header and then buffers
 * the body until all of it has arrived, up to the protocol's 256 MiB, before aedes sees a
 * packet; a client can do that before it has authenticated. aedes offers no size limit.
 *
 * What: each client's parser gets its `_parseLength` state replaced by one function shared
 * by every client of the broker. It runs the parser's own step, then compares the declared
 * remaining length with the cap (a small one until the client's CONNECT has completed, the
 * configured one after) and fails the parser when it is over: aedes closes the socket at
 * once, with at most one socket read buffered. No allocation per packet, one comparison.
 */
import type { Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { EdgeError, EdgeErrorCodes } from '../../errors.ts';

/** The largest remaining length MQTT can encode [MQTT-2.2.3]: a cap of this is no cap. */
export const MQTT_MAX_PACKET_BYTES = 268_435_455;

/** Allowance for a PUBLISH's topic (sensors/<64>/<32> is 105 bytes; commands/... may be longer). */
export const MAX_TOPIC_BYTES = 256;
/** Topic length prefix, packet identifier, and MQTT 5 properties. */
export const PUBLISH_OVERHEAD_BYTES = 64;

/** The post-CONNECT cap when none is configured: the largest PUBLISH ingest can accept. */
export function derivedMaxPacketBytes(maxPayloadBytes: number): number {
  return maxPayloadBytes + MAX_TOPIC_BYTES + PUBLISH_OVERHEAD_BYTES;
}

export interface PacketCaps {
  /** Remaining length allowed until the client's CONNECT has completed (CONNACK sent). */
  readonly maxConnectPacketBytes: number;
  /** Remaining length allowed afterwards. */
  readonly maxPacketBytes: number;
}

export interface PacketGuardEvents {
  /** A packet declared `declaredBytes`; its client is being disconnected. */
  onOversize(client: Client, declaredBytes: number, connected: boolean): void;
}

/** What the guard uses of mqtt-packet's Parser (9.x). */
interface Parser {
  packet: { length: number };
  error: Error | null;
  client?: AedesClientInternals;
  _parseLength(): boolean;
  _emitError(err: Error): void;
  _states: string[];
}

/** What the guard uses of aedes' Client (1.x). */
interface AedesClientInternals {
  connected: boolean;
  _parser?: Parser;
}

const parserPrototype = Object.getPrototypeOf(mqttPacket.parser()) as Parser;

/** Why the installed aedes / mqtt-packet cannot be guarded, or undefined when they can. */
export function unsupportedReason(client?: Client): string | undefined {
  const proto = parserPrototype;
  if (typeof proto._parseLength !== 'function' || typeof proto._emitError !== 'function') {
    return 'mqtt-packet Parser has no _parseLength/_emitError';
  }
  const probe = mqttPacket.parser() as unknown as Parser;
  if (!Array.isArray(probe._states) || !probe._states.includes('_parseLength')) {
    return 'mqtt-packet Parser does not dispatch through _states';
  }
  if (typeof probe.packet?.length !== 'number') return 'mqtt-packet Parser has no packet.length';
  if (client !== undefined) {
    const parser = (client as unknown as AedesClientInternals)._parser;
    if (parser === undefined || Object.getPrototypeOf(parser) !== proto) {
      return "aedes' client has no _parser of the mqtt-packet this gateway loads";
    }
    if (parser.client !== (client as unknown as AedesClientInternals)) {
      return "aedes' client parser does not point back at its client";
    }
    if (typeof (client as unknown as AedesClientInternals).connected !== 'boolean') {
      return "aedes' client has no connected flag";
    }
  }
  return undefined;
}

export interface PacketGuard {
  /** Guards a client aedes has just created, before it has read a byte. */
  install(client: Client): void;
}

/**
 * Throws EDGEFLOW_EDGE_UNSUPPORTED_LIBRARY at start-up when the libraries changed shape:
 * running without the guard would silently reopen the hole.
 */
export function createPacketGuard(caps: PacketCaps, events: PacketGuardEvents): PacketGuard {
  const reason = unsupportedReason();
  if (reason !== undefined) {
    throw new EdgeError(EdgeErrorCodes.UNSUPPORTED_LIBRARY, `cannot limit MQTT packet size: ${reason}`);
  }
  const parseLength = parserPrototype._parseLength;
  const { maxConnectPacketBytes, maxPacketBytes } = caps;
  // One function for every client: `this` is the client's parser.
  function guardedParseLength(this: Parser): boolean {
    if (!parseLength.call(this)) return false;
    const client = this.client as AedesClientInternals;
    const declared = this.packet.length;
    if (declared <= (client.connected ? maxPacketBytes : maxConnectPacketBytes)) return true;
    events.onOversize(client as unknown as Client, declared, client.connected);
    // The parser stops at its error; aedes turns the parser's 'error' into a socket close.
    this._emitError(
      new EdgeError(
        EdgeErrorCodes.PACKET_TOO_LARGE,
        `packet of ${declared} bytes over the limit of ${client.connected ? maxPacketBytes : maxConnectPacketBytes}`,
      ),
    );
    return false;
  }
  return {
    install(client) {
      const parser = (client as unknown as AedesClientInternals)._parser;
      if (parser === undefined || Object.getPrototypeOf(parser) !== parserPrototype) {
        // Fail closed: an unguarded client could stream 256 MiB.
        client.conn.destroy(
          new EdgeError(EdgeErrorCodes.UNSUPPORTED_LIBRARY, 'cannot limit MQTT packet size for this client'),
        );
        return;
      }
      parser._parseLength = guardedParseLength;
    },
  };
}

const CONNECT_TIMEOUT_MESSAGE = 'connect did not arrive in time';

/** aedes reports its connect timeout as a connection error with this message (aedes 1.x). */
export function isConnectTimeout(err: Error): boolean {
  return err.message === CONNECT_TIMEOUT_MESSAGE;
}
