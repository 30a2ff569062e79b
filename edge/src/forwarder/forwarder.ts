/**
 * The forwarder: reads the outbox in order from the acknowledged position, cuts batches by
 * count, bytes and linger (alerts skip the linger and go first, as their own small batches),
 * encodes them with the shared codec and publishes them. The outbox position advances only
 * over the contiguous prefix of batches Pub/Sub acknowledged.
 *
 * Memory stays flat during an outage: at most one batch of readings is read ahead and at
 * most maxInFlightBatches are held for retry; the backlog stays on disk.
 *
 * Whole-batch redelivery: before a telemetry batch is published its end seq is written to the
 * outbox checkpoint ("planned"); after a crash the first batches are cut at exactly those
 * ends, so a batch that may already have reached Pub/Sub is resent as the same batch (same
 * firstSeq..lastSeq) and the cloud's per-batch dedup sees a plain redelivery.
 */
import { type AlertEvent, alertEventChecker, type Reading, readingChecker } from '@edgeflow/shared';
import type pino from 'pino';
import type { OutboxReader } from '../outbox/types.ts';
import { backoffDelayMs } from './backoff.ts';
import type { ForwarderConfig } from './config.ts';
import { type BatchMessage, buildBatchMessage } from './message.ts';
import { createForwarderMetrics, type ForwarderMetrics } from './metrics.ts';
import { PendingReadings } from './pending.ts';
import { Sleepers, withTimeout } from './retry.ts';
import type { FlushReason, Forwarder, ForwarderDeps, ForwarderStatus } from './types.ts';

interface InFlight {
  readonly kind: 'telemetry' | 'alerts';
  /** Lane range [start, end): seqs for telemetry, alert indexes for alerts. */
  readonly start: number;
  readonly end: number;
  acked: boolean;
}

/** Alerts are few and small: one batch carries up to this many transitions. */
const MAX_ALERTS_PER_BATCH = 500;
const MAX_ALERT_BATCHES_IN_FLIGHT = 2;
/**
 * Readings read from disk per step while filling a batch. Each step decodes synchronously
 * (~0.3 µs a reading) and then awaits the next file read, so local alerts interleave: at
 * 1000 a step holds the event loop well under a millisecond.
 */
const READ_WINDOW_READINGS = 1000;
/** Retry failures are logged on the 1st, 2nd, 4th, 8th... attempt of a batch. */
const isPowerOfTwo = (n: number) => (n & (n - 1)) === 0;

export function startForwarder(config: ForwarderConfig, deps: ForwarderDeps): Forwarder {
  const loop = new ForwardLoop(config, deps);
  loop.start();
  return { stop: () => loop.stop(), status: () => loop.status() };
}

class ForwardLoop {
  readonly #config: ForwarderConfig;
  readonly #deps: ForwarderDeps;
  readonly #reader: OutboxReader;
  readonly #log: pino.Logger;
  readonly #metrics: ForwarderMetrics;
  readonly #random: () => number;
  readonly #pending = new PendingReadings();
  readonly #planned: number[];
  readonly #telemetryInFlight: InFlight[] = [];
  readonly #alertsInFlight: InFlight[] = [];
  readonly #sleepers = new Sleepers();
  #readSeq: number;
  #readAlertIndex: number;
  #committedSeq: number;
  #committedAlertIndex: number;
  #pumping = false;
  #again = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #lingerAtMs = Number.POSITIVE_INFINITY;
  #unsubscribe: (() => void) | undefined;
  #stopping = false;
  #aborted = false;
  #onProgress: (() => void) | undefined;
  #lastPublishOkAtMs: number | undefined;
  #lastError: string | undefined;

  constructor(config: ForwarderConfig, deps: ForwarderDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#reader = deps.outbox.reader;
    this.#log = deps.logger.child({ component: 'forwarder' });
    this.#random = deps.random ?? Math.random;
    const committed = this.#reader.committed();
    this.#committedSeq = committed.telemetrySeq;
    this.#committedAlertIndex = committed.alertIndex;
    this.#readSeq = Math.max(committed.telemetrySeq, this.#reader.firstRetainedSeq());
    this.#readAlertIndex = committed.alertIndex;
    this.#planned = this.#reader.planned().filter((end) => end > this.#readSeq);
    this.#metrics = createForwarderMetrics(deps.registry, () =>
      Math.max(0, this.#reader.durableEnd().telemetrySeq - this.#committedSeq),
    );
  }

