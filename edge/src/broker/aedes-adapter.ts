/**
 * Every use of aedes beyond its documented hooks, in one file. Each is pinned by
 * edge/test/broker/aedes-adapter.test.ts, which fails if an aedes upgrade changes it.
 *
 * - Packet mutation inside authorizePublish: aedes reads `qos` and `retain` of the packet
 *   only after the hook (lib/handlers/publish.js, then aedes.js publish/storeRetained).
 * - Undeliverable marks: every copy aedes makes of a published packet (aedes-packet, on
 *   publish, per subscription, per queued and retained message) keeps the payload Buffer by
 *   reference, so a mark on the payload is seen by authorizeForward on every path.
 * - The SUBSCRIBE rewrite through the client's packet parser (`client._parser`).
 * - The store aedes keeps QoS 2 dedup state in (`client.broker.persistence`).
 */
import type { Client, PublishPacket } from 'aedes';

interface ParsedPacket {
  cmd: string;
  subscriptions?: Array<{ topic: string; qos: number }>;
}

type ParserListener = (packet: ParsedPacket) => void;

/**
 * Runs `rewrite` on each SUBSCRIBE's filters before aedes reads them (aedes fixes the
 * granted QoS before calling authorizeSubscribe). False when this aedes has no per-client
 * parser; callers keep a fallback that still bounds delivery.
 */
export function rewriteSubscriptions(
  client: Client,
  rewrite: (sub: { topic: string; qos: number }) => void,
): boolean {
  const parser = (
    client as unknown as { _parser?: { prependListener?: (e: string, l: ParserListener) => void } }
  )._parser;
  if (typeof parser?.prependListener !== 'function') return false;
  parser.prependListener('packet', (packet) => {
    if (packet.cmd !== 'subscribe' || !packet.subscriptions) return;
    for (const sub of packet.subscriptions) rewrite(sub);
  });
  return true;
}

/** From here aedes handles the PUBLISH as QoS 0: no PUBACK of its own, no queueing. */
export function handleAsQoS0(packet: PublishPacket): void {
  (packet as { qos: number }).qos = 0;
}

/** Clears the retain flag before aedes stores it; true when it was set. */
export function stripRetain(packet: PublishPacket): boolean {
  if (!packet.retain) return false;
  (packet as { retain: boolean }).retain = false;
  return true;
}

const undeliverable = new WeakSet<object>();

/** aedes still handles (and acknowledges) the PUBLISH, but delivers it to nobody. */
export function markUndeliverable(packet: PublishPacket): void {
  if (typeof packet.payload === 'object') undeliverable.add(packet.payload);
}

export function isUndeliverable(packet: { payload: unknown }): boolean {
  const payload = packet.payload;
  return typeof payload === 'object' && payload !== null && undeliverable.has(payload);
}

interface IncomingStore {
  incomingGetPacket(client: Client, packet: PublishPacket): Promise<unknown>;
}

/** The store in which aedes keeps the QoS 2 PUBLISHes it has already received. */
export function incomingStoreOf(client: Client): IncomingStore {
  return (client as unknown as { broker: { persistence: IncomingStore } }).broker.persistence;
}
