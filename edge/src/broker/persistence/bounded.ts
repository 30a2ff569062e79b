/**
 * aedes' session store with bounds. aedes-persistence's memory store keeps retained messages
 * and every persistent session's queue of QoS>0 messages without limit, so one subscriber
 * that stays offline (or one publisher of retained topics) grows the gateway's heap forever.
 *
 * Retained: at most `maxRetainedMessages` topics and `maxRetainedBytes` (topic + payload);
 * a new topic beyond either is refused (counted). A replacement that no longer fits removes
 * the old value too: a stale alert state is worse than none. The gateway's own alert
 * retains replace per topic, so their footprint is one entry per series.
 *
 * Queues: this store owns the outgoing queues (aedes-persistence's are private), with the
 * memory store's semantics, bounded per session by `maxQueuedMessages` and `maxQueuedBytes`.
 * At the cap the OLDEST message is dropped (counted): queued messages are commands and
 * alerts, and the newest is the one that still means something when the device returns.
 * Refusing the newest would also break aedes' live path, which enqueues every QoS>0 message
 * for an online persistent subscriber and disconnects it when the update of that entry fails.
 * The queue holds a connected persistent client's deliveries awaiting PUBACK too, so it is
 * also that client's in-flight bound.
 *
 * Everything else (subscriptions, wills, QoS 2 dedup) is the memory store's. `removeSession`
 * drops a session's subscriptions, queue and QoS 2 state (expiry and eviction, sessions.ts).
 */
import { Readable } from 'node:stream';
import type { Client } from 'aedes';
import memoryPersistence from 'aedes-persistence';

// A CommonJS module whose typings declare its export as `default`: under Node's ESM
// interop the default import is the factory itself.
const createMemoryPersistence = memoryPersistence as unknown as () => object;

export interface PersistenceBounds {
  readonly maxRetainedMessages: number;
  readonly maxRetainedBytes: number;
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
}

export interface PersistenceEvents {
  /** A retained message was not stored (the retained store is at a cap). */
  onRetainedRefused(topic: string): void;
  /** A queued message of `clientId`'s session was dropped to make room. */
  onQueuedDropped(clientId: string): void;
}

/** What aedes hands to and reads back from the store (an aedes-packet Packet). */
export interface StoredPacket {
  cmd: string;
  topic: string;
  payload: Buffer | string;
  qos: number;
  retain: boolean;
  dup: boolean;
  brokerId?: string | undefined;
  brokerCounter?: number | undefined;
  messageId?: number | undefined;
  [field: string]: unknown;
}

interface ClientRef {
  readonly id: string;
}

class OutgoingQueue {
  packets: StoredPacket[] = [];
  bytes = 0;
}

function packetBytes(packet: StoredPacket): number {
  return packet.topic.length + packet.payload.length;
}

/**
 * A copy for the queue, as aedes-packet makes it: QoS>0, so no packet id until aedes
 * assigns one on delivery (outgoingUpdate).
 */
function queuedCopy(packet: StoredPacket): StoredPacket {
  const copy: StoredPacket = {
    cmd: packet.cmd || 'publish',
    brokerId: packet.brokerId,
    brokerCounter: packet.brokerCounter,
    topic: packet.topic,
    payload: packet.payload || Buffer.alloc(0),
    qos: packet.qos || 0,
    retain: packet.retain || false,
    dup: packet.dup || false,
    messageId: undefined,
  };
  for (const field of ['clientId', 'nl', 'properties', 'messageExpiry'] as const) {
    if (Object.hasOwn(packet, field)) copy[field] = packet[field];
  }
  return copy;
}

/** The memory store's methods as aedes calls them: without a callback they return promises. */
type Promised = Record<string, (...args: unknown[]) => Promise<unknown> | Readable>;

export class BoundedPersistence {
  readonly #inner: object;
  readonly #call: Promised;
  readonly #bounds: PersistenceBounds;
  readonly #events: PersistenceEvents;
  readonly #retainedBytesByTopic = new Map<string, number>();
  #retainedBytes = 0;
  readonly #outgoing = new Map<string, OutgoingQueue>();

