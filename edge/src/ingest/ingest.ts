/**
 * The publish path for `sensors/...`: parse, count, append to the outbox, feed the rules.
 *
 * Acknowledgement only after durability. QoS 1 (the device path): the broker hook lets aedes
 * go on at once, treating the message as QoS 0 (no PUBACK of its own), and the PUBACK is
 * written by the gateway when the outbox reports the readings fsynced (PubackTarget). aedes
 * would otherwise read a client's next packets only once every packet of the current socket
 * read has been acked, so each client would stall for one disk flush per read. QoS 2 and
 * wills keep aedes' own flow: its authorizePublish callback is called once durable, and
 * aedes writes the PUBREC after it (lib/handlers/publish.js: authorizePublish, then
 * enqueuePublish). A durability failure disconnects the client without an ack (MQTT 3.1.1
 * has no negative PUBACK), so the device sends again. QoS 0 is appended without waiting.
 * No closure or promise per packet: pending acks are array slots, one closure per append.
 *
 * Rejected input is acknowledged anyway: the message can never become valid, and a device
 * that never gets its PUBACK retransmits it forever (and stalls its in-flight window). The
 * rejection is counted per reason and logged at a bounded rate instead, and the verdict is
 * returned at once so the broker hook delivers the message to no subscriber.
 */
import type { Clock, Reading } from '@edgeflow/shared';
import type { Logger } from 'pino';
import { payloadHash, type RetransmitMemory } from '../dedup/retransmits.ts';
import type { SameReadingWindow } from '../dedup/same-reading.ts';
import type { DeviceBuckets } from '../fairness/device-buckets.ts';
import type { UnsentQuota } from '../fairness/unsent-quota.ts';
import type { BrokerMetrics } from '../ops/metrics.ts';
import type { TokenBucket } from '../ops/rate-limit.ts';
import { type IngestLimits, parsePublish, type RejectReason } from './parse.ts';
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
  /** Readings per device (one token per reading; a message is taken or refused whole). */
  readonly readingLimit: DeviceBuckets;
  /** Cap on each device's unsent readings in the outbox; none when absent. */
  readonly unsentQuota?: UnsentQuota;
  readonly onReadings: (readings: readonly Reading[]) => void;
  /** QoS 1 retransmissions (DUP, same packet id and content) dropped; none when absent. */
  readonly retransmits?: RetransmitMemory;
  /** Device-timestamped readings sent twice dropped; none when absent. */
  readonly sameReading?: SameReadingWindow;
}

function ignoreDurability(): void {}

type Ack = (err?: Error | null) => void;

/**
 * Acknowledges QoS 1 PUBLISHes of one client directly (one object per client, so a pending
 * ack costs two array slots, not a closure): `puback` once the reading is durable, `fail`
 * when it cannot be made durable (the client is disconnected without its ack).
 */
export interface PubackTarget {
  puback(messageId: number): void;
  fail(err: Error): void;
}

/** Readings of one flush share one outbox record; past this many the flush happens at once. */
export const MAX_READINGS_PER_APPEND = 2048;

/**
 * Publishes are grouped per event-loop turn: aedes hands over every PUBLISH of a socket
 * read synchronously, so all readings parsed in one turn (across all clients) go to the
 * outbox as one append, flushed in the check phase right after. One record (one frame, one
 * CRC, one entry for the forwarder to read back) per turn instead of per message is what
 * keeps the outbox and forwarder cheap at 10k+ messages/s; the delay it adds is well under
 * a millisecond. Arrival order is kept, so sequence numbers and PUBACKs follow it.
 */
export class Ingest {
  readonly #deps: IngestDeps;
  #readings: UnsequencedReading[] = [];
  #acks: Ack[] = [];
  #pubackTargets: PubackTarget[] = [];
  #pubackIds: number[] = [];
  #scheduled = false;
  /** The latest append with acks owed; refused messages that follow are answered with it. */
  #last: AckGroup | undefined;
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

  /**
   * QoS 0 (done at once), QoS 2 and wills (done once durable: aedes then writes its ack).
   * False when refused (counted): `done` is then the caller's to call, once it has made sure
   * the refused message reaches no subscriber.
   */
  onPublish(topic: string, payload: Buffer, qos: number, clientId: string, done: Ack): boolean {
    if (!this.#accept(topic, payload, clientId)) return false;
    if (qos > 0) this.#acks.push(done);
    else done(null);
    this.#schedule();
    return true;
  }

  /**
   * QoS 1 acknowledged by the gateway itself: the caller has let aedes go on (it reads the
   * client's next packets meanwhile) and `target.puback(messageId)` is called once the
   * reading is durable. False when the input was refused (it is acknowledged all the same).
   */
  onPublishQoS1(
    topic: string,
    payload: Buffer,
    clientId: string,
    target: PubackTarget,
    messageId: number,
    dup = false,
  ): boolean {
    const retransmits = this.#deps.retransmits;
    const hash = retransmits === undefined ? 0 : payloadHash(payload);
    let accepted: boolean;
    if (dup && retransmits?.isRetransmit(clientId, messageId, topic, hash)) {
      // Its first copy is in the outbox: acknowledged (in turn, so after that copy is
      // durable if it is still pending), stored once, delivered to no subscriber again.
      this.#deps.metrics.duplicatesDropped.retransmit.inc();
      accepted = false;
    } else {
      accepted = this.#accept(topic, payload, clientId);
      if (accepted) retransmits?.remember(clientId, messageId, topic, hash);
    }
    // Refused input is acknowledged too, but in turn: after the PUBACKs of what the client
    // sent before it [MQTT-4.6.0-2].
    this.#pubackTargets.push(target);
    this.#pubackIds.push(messageId);
    this.#schedule();
    return accepted;
  }

  /** Parses and queues the readings; false (counted, logged at a bounded rate) when refused. */
  #accept(topic: string, payload: Buffer, clientId: string): boolean {
    const deps = this.#deps;
    const nowMs = deps.clock.nowMs();
    let result = parsePublish(topic, payload, nowMs, deps.limits);
    if (typeof result === 'string') return this.#reject(result, topic, payload, clientId);
    const window = deps.sameReading;
    if (window !== undefined) {
      result = this.#withoutSeen(result, window);
      if (result.length === 0) return false;
    }
    // Limited after parsing: only valid readings cost tokens, and all of a message's readings
    // belong to the device its topic names.
    const deviceId = (result[0] as UnsequencedReading).deviceId;
    if (!deps.readingLimit.take(deviceId, result.length, nowMs)) {
      return this.#reject('rate_limited', topic, payload, clientId);
    }
    if (deps.unsentQuota !== undefined && !deps.unsentQuota.admit(deviceId, result.length)) {
      return this.#reject('outbox_quota', topic, payload, clientId);
    }
    for (let i = 0; i < result.length; i++) {
      const r = result[i] as UnsequencedReading;
      // Only device-timestamped readings (rxMs set): a gateway-stamped value repeated is a
      // new reading of the same value.
      if (window !== undefined && r.rxMs !== undefined)
        window.remember(r.deviceId, r.metric, r.tsMs, r.value);
      this.#readings.push(r);
    }
    return true;
  }

