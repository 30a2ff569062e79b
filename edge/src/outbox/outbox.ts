/**
 * The durable outbox: a segmented append-only log we own, with group commit.
 *
 * Why our own log and not an embedded store (lmdb, sqlite): the outbox only appends, reads
 * in order and drops whole prefixes, which a log does with one sequential write and one
 * fdatasync per group and an unlink per segment; a B-tree store pays page rewrites and
 * compaction for a key space we never query randomly, and lmdb/sqlite would add a native
 * dependency to the gateway box. Measured on the 2-core dev box (ext4 on a virtio disk),
 * `node edge/test/outbox/support/measure-outbox.ts`, 100 appends outstanding, 1 reading each:
 *   one fdatasync per append               ~18k appends/s (one fsync each)
 *   group commit, groupCommitIntervalMs 0  ~131k appends/s (~50 appends share an fsync), 7x;
 *                                          4.5 µs of CPU per append (fsyncs: ~0.1 ms each)
 *   group commit, groupCommitIntervalMs 1  ~66k appends/s, 3.4 µs CPU per append: the default,
 *                                          because on the gateway CPU is what is scarce; with
 *                                          1000 appends outstanding (bench:edge) it raises
 *                                          throughput (~0.77 -> ~0.81 of raw aedes) instead.
 * This disk's fsync is cheap (hypervisor cache); on an SD card or spinning disk an fsync costs
 * milliseconds and grouping matters far more. lmdb was not measured: not installed here, and
 * with one fsync per transaction it would need the same grouping on top.
 *
 * Layout under `dir`: telemetry/<firstSeq>.seg, alerts/<firstIndex>.seg (alerts live in their
 * own lane, so evicting old telemetry segments never touches them), checkpoint.json (the
 * forwarder's acknowledged position, replaced atomically).
 *
 * Crash safety: a seq is only ever acknowledged (PUBACK) after the group holding it was
 * fsynced, and the forwarder only reads fsynced records; so after kill -9 the recovered tail
 * (torn last frame cut by CRC) is the truth and the next seq continues from it.
 */
import { join } from 'node:path';
import type { AlertEvent, Clock, Reading } from '@edgeflow/shared';
import type pino from 'pino';
import type prom from 'prom-client';
import { ensurePrivateDir } from '../fs/private.ts';
import { type Checkpoint, fsyncDir, readCheckpoint, removeStaleTemp } from './checkpoint.ts';
import type { OutboxConfig } from './config.ts';
import { OutboxError, OutboxErrorCodes } from './errors.ts';
import { Lane } from './lane.ts';
import { acquireDirLock } from './lock.ts';
import { createOutboxMetrics, type OutboxMetrics } from './metrics.ts';
import { PositionStore } from './position.ts';
import { createReader } from './reader.ts';
import { encodeAlertFrame, encodeReadingsFrame } from './records.ts';
import type { DurableOutbox, OutboxReader, OutboxStats, UnsequencedReading } from './types.ts';

export interface OutboxDeps {
  readonly clock: Clock;
  readonly logger: pino.Logger;
  readonly registry: prom.Registry;
}

type Callback = (err: Error | null) => void;

interface PendingGroup {
  frames: Buffer[];
  bytes: number;
  firstId: number;
  endId: number;
  appendedAtMs: number;
  callbacks: Callback[];
}

function emptyGroup(firstId: number): PendingGroup {
  return { frames: [], bytes: 0, firstId, endId: firstId, appendedAtMs: 0, callbacks: [] };
}