  constructor(bounds: PersistenceBounds, events: PersistenceEvents) {
    this.#inner = createMemoryPersistence();
    this.#call = this.#inner as unknown as Promised;
    this.#bounds = bounds;
    this.#events = events;
  }

  get broker(): unknown {
    return (this.#inner as unknown as { broker: unknown }).broker;
  }

  /** aedes checks that this is an async function. */
  async setup(broker: unknown): Promise<void> {
    await this.#call.setup?.(broker);
  }

  stats(): { retainedMessages: number; retainedBytes: number; sessionsQueued: number } {
    return {
      retainedMessages: this.#retainedBytesByTopic.size,
      retainedBytes: this.#retainedBytes,
      sessionsQueued: this.#outgoing.size,
    };
  }

  // --- retained -------------------------------------------------------------------------

  async storeRetained(packet: StoredPacket): Promise<void> {
    const topic = packet.topic;
    const previous = this.#retainedBytesByTopic.get(topic);
    if (packet.payload.length === 0) {
      this.#forgetRetained(topic, previous);
      await this.#call.storeRetained?.(packet);
      return;
    }
    const size = packetBytes(packet);
    const count = this.#retainedBytesByTopic.size + (previous === undefined ? 1 : 0);
    const bytes = this.#retainedBytes - (previous ?? 0) + size;
    if (count > this.#bounds.maxRetainedMessages || bytes > this.#bounds.maxRetainedBytes) {
      this.#events.onRetainedRefused(topic);
      if (previous !== undefined) {
        this.#forgetRetained(topic, previous);
        await this.#call.storeRetained?.({ ...packet, payload: Buffer.alloc(0) });
      }
      return;
    }
    this.#retainedBytesByTopic.set(topic, size);
    this.#retainedBytes = bytes;
    await this.#call.storeRetained?.(packet);
  }

  #forgetRetained(topic: string, previous: number | undefined): void {
    if (previous === undefined) return;
    this.#retainedBytesByTopic.delete(topic);
    this.#retainedBytes -= previous;
  }

  createRetainedStream(pattern: string): Readable {
    return this.#call.createRetainedStream?.(pattern) as Readable;
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    return this.#call.createRetainedStreamCombi?.(patterns) as Readable;
  }

  // --- outgoing queues ------------------------------------------------------------------

  async outgoingEnqueue(sub: { clientId: string }, packet: StoredPacket): Promise<void> {
    this.#enqueue(sub.clientId, packet);
  }

  async outgoingEnqueueCombi(subs: ReadonlyArray<{ clientId: string }>, packet: StoredPacket): Promise<void> {
    for (let i = 0; i < subs.length; i++) this.#enqueue((subs[i] as { clientId: string }).clientId, packet);
  }

  #enqueue(clientId: string, packet: StoredPacket): void {
    const size = packetBytes(packet);
    if (size > this.#bounds.maxQueuedBytes) {
      // Never fits: dropping the queue for it would lose everything and still not help.
      this.#events.onQueuedDropped(clientId);
      return;
    }
    let queue = this.#outgoing.get(clientId);
    if (queue === undefined) {
      queue = new OutgoingQueue();
      this.#outgoing.set(clientId, queue);
    }
    while (
      queue.packets.length > 0 &&
      (queue.packets.length >= this.#bounds.maxQueuedMessages ||
        queue.bytes + size > this.#bounds.maxQueuedBytes)
    ) {
      const oldest = queue.packets.shift() as StoredPacket;
      queue.bytes -= packetBytes(oldest);
      this.#events.onQueuedDropped(clientId);
    }
    queue.packets.push(queuedCopy(packet));
    queue.bytes += size;
  }

