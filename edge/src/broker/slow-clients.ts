/**
 * Bounded delivery per subscriber, so a slow reader never slows ingest.
 *
 * Why: aedes hands each matching message to the subscriber's deliver function and mqemitter
 * waits for its callback, which aedes fires only once the socket has drained. One subscriber
 * that stops reading therefore holds mqemitter's concurrency slots, every later publish
 * queues in mqemitter's unbounded array (ingest collapses, memory climbs), and when that
 * subscriber finally disconnects the queue is released by synchronous recursion
 * (`released -> _do -> released`) until `RangeError: Maximum call stack size exceeded`.
 *
 * What: each client's deliver functions are wrapped at CONNECT (before any SUBSCRIBE is
 * handled, so every subscription captures the wrapper). The wrapper acknowledges mqemitter
 * at once, so the emitter never queues, and keeps its own bound instead: once the client's
 * socket is backed up (writableNeedDrain), a message is dropped for that client only
 * (counted) when `maxBufferedBytes` already wait in the socket's write buffer or
 * `maxQueuedMessages` deliveries wait to be written. A healthy reader is never limited: a
 * burst of deliveries scheduled within one tick is bounded by the burst itself. A client
 * whose socket makes no progress (no 'drain') for `undrainedTimeoutMs` is disconnected
 * (counted); its backlog is then at most the bounds above, released asynchronously by aedes.
 *
 * This is also the in-flight bound for QoS>0 deliveries to a clean session: aedes keeps no
 * state for them once written (no retransmission store), so what awaits a PUBACK is only
 * what sits in the socket. For a persistent session every QoS>0 delivery stays in its
 * queue until PUBACKed, bounded by persistence/bounded.ts (maxQueuedPerSession).
 */
import type { Client } from 'aedes';

export interface SlowClientOptions {
  readonly maxQueuedMessages: number;
  readonly maxBufferedBytes: number;
  readonly undrainedTimeoutMs: number;
}

export interface SlowClientEvents {
  /** A message was not delivered to `client` because its queue was full. */
  onMessageDropped(client: Client): void;
  /** `client` stayed undrained past the timeout and is being disconnected. */
  onClientDropped(client: Client, queued: number, bufferedBytes: number): void;
}

type Deliver = (packet: unknown, cb: () => void) => void;

interface DeliveringClient {
  deliver0: Deliver;
  deliverQoS: Deliver;
  closed: boolean;
  conn: Client['conn'] & { writableLength: number; writableNeedDrain: boolean };
}

export function guardDelivery(client: Client, options: SlowClientOptions, events: SlowClientEvents): void {
  new DeliveryGuard(client, options, events);
}

class DeliveryGuard {
  readonly #client: Client;
  readonly #target: DeliveringClient;
  readonly #options: SlowClientOptions;
  readonly #events: SlowClientEvents;
  #queued = 0;
  #timer: NodeJS.Timeout | null = null;
  /** Called by aedes once a delivery has been written (or failed); one bound function per client. */
  readonly #onWritten = (): void => {
    this.#queued--;
  };
  readonly #onDrain = (): void => {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  };
  readonly #onTimeout = (): void => {
    this.#timer = null;
    const conn = this.#target.conn;
    if (this.#target.closed || conn.destroyed) return;
    if (conn.writableNeedDrain) {
      this.#events.onClientDropped(this.#client, this.#queued, conn.writableLength);
      // aedes turns the socket close into client.close(): unsubscribe, will, unregister.
      conn.destroy();
    }
  };

  constructor(client: Client, options: SlowClientOptions, events: SlowClientEvents) {
    this.#client = client;
    this.#target = client as unknown as DeliveringClient;
    this.#options = options;
    this.#events = events;
    const deliver0 = this.#target.deliver0;
    const deliverQoS = this.#target.deliverQoS;
    this.#target.deliver0 = (packet, cb) => this.#deliver(deliver0, packet, cb);
    this.#target.deliverQoS = (packet, cb) => this.#deliver(deliverQoS, packet, cb);
    // Any progress by the reader restarts the clock: only a socket that made none for the
    // whole timeout is dropped.
    this.#target.conn.on('drain', this.#onDrain);
    this.#target.conn.once('close', () => {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
    });
  }

  #deliver(inner: Deliver, packet: unknown, cb: () => void): void {
    const target = this.#target;
    if (target.closed) {
      cb();
      return;
    }
    const conn = target.conn;
    // Only a socket that is actually backed up limits delivery: deliveries scheduled but not
    // yet written during a burst to a healthy reader are bounded by the burst itself.
    if (
      conn.writableNeedDrain &&
      (this.#queued >= this.#options.maxQueuedMessages ||
        conn.writableLength >= this.#options.maxBufferedBytes)
    ) {
      this.#events.onMessageDropped(this.#client);
      this.#arm();
      cb();
      return;
    }
    this.#queued++;
    inner.call(target, packet, this.#onWritten);
    if (conn.writableNeedDrain) this.#arm();
    // Acknowledge mqemitter now: the bound above, not the emitter's queue, holds the backlog.
    cb();
  }

  #arm(): void {
    if (this.#timer === null) {
      this.#timer = setTimeout(this.#onTimeout, this.#options.undrainedTimeoutMs);
      this.#timer.unref();
    }
  }
}