export async function openOutbox(config: OutboxConfig, deps: OutboxDeps): Promise<DurableOutbox> {
  // Eviction works in whole segments: keep at least 4 under the cap so it stays fine-grained.
  if (config.segmentBytes * 4 > config.maxBytes) {
    const segmentBytes = Math.floor(config.maxBytes / 4);
    deps.logger.warn(
      { configured: config.segmentBytes, segmentBytes, maxBytes: config.maxBytes },
      'outbox.segmentBytes exceeds maxBytes / 4; using maxBytes / 4',
    );
    config = { ...config, segmentBytes };
  }
  let unlock: (() => Promise<void>) | undefined;
  try {
    await ensurePrivateDir(config.dir, (info) =>
      deps.logger.warn(
        info,
        info.fixed
          ? 'outbox directory was readable by others; narrowed to 0700'
          : 'outbox directory is readable by others and could not be narrowed to 0700',
      ),
    );
    unlock = await acquireDirLock(config.dir);
    await removeStaleTemp(config.dir);
    const checkpoint = await readCheckpoint(config.dir);
    const telemetry = new Lane(join(config.dir, 'telemetry'));
    const alerts = new Lane(join(config.dir, 'alerts'));
    const t = await telemetry.recover(checkpoint.telemetrySeq);
    const a = await alerts.recover(checkpoint.alertIndex);
    await fsyncDir(config.dir);
    const outbox = new SegmentedOutbox(config, deps, telemetry, alerts, checkpoint, unlock);
    deps.logger.info(
      {
        dir: config.dir,
        nextSeq: telemetry.nextId,
        nextAlertIndex: alerts.nextId,
        committed: { telemetrySeq: checkpoint.telemetrySeq, alertIndex: checkpoint.alertIndex },
        truncatedBytes: t.truncatedBytes + a.truncatedBytes,
        segments: telemetry.segments.length + alerts.segments.length,
      },
      'outbox opened',
    );
    return outbox;
  } catch (err) {
    await unlock?.();
    if (err instanceof OutboxError) throw err;
    throw new OutboxError(
      OutboxErrorCodes.OPEN_FAILED,
      `cannot open outbox at ${config.dir}: ${String(err)}`,
      {
        cause: err,
      },
    );
  }
}

class SegmentedOutbox implements DurableOutbox {
  readonly reader: OutboxReader;
  readonly #config: OutboxConfig;
  readonly #clock: Clock;
  readonly #logger: pino.Logger;
  readonly #metrics: OutboxMetrics;
  readonly #telemetry: Lane;
  readonly #alerts: Lane;
  #pendingReadings: PendingGroup;
  #pendingAlerts: PendingGroup;
  #committing = false;
  /** performance.now() when the last group commit started (the interval is measured from it). */
  #lastCommitStartMs = Number.NEGATIVE_INFINITY;
  #scheduled = false;
  #delayTimer: NodeJS.Timeout | undefined;
  #failed: Error | undefined;
  #closed = false;
  #idle: Array<() => void> = [];
  #evictedReadings = 0;
  /** Seq after the last reading handed to the forwarder: those before it are in its memory and still get sent. */
  #handedOutSeq = 0;
  #overCapLogged = false;
  readonly #positions: PositionStore;
  readonly #durableListeners = new Set<() => void>();

  readonly #unlock: () => Promise<void>;

  constructor(
    config: OutboxConfig,
    deps: OutboxDeps,
    telemetry: Lane,
    alerts: Lane,
    checkpoint: Checkpoint,
    unlock: () => Promise<void>,
  ) {
    this.#unlock = unlock;
    this.#config = config;
    this.#clock = deps.clock;
    this.#logger = deps.logger.child({ component: 'outbox' });
    this.#telemetry = telemetry;
    this.#alerts = alerts;
    this.#positions = new PositionStore(config.dir, checkpoint, telemetry, alerts, this.#logger);
    this.#pendingReadings = emptyGroup(telemetry.nextId);
    this.#pendingAlerts = emptyGroup(alerts.nextId);
    this.#metrics = createOutboxMetrics(deps.registry, () => this.stats());
    this.reader = createReader({
      telemetry,
      alerts,
      positions: this.#positions,
      listeners: this.#durableListeners,
      handedOut: (seq) => {
        this.#handedOutSeq = Math.max(this.#handedOutSeq, seq);
      },
    });
  }

  appendReadings(readings: readonly UnsequencedReading[], onDurable: Callback): Reading[] {
    const refused = this.#refusal();
    if (refused) throw refused;
    if (this.#pendingReadings.bytes >= this.#config.maxPendingBytes) {
      this.#metrics.refused.inc({ reason: 'backpressure' });
      throw new OutboxError(
        OutboxErrorCodes.BACKPRESSURE,
        `outbox has ${this.#pendingReadings.bytes} bytes waiting for the disk (max ${this.#config.maxPendingBytes})`,
      );
    }
    if (readings.length === 0) {
      queueMicrotask(() => onDurable(null));
      return [];
    }
    const firstSeq = this.#telemetry.nextId;
    const appendedAtMs = this.#clock.nowMs();
    const { frame, sequenced } = encodeReadingsFrame(readings, firstSeq, appendedAtMs);
    this.#telemetry.nextId = firstSeq + readings.length;
    this.#enqueue(this.#pendingReadings, frame, this.#telemetry.nextId, appendedAtMs, onDurable);
    this.#schedule(false);
    return sequenced;
  }