  /**
   * Records the packet id aedes gave a queued message on delivery (memory-store semantics).
   * A message no longer queued (dropped at the cap, or never queued: larger than the cap)
   * is not an error here, unlike in the memory store: aedes would disconnect the online
   * subscriber for it; instead the message is delivered live, once, without redelivery.
   */
  async outgoingUpdate(client: ClientRef, packet: StoredPacket): Promise<void> {
    const queue = this.#outgoing.get(client.id);
    const packets = queue?.packets ?? [];
    for (let i = 0; i < packets.length; i++) {
      const queued = packets[i] as StoredPacket;
      if (queued.brokerId === packet.brokerId) {
        if (queued.brokerCounter === packet.brokerCounter) {
          queued.messageId = packet.messageId;
          return;
        }
        // Same broker, another message: packet ids wrap, so keep looking.
      } else if (queued.messageId === packet.messageId) {
        (queue as OutgoingQueue).bytes += packetBytes(packet) - packetBytes(queued);
        packets[i] = packet;
        return;
      }
    }
  }

  async outgoingClearMessageId(client: ClientRef, packet: { messageId?: number | undefined }) {
    const queue = this.#outgoing.get(client.id);
    if (queue === undefined) return undefined;
    const packets = queue.packets;
    for (let i = 0; i < packets.length; i++) {
      const queued = packets[i] as StoredPacket;
      if (queued.messageId === packet.messageId) {
        packets.splice(i, 1);
        queue.bytes -= packetBytes(queued);
        if (packets.length === 0) this.#outgoing.delete(client.id);
        return queued;
      }
    }
    return undefined;
  }

  outgoingStream(client: ClientRef): Readable {
    // A snapshot: aedes clears entries while it streams them.
    return Readable.from([...(this.#outgoing.get(client.id)?.packets ?? [])]);
  }

  /** Queued messages of one session (tests and stats). */
  queuedCount(clientId: string): number {
    return this.#outgoing.get(clientId)?.packets.length ?? 0;
  }

  // --- sessions -------------------------------------------------------------------------

  /** Forgets a persistent session: subscriptions, queued messages, QoS 2 dedup state. */
  async removeSession(clientId: string): Promise<void> {
    const ref = { id: clientId };
    this.#outgoing.delete(clientId);
    await this.#call.cleanSubscriptions?.(ref);
    await this.#call.cleanIncoming?.(ref);
  }

  // --- delegated as is ------------------------------------------------------------------

  addSubscriptions(client: Client, subs: unknown[]) {
    return this.#call.addSubscriptions?.(client, subs);
  }
  removeSubscriptions(client: Client, subs: unknown[]) {
    return this.#call.removeSubscriptions?.(client, subs);
  }
  subscriptionsByClient(client: ClientRef) {
    return this.#call.subscriptionsByClient?.(client);
  }
  countOffline() {
    return this.#call.countOffline?.();
  }
  subscriptionsByTopic(pattern: string) {
    return this.#call.subscriptionsByTopic?.(pattern);
  }
  cleanSubscriptions(client: ClientRef) {
    return this.#call.cleanSubscriptions?.(client);
  }
  incomingStorePacket(client: ClientRef, packet: StoredPacket) {
    return this.#call.incomingStorePacket?.(client, packet);
  }
  incomingGetPacket(client: ClientRef, packet: StoredPacket) {
    return this.#call.incomingGetPacket?.(client, packet);
  }
  incomingDelPacket(client: ClientRef, packet: StoredPacket) {
    return this.#call.incomingDelPacket?.(client, packet);
  }
  cleanIncoming(client: ClientRef) {
    return this.#call.cleanIncoming?.(client);
  }
  putWill(client: ClientRef, packet: StoredPacket) {
    return this.#call.putWill?.(client, packet);
  }
  getWill(client: ClientRef) {
    return this.#call.getWill?.(client);
  }
  delWill(client: ClientRef) {
    return this.#call.delWill?.(client);
  }
  streamWill(brokers: unknown) {
    return this.#call.streamWill?.(brokers);
  }
  getClientList(topic: string) {
    return this.#call.getClientList?.(topic);
  }
  async destroy(): Promise<void> {
    this.#outgoing.clear();
    await this.#call.destroy?.();
  }
}