  /** `readings` without those the window has seen (counted); the same array when none. */
  #withoutSeen(readings: UnsequencedReading[], window: SameReadingWindow): UnsequencedReading[] {
    let kept: UnsequencedReading[] | undefined;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i] as UnsequencedReading;
      const seen = r.rxMs !== undefined && window.seen(r.deviceId, r.metric, r.tsMs, r.value);
      if (seen) {
        this.#deps.metrics.duplicatesDropped.same_reading.inc();
        kept ??= readings.slice(0, i);
      } else if (kept !== undefined) kept.push(r);
    }
    return kept ?? readings;
  }

  /** Forgets what was seen: an append that failed must be resendable, not dropped as a copy. */
  #forgetSeen(): void {
    this.#deps.retransmits?.clear();
    this.#deps.sameReading?.clear();
  }

  #reject(reason: RejectReason, topic: string, payload: Buffer, clientId: string): false {
    const deps = this.#deps;
    deps.metrics.readingsRejected[reason].inc();
    const suppressed = deps.rejectLog.take();
    if (suppressed >= 0) {
      deps.logger.warn(
        { reason, topic: topic.slice(0, 200), clientId, payloadBytes: payload.length, suppressed },
        'reading rejected',
      );
    }
    return false;
  }

  #schedule(): void {
    if (this.#readings.length >= MAX_READINGS_PER_APPEND) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushBound);
    }
  }

  /** Appends what is pending as one outbox record, then runs the rules over it. */
  flush(): void {
    const readings = this.#readings;
    const acks = this.#acks;
    const targets = this.#pubackTargets;
    const ids = this.#pubackIds;
    const waiting = acks.length > 0 || targets.length > 0;
    if (readings.length === 0 && !waiting) return;
    this.#readings = [];
    this.#acks = [];
    this.#pubackTargets = [];
    this.#pubackIds = [];
    if (readings.length === 0) {
      // Only refused messages: acknowledge them after the group still being made durable.
      const last = this.#last;
      if (last !== undefined && !last.answered) {
        last.acks.push(...acks);
        last.targets.push(...targets);
        last.ids.push(...ids);
      } else {
        answer({ acks, targets, ids, answered: false }, null);
      }
      return;
    }
    const deps = this.#deps;
    const group: AckGroup = { acks, targets, ids, answered: false };
    let sequenced: Reading[];
    try {
      sequenced = deps.sink.appendReadings(readings, waiting ? this.#onDurable(group) : ignoreDurability);
    } catch (err) {
      // e.g. the outbox is closing during shutdown: no ack, the devices retry later.
      deps.unsentQuota?.discarded();
      deps.metrics.durabilityFailures.inc();
      this.#forgetSeen();
      answer(group, err as Error);
      if (waiting) this.#settled();
      return;
    }
    if (waiting) this.#last = group;
    deps.unsentQuota?.appended((sequenced[sequenced.length - 1] as Reading).seq + 1);
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

  #onDurable(group: AckGroup): (err: Error | null) => void {
    this.#awaitingDurability++;
    return (err) => {
      if (err) {
        this.#deps.metrics.durabilityFailures.inc();
        this.#forgetSeen();
      }
      answer(group, err);
      this.#settled();
    };
  }

  #settled(): void {
    if (--this.#awaitingDurability === 0 && this.#onIdle.length > 0) {
      for (const resolve of this.#onIdle.splice(0)) resolve();
    }
  }
}

/** The acknowledgements owed for one outbox append, answered together once it is durable. */
interface AckGroup {
  readonly acks: Ack[];
  readonly targets: PubackTarget[];
  readonly ids: number[];
  answered: boolean;
}

function answer(group: AckGroup, err: Error | null): void {
  group.answered = true;
  const { acks, targets, ids } = group;
  for (let i = 0; i < acks.length; i++) (acks[i] as Ack)(err);
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i] as PubackTarget;
    if (err) target.fail(err);
    else target.puback(ids[i] as number);
  }
}