  appendAlert(alert: AlertEvent, onDurable: Callback): void {
    const refused = this.#refusal();
    if (refused) {
      // Reported, not thrown: alerts are raised from rule callbacks that should not unwind.
      queueMicrotask(() => onDurable(refused));
      return;
    }
    const index = this.#alerts.nextId;
    const appendedAtMs = this.#clock.nowMs();
    const frame = encodeAlertFrame(alert, index, appendedAtMs);
    this.#alerts.nextId = index + 1;
    this.#enqueue(this.#pendingAlerts, frame, index + 1, appendedAtMs, onDurable);
    this.#schedule(true);
  }

  #refusal(): Error | undefined {
    if (this.#closed) {
      this.#metrics.refused.inc({ reason: 'closed' });
      return new OutboxError(OutboxErrorCodes.CLOSED, 'outbox is closed');
    }
    if (this.#failed) {
      this.#metrics.refused.inc({ reason: 'failed' });
      return new OutboxError(
        OutboxErrorCodes.WRITE_FAILED,
        `outbox failed earlier: ${this.#failed.message}`,
        {
          cause: this.#failed,
        },
      );
    }
    return undefined;
  }

  #enqueue(group: PendingGroup, frame: Buffer, endId: number, appendedAtMs: number, cb: Callback): void {
    if (group.frames.length === 0) group.appendedAtMs = appendedAtMs;
    group.frames.push(frame);
    group.bytes += frame.length;
    group.endId = endId;
    group.callbacks.push(cb);
  }

  /**
   * Group commit: while one write+fsync runs, appends accumulate and share the next one, and
   * fsyncs start at most once per groupCommitIntervalMs. An idle outbox commits at once (no
   * added latency at low rates); under load each fsync carries what arrived during the
   * interval, which bounds the CPU the kernel spends on fsyncs. Alerts and a full group never
   * wait.
   */
  #schedule(urgent: boolean): void {
    if (this.#committing || this.#scheduled) {
      if (urgent && this.#delayTimer) this.#startSoon();
      return;
    }
    const pendingBytes = this.#pendingReadings.bytes + this.#pendingAlerts.bytes;
    const waitMs = this.#lastCommitStartMs + this.#config.groupCommitIntervalMs - performance.now();
    if (urgent || waitMs <= 0 || pendingBytes >= this.#config.groupCommitMaxBytes) {
      this.#startSoon();
    } else if (!this.#delayTimer) {
      this.#delayTimer = setTimeout(() => this.#startSoon(), waitMs);
    }
  }

  #startSoon(): void {
    if (this.#delayTimer) clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A microtask, so every append of the current tick joins this group.
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#commitGroup();
    });
  }

  async #commitGroup(): Promise<void> {
    if (this.#committing) return;
    const readings = this.#pendingReadings;
    const alerts = this.#pendingAlerts;
    if (readings.frames.length === 0 && alerts.frames.length === 0) return this.#settleIdle();
    this.#committing = true;
    this.#lastCommitStartMs = performance.now();
    this.#pendingReadings = emptyGroup(readings.endId);
    this.#pendingAlerts = emptyGroup(alerts.endId);
    let error: Error | null = null;
    try {
      // Alerts first: their fsync should not wait behind a large telemetry group.
      if (alerts.frames.length > 0) await this.#writeLane(this.#alerts, alerts);
      if (readings.frames.length > 0) await this.#writeLane(this.#telemetry, readings);
    } catch (err) {
      this.#failed = err as Error;
      error = new OutboxError(OutboxErrorCodes.WRITE_FAILED, `outbox write failed: ${String(err)}`, {
        cause: err,
      });
      this.#logger.fatal({ err }, 'outbox write or fsync failed; refusing further appends');
    }
    for (const cb of alerts.callbacks) cb(error);
    for (const cb of readings.callbacks) cb(error);
    if (!error) {
      for (const listener of this.#durableListeners) listener();
      await this.#evictIfFull().catch((err: unknown) =>
        this.#logger.error({ err }, 'outbox eviction failed'),
      );
    }
    this.#committing = false;
    if (this.#failed) {
      const refused = this.#refusal() as Error;
      for (const group of [this.#pendingAlerts, this.#pendingReadings])
        for (const cb of group.callbacks) cb(refused);
      this.#pendingAlerts = emptyGroup(this.#alerts.nextId);
      this.#pendingReadings = emptyGroup(this.#telemetry.nextId);
    }
    if (this.#pendingReadings.frames.length > 0 || this.#pendingAlerts.frames.length > 0) {
      this.#schedule(this.#pendingAlerts.frames.length > 0 || this.#closed);
    } else {
      this.#settleIdle();
    }
  }

  async #writeLane(lane: Lane, group: PendingGroup): Promise<void> {
    const data =
      group.frames.length === 1 ? (group.frames[0] as Buffer) : Buffer.concat(group.frames, group.bytes);
    await lane.writeGroup(
      data,
      group.firstId,
      group.endId,
      group.appendedAtMs,
      this.#config.segmentBytes,
      async (fh) => {
        const stop = this.#metrics.fsyncSeconds.startTimer();
        await fh.datasync();
        stop();
        this.#metrics.fsyncs.inc();
      },
    );
  }

  #settleIdle(): void {
    const waiters = this.#idle;
    this.#idle = [];
    for (const w of waiters) w();
  }

  /** Drops the oldest telemetry segments while the outbox is over its byte cap. */
  async #evictIfFull(): Promise<void> {
    const over = () => this.#telemetry.totalBytes() + this.#alerts.totalBytes() > this.#config.maxBytes;
    if (!over()) this.#overCapLogged = false;
    while (over()) {
      const committed = this.#positions.current.telemetrySeq;
      const dropped = await this.#telemetry.dropOldest(() => true);
      if (!dropped) {
        // Logged once per episode: this check runs after every group commit.
        if (!this.#overCapLogged) {
          this.#overCapLogged = true;
          this.#logger.error(
            {
              bytes: this.#telemetry.totalBytes() + this.#alerts.totalBytes(),
              maxBytes: this.#config.maxBytes,
            },
            'outbox over its byte cap with nothing evictable (alerts are never evicted)',
          );
        }
        return;
      }
      const [first, end] = dropped;
      // Readings the forwarder already holds in memory are still sent: not lost.
      const lost = Math.max(0, end - Math.max(first, committed, this.#handedOutSeq));
      this.#evictedReadings += lost;
      this.#metrics.evictedReadings.inc(lost);
      this.#logger.warn(
        { firstSeq: first, endSeq: end, evictedReadings: lost, maxBytes: this.#config.maxBytes },
        'outbox full: evicted the oldest telemetry segment',
      );
    }
  }

  unsentFromSeq(): number {
    return Math.max(this.#positions.current.telemetrySeq, this.#telemetry.firstRetainedId());
  }

  stats(): OutboxStats {
    const t = this.#telemetry;
    const a = this.#alerts;
    const committed = this.#positions.current;
    const fromSeq = Math.max(committed.telemetrySeq, t.firstRetainedId());
    const pendingReadings = Math.max(0, t.nextId - fromSeq);
    const pendingAlerts = Math.max(0, a.nextId - committed.alertIndex);
    const now = this.#clock.nowMs();
    let oldest = now;
    if (pendingReadings > 0) oldest = Math.min(oldest, t.appendedAtOf(fromSeq) ?? now);
    if (pendingAlerts > 0) oldest = Math.min(oldest, a.appendedAtOf(committed.alertIndex) ?? now);
    return {
      records: pendingReadings + pendingAlerts,
      bytes: t.totalBytes() + a.totalBytes(),
      oldestAgeMs: Math.max(0, now - oldest),
      evictedReadings: this.#evictedReadings,
      nextSeq: t.nextId,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#committing || this.#scheduled || this.#delayTimer) {
      if (this.#delayTimer) this.#startSoon();
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
    await this.#positions.settled();
    await this.#telemetry.close();
    await this.#alerts.close();
    await this.#unlock();
    this.#metrics.unregister();
    this.#logger.info({ nextSeq: this.#telemetry.nextId }, 'outbox closed');
  }
}
