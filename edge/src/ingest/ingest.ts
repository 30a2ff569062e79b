/**
 * The publish path for `sensors/...`: parse, count, append to the outbox, feed the rules.
 *
 * Acknowledgement: `done` is aedes' authorizePublish callback, and aedes writes the PUBACK
 * (QoS 1) or PUBREC (QoS 2) only after it is called (lib/handlers/publish.js runs
 * authorizePublish, then enqueuePublish writes the ack). So for QoS 1/2 `done` is kept with
 * the readings and called from the outbox's durability callback: the ack goes out once the
 * readings are fsynced, with no closure or promise per packet (one per flush, see below).
 * A durability failure reaches aedes as an
 * error, which closes the connection without an ack (MQTT 3.1.1 has no negative PUBACK), so
 * the device retries. QoS 0 is appended without waiting.
 *
 * Rejected input is acknowledged anyway: the message can never become valid, and a device
 * that never gets its PUBACK retransmits it forever (and stalls its in-flight window). The
 * rejection is counted per reason and logged at a bounded rate instead.
 */
import type { Clock, Reading } from '@edgeflow/shared';
import type { Logger } from 'pino';
import type { BrokerMetrics } from '../ops/metrics.ts';
import type { TokenBucket } from '../ops/rate-limit.ts';
import { type IngestLimits, parsePublish } from './parse.ts';
import type { UnsequencedReading } from './types.ts';

/** The write side of the outbox, as the ingest path uses it. */
export interface ReadingSink {
  appendReadings(readings: readonly UnsequencedReading[], onDurable: (err: Error | null) => void): Reading[];
}

export interface IngestDeps {
  readonly sink: ReadingSink;
  readonly clock: Clock;
  readonly limits: IngestLimits;
  readonly metrics: BrokerMetrics;
  readonly logger: Logger;
  readonly rejectLog: TokenBucket;
  readonly onReadings: (readings: readonly Reading[]) => void;
}

function ignoreDurability(): void {}

type Ack = (err?: Error | null) => void;

/** Readings of one flush share one outbox record; past this many the flush happens at once. */
export const MAX_READINGS_PER_APPEND = 2048;

/**
 * Publishes are grouped per event-loop turn: aedes hands over every PUBLISH of a socket
 * read synchronously, so all readings parsed in one turn (across all clients) go to the
 * outbox as one append, flushed in the check phase right after. One record (one frame, one
 * CRC, one entry for the forwarder to read back) per turn instead of per message is what
 * keeps the outbox and forwarder cheap at 10k+ messages/s; the delay it adds is well under
 * a millisecond. Arrival order is kept, so sequence numbers still follow it.
 */
export class Ingest {
  readonly #deps: IngestDeps;
  #readings: UnsequencedReading[] = [];
  #acks: Ack[] = [];
  #scheduled = false;
  /** Appends whose acks wait for durability; shutdown waits for them so the PUBACKs go out. */
  #awaitingDurability = 0;
  #onIdle: Array<() => void> = [];
  readonly #flushBound = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(deps: IngestDeps) {
    this.#deps = deps;
  }

  onPublish(topic: string, payload: Buffer, qos: number, clientId: string, done: Ack): void {
    const deps = this.#deps;
    const result = parsePublish(topic, payload, deps.clock.nowMs(), deps.limits);
    if (typeof result === 'string') {
      deps.metrics.readingsRejected[result].inc();
      const suppressed = deps.rejectLog.take();
      if (suppressed >= 0) {
        deps.logger.warn(
          { reason: result, topic: topic.slice(0, 200), clientId, payloadBytes: payload.length, suppressed },
          'reading rejected',
        );
      }
      done(null);
      return;
    }
    for (let i = 0; i < result.length; i++) this.#readings.push(result[i] as UnsequencedReading);
    if (qos > 0) this.#acks.push(done);
    else done(null);
    if (this.#readings.length >= MAX_READINGS_PER_APPEND) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushBound);
    }
  }

  /** Appends what is pending as one outbox record, then runs the rules over it. */
  flush(): void {
    const readings = this.#readings;
    if (readings.length === 0) return;
    const acks = this.#acks;
    this.#readings = [];
    this.#acks = [];
    const deps = this.#deps;
    let sequenced: Reading[];
    try {
      sequenced = deps.sink.appendReadings(
        readings,
        acks.length === 0 ? ignoreDurability : this.#ackAll(acks),
      );
    } catch (err) {
      // e.g. the outbox is closing during shutdown: no ack, the devices retry later.
      deps.metrics.durabilityFailures.inc();
      for (const ack of acks) ack(err as Error);
      return;
    }
    deps.metrics.readingsAccepted.inc(sequenced.length);
    deps.onReadings(sequenced);
  }

  /**
   * Flushes, then resolves once every acknowledged-on-durability append has been answered
   * (or after `timeoutMs`). Used at shutdown, after clients are paused.
   */
  async settle(timeoutMs: number): Promise<void> {
    this.flush();
    if (this.#awaitingDurability === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#onIdle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #ackAll(acks: Ack[]): (err: Error | null) => void {
    this.#awaitingDurability++;
    return (err) => {
      for (let i = 0; i < acks.length; i++) (acks[i] as Ack)(err);
      if (--this.#awaitingDurability === 0 && this.#onIdle.length > 0) {
        for (const resolve of this.#onIdle.splice(0)) resolve();
      }
    };
  }
}
