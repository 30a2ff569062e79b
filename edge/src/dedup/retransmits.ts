/**
 * QoS 1 retransmissions: a device that did not get its PUBACK (the connection dropped after
 * the gateway made the reading durable) sends the same PUBLISH again with DUP set and the
 * same packet id, on the new connection of its persistent session or on the same one. The
 * first copy is in the outbox already; appending the second would store the reading twice.
 *
 * Remembered per client id (bound to the device's identity at CONNECT, so one device cannot
 * consult or fill another's memory): the last `perClient` accepted QoS 1 publishes, as packet
 * id -> topic and a 32-bit hash of the payload. A client can have no more unacknowledged
 * publishes than packet ids it has used recently, so the retransmitted one is among its last
 * few; the topic and hash guard against a packet id the client reused for a new message.
 *
 * Bounded: `perClient` entries per client, `maxClients` clients (the one first remembered
 * is forgotten first, counted through `onOverflow`; insertion order, so the hot path does
 * not reorder a map per publish). Memory only: after a gateway restart a
 * retransmission of a reading made durable before the crash is stored again (at-least-once,
 * as before); the same-reading window (same-reading.ts) still catches device-timestamped ones.
 */

/** One client's last packet ids, a ring: written in place, scanned on DUP only. */
interface Ring {
  readonly ids: Int32Array;
  readonly hashes: Uint32Array;
  readonly topics: string[];
  next: number;
}

export interface RetransmitMemoryOptions {
  readonly perClient: number;
  readonly maxClients: number;
  readonly onOverflow?: () => void;
}

/** FNV-1a over the payload: cheap on the hot path (tens of bytes), and only compared on DUP. */
export function payloadHash(payload: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < payload.length; i++) {
    h ^= payload[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class RetransmitMemory {
  readonly #perClient: number;
  readonly #maxClients: number;
  readonly #onOverflow: () => void;
  /** client id -> its ring; insertion order is the eviction order. */
  readonly #clients = new Map<string, Ring>();

  constructor(options: RetransmitMemoryOptions) {
    if (!(options.perClient >= 1) || !(options.maxClients >= 1)) {
      throw new RangeError(
        `retransmit memory needs perClient >= 1, maxClients >= 1: ${JSON.stringify(options)}`,
      );
    }
    this.#perClient = options.perClient;
    this.#maxClients = options.maxClients;
    this.#onOverflow = options.onOverflow ?? (() => {});
  }

  /** Clients remembered (for tests and the memory benchmark). */
  get clients(): number {
    return this.#clients.size;
  }

  /** True when `clientId` already sent (and the gateway accepted) this packet id with this content. */
  isRetransmit(clientId: string, messageId: number, topic: string, hash: number): boolean {
    const ring = this.#clients.get(clientId);
    if (ring === undefined) return false;
    const { ids } = ring;
    // Newest first (a packet id the client reused is answered by its latest content): from
    // the slot before `next` down to 0, then from the end down to `next`.
    for (let i = ring.next - 1; i >= 0; i--) {
      if (ids[i] === messageId) return ring.hashes[i] === hash && ring.topics[i] === topic;
    }
    for (let i = ids.length - 1; i >= ring.next; i--) {
      if (ids[i] === messageId) return ring.hashes[i] === hash && ring.topics[i] === topic;
    }
    return false;
  }

  /** Records an accepted QoS 1 publish. */
  remember(clientId: string, messageId: number, topic: string, hash: number): void {
    let ring = this.#clients.get(clientId);
    if (ring === undefined) {
      if (this.#clients.size >= this.#maxClients) {
        this.#clients.delete(this.#clients.keys().next().value as string);
        this.#onOverflow();
      }
      // 0 is no packet id MQTT allows for QoS 1, so a fresh ring matches nothing.
      ring = {
        ids: new Int32Array(this.#perClient),
        hashes: new Uint32Array(this.#perClient),
        topics: new Array<string>(this.#perClient).fill(''),
        next: 0,
      };
      this.#clients.set(clientId, ring);
    }
    const i = ring.next;
    ring.ids[i] = messageId;
    ring.hashes[i] = hash;
    ring.topics[i] = topic;
    ring.next = (i + 1) % this.#perClient;
  }

  /**
   * Forgets everything: called when an append could not be made durable. Those publishes were
   * never acknowledged and their retransmissions must be stored, not dropped; a duplicate is
   * the safe side of that trade.
   */
  clear(): void {
    this.#clients.clear();
  }
}