  start(): void {
    this.#unsubscribe = this.#reader.onDurable(() => this.#pump());
    this.#log.info(
      {
        fromSeq: this.#readSeq,
        fromAlertIndex: this.#readAlertIndex,
        replayBatches: this.#planned.length,
        lingerMs: this.#config.lingerMs,
      },
      'forwarder started',
    );
    this.#pump();
  }

  /** Runs the read/cut loop; re-entrant calls just ask for one more round. */
  #pump(): void {
    if (this.#aborted) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    void (async () => {
      try {
        do {
          this.#again = false;
          await this.#pumpAlerts();
          await this.#pumpTelemetry();
        } while (this.#again && !this.#aborted);
      } catch (err) {
        this.#log.error({ err }, 'forwarder could not read the outbox; retrying in 1 s');
        setTimeout(() => this.#pump(), 1000).unref();
      } finally {
        this.#pumping = false;
        this.#onProgress?.();
      }
    })();
  }

  async #pumpAlerts(): Promise<void> {
    while (
      this.#alertsInFlight.length < MAX_ALERT_BATCHES_IN_FLIGHT &&
      this.#readAlertIndex < this.#reader.durableEnd().alertIndex
    ) {
      const records = await this.#reader.readAlerts(this.#readAlertIndex, MAX_ALERTS_PER_BATCH);
      const last = records.at(-1);
      if (!last) return;
      const start = this.#readAlertIndex;
      this.#readAlertIndex = last.index + 1;
      const alerts: AlertEvent[] = [];
      for (const r of records) {
        if (alertEventChecker.check(r.alert) || this.#dropInvalid('alerts', r.index)) alerts.push(r.alert);
      }
      this.#launch({ kind: 'alerts', start, end: this.#readAlertIndex, acked: false }, [], alerts, 'alert');
    }
  }

  async #pumpTelemetry(): Promise<void> {
    const { maxBatchReadings, maxBatchBytes, maxInFlightBatches, lingerMs } = this.#config;
    for (;;) {
      // Fill at most one batch worth from disk. While a batch lingers there is no point in
      // reading each group commit as it lands (a file read per fsync, competing with the
      // fsyncs for libuv's thread pool): read when a batch is due, by count, linger, replay
      // or shutdown. Reading the first window tells us when the linger started.
      const durableSeq = this.#reader.durableEnd().telemetrySeq;
      while (this.#pending.count < maxBatchReadings && this.#pending.bytes < maxBatchBytes) {
        const retained = this.#reader.firstRetainedSeq();
        if (this.#readSeq < retained) this.#readSeq = retained; // evicted at the byte cap
        if (this.#readSeq >= durableSeq) break;
        if (this.#pending.count > 0 && !this.#stopping && this.#planned.length === 0) {
          const countDue = durableSeq - this.#readSeq + this.#pending.count >= maxBatchReadings;
          const lingerDue =
            this.#deps.clock.nowMs() - (this.#pending.oldestAppendedAtMs() as number) >= lingerMs;
          if (!countDue && !lingerDue) break;
        }
        const plannedEnd = this.#planned[0] ?? Number.POSITIVE_INFINITY;
        const want = Math.min(maxBatchReadings - this.#pending.count, READ_WINDOW_READINGS);
        const records = await this.#reader.readReadings(this.#readSeq, want);
        if (records.length === 0) break;
        for (const r of records) {
          this.#pending.push(r);
          this.#readSeq = r.firstSeq + r.readings.length;
        }
        if (this.#readSeq >= plannedEnd) break;
      }
      const firstSeq = this.#pending.firstSeq();
      if (firstSeq === undefined) {
        this.#clearLinger();
        return;
      }
      if (this.#telemetryInFlight.length >= maxInFlightBatches) return; // an ack pumps again
      while (this.#planned.length > 0 && (this.#planned[0] as number) <= firstSeq) this.#planned.shift();
      const plannedEnd = this.#planned[0] ?? Number.POSITIVE_INFINITY;
      const oldest = this.#pending.oldestAppendedAtMs() as number;
      const now = this.#deps.clock.nowMs();
      let reason: FlushReason | undefined;
      if (this.#readSeq >= plannedEnd) reason = 'replay';
      else if (this.#pending.count >= maxBatchReadings) reason = 'count';
      else if (this.#pending.bytes >= maxBatchBytes) reason = 'bytes';
      else if (this.#stopping) reason = 'shutdown';
      else if (now - oldest >= lingerMs) reason = 'linger';
      if (!reason) {
        this.#armLinger(oldest + lingerMs);
        return;
      }
      this.#clearLinger();
      const readings = this.#pending.take(maxBatchReadings, maxBatchBytes, plannedEnd);
      if (readings.length === 0) return;
      const end = (readings.at(-1) as Reading).seq + 1;
      if (end >= plannedEnd) this.#planned.shift();
      const batch: InFlight = { kind: 'telemetry', start: (readings[0] as Reading).seq, end, acked: false };
      this.#telemetryInFlight.push(batch);
      // Persist the cut before publishing it (see the file comment).
      await this.#persist().catch((err: unknown) =>
        this.#log.warn({ err }, 'could not record the planned batch; a crash now may re-cut it'),
      );
      this.#launch(batch, readings, [], reason);
    }
  }

  #launch(batch: InFlight, readings: Reading[], alerts: AlertEvent[], reason: FlushReason): void {
    if (batch.kind === 'alerts') this.#alertsInFlight.push(batch);
    this.#metrics.flushes.inc({ reason });
    this.#log.info(
      {
        kind: batch.kind,
        reason,
        start: batch.start,
        end: batch.end,
        readings: readings.length,
        alerts: alerts.length,
      },
      'batch cut',
    );
    if (readings.length === 0 && alerts.length === 0) {
      this.#acked(batch);
      return;
    }
    let message = this.#encode(readings, alerts);
    if (message instanceof Error && readings.length > 0) {
      // The codec validates every reading while encoding, so the common path checks each
      // once. Outbox records were validated at ingest and are CRC-checked, so this is for a
      // bug or a record from an incompatible version: drop the invalid ones, send the rest.
      const valid = readings.filter((r) => {
        const seq = r.seq; // before the type guard narrows r away
        return readingChecker.check(r) || this.#dropInvalid('telemetry', seq);
      });
      if (valid.length === 0 && alerts.length === 0) {
        this.#acked(batch); // nothing left to send
        return;
      }
      if (valid.length < readings.length) {
        readings = valid;
        message = this.#encode(readings, alerts);
      }
    }
    if (message instanceof Error) {
      // Skipping beats wedging the forwarder forever.
      this.#log.error(
        { err: message, kind: batch.kind, start: batch.start, end: batch.end },
        'batch cannot be encoded; skipped',
      );
      this.#metrics.invalidDropped.inc({ kind: batch.kind }, readings.length + alerts.length);
      this.#acked(batch);
      return;
    }
    void this.#publish(batch, message, readings.length);
  }

  /** The batch message, or the codec's error for input it cannot represent. */
  #encode(readings: Reading[], alerts: AlertEvent[]): BatchMessage | Error {
    try {
      return buildBatchMessage(
        this.#deps.gatewayId,
        this.#deps.clock.nowMs(),
        readings,
        alerts,
        this.#deps.health?.(),
      );
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  async #publish(batch: InFlight, message: BatchMessage, readings: number) {
    const kind = batch.kind;
    for (let attempt = 1; !this.#aborted; attempt++) {
      const startedAt = performance.now();
      try {
        const id = await withTimeout(
          this.#deps.publisher.publish(message.data, message.attributes),
          this.#config.publishTimeoutMs,
        );
        if (this.#aborted) return;
        this.#metrics.publishSeconds.observe({ kind }, (performance.now() - startedAt) / 1000);
        this.#metrics.batchesSent.inc({ kind });
        this.#metrics.readingsSent.inc(readings);
        this.#log.debug(
          { kind, messageId: id, start: batch.start, end: batch.end, attempt },
          'batch published',
        );
        this.#lastPublishOkAtMs = this.#deps.clock.nowMs();
        this.#lastError = undefined;
        this.#acked(batch);
        this.#sleepers.wakeAll();
        return;
      } catch (err) {
        if (this.#aborted) return;
        this.#metrics.batchesFailed.inc({ kind });
        this.#lastError = err instanceof Error ? err.message : String(err);
        const delayMs = backoffDelayMs(attempt, this.#config.backoff, this.#random);
        if (isPowerOfTwo(attempt)) {
          this.#log.warn(
            { err, kind, start: batch.start, end: batch.end, attempt, delayMs },
            'publish failed; backing off',
          );
        }
        await this.#sleepers.sleep(delayMs, kind);
      }
    }
  }

  #acked(batch: InFlight): void {
    batch.acked = true;
    let moved = false;
    const lanes = [this.#telemetryInFlight, this.#alertsInFlight];
    for (const lane of lanes) {
      while (lane[0]?.acked) {
        const head = lane.shift() as InFlight;
        if (head.kind === 'telemetry') this.#committedSeq = head.end;
        else this.#committedAlertIndex = head.end;
        moved = true;
      }
    }
    if (moved) {
      void this.#persist().catch((err: unknown) => this.#log.error({ err }, 'checkpoint write failed'));
    }
    this.#pump();
  }

  #persist(): Promise<void> {
    return this.#reader.commit(
      { telemetrySeq: this.#committedSeq, alertIndex: this.#committedAlertIndex },
      this.#telemetryInFlight.map((b) => b.end),
    );
  }

  /** Counts and logs a record that fails validation; false, to filter it out. */
  #dropInvalid(kind: InFlight['kind'], id: number): false {
    this.#metrics.invalidDropped.inc({ kind });
    this.#log.error({ kind, id }, 'outbox record fails validation; skipped');
    return false;
  }

  #armLinger(atMs: number): void {
    if (this.#lingerTimer && atMs === this.#lingerAtMs) return;
    this.#clearLinger();
    this.#lingerAtMs = atMs;
    const delay = Math.max(0, atMs - this.#deps.clock.nowMs());
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = undefined;
      this.#pump();
    }, delay);
  }

  #clearLinger(): void {
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    this.#lingerAtMs = Number.POSITIVE_INFINITY;
  }

  #drained(): boolean {
    const end = this.#reader.durableEnd();
    return (
      !this.#pumping &&
      this.#telemetryInFlight.length === 0 &&
      this.#alertsInFlight.length === 0 &&
      this.#pending.count === 0 &&
      this.#readSeq >= end.telemetrySeq &&
      this.#readAlertIndex >= end.alertIndex
    );
  }

  status(): ForwarderStatus {
    return {
      committedSeq: this.#committedSeq,
      committedAlertIndex: this.#committedAlertIndex,
      inFlightBatches: this.#telemetryInFlight.length + this.#alertsInFlight.length,
      retryingBatches: this.#sleepers.size,
      lastPublishOkAtMs: this.#lastPublishOkAtMs,
      lastError: this.#lastError,
    };
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#unsubscribe?.();
    this.#clearLinger();
    const deadline = this.#config.stopTimeoutMs;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, deadline);
      this.#onProgress = () => {
        if (this.#drained()) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.#pump();
    });
    this.#onProgress = undefined;
    const drained = this.#drained();
    this.#aborted = true;
    this.#sleepers.wakeAll();
    this.#clearLinger();
    await this.#persist().catch((err: unknown) => this.#log.error({ err }, 'final checkpoint write failed'));
    this.#metrics.unregister();
    this.#log.info(
      { drained, committedSeq: this.#committedSeq, committedAlertIndex: this.#committedAlertIndex },
      drained ? 'forwarder stopped, everything sent' : 'forwarder stopped with a backlog left on disk',
    );
  }
}
