import type { AlertEvent, Reading } from '@edgeflow/shared';

/** A reading before the outbox gives it its gateway sequence number. */
export type UnsequencedReading = Omit<Reading, 'seq'>;

export interface OutboxStats {
  /** Readings and alerts appended but not yet acknowledged by the cloud (not evicted). */
  records: number;
  /** Bytes the outbox occupies on disk (all lanes). */
  bytes: number;
  /** Age of the oldest unacknowledged record, 0 when there is none. */
  oldestAgeMs: number;
  /**
   * Readings dropped at the byte cap since this outbox was opened before the forwarder read them
   * (never alerts). Readings the forwarder already holds in memory are still sent and not counted.
   */
  evictedReadings: number;
  /** The sequence number the next appended reading gets. */
  nextSeq: number;
}

/** The write side, used by ingest and rules. */
export interface Outbox {
  /**
   * Assigns consecutive gateway sequence numbers synchronously and returns the sequenced readings; onDurable fires once they are fsynced (fsyncs are grouped).
   * Throws an OutboxError (nothing appended, no seq used) when the outbox is closed (EDGEFLOW_OUTBOX_CLOSED), failed
   * (EDGEFLOW_OUTBOX_WRITE_FAILED) or too far behind the disk (EDGEFLOW_OUTBOX_BACKPRESSURE).
   */
  appendReadings(readings: readonly UnsequencedReading[], onDurable: (err: Error | null) => void): Reading[];
  /** Alert transitions go in a priority lane, skip the linger, never evicted. When closed or failed, onDurable gets the OutboxError (never thrown). */
  appendAlert(alert: AlertEvent, onDurable: (err: Error | null) => void): void;
  stats(): OutboxStats;
  /**
   * Every reading with a lower seq is acknowledged upstream or evicted; the ones from here to
   * nextSeq are unsent. Only moves forward (per-device unsent accounting relies on it).
   */
  unsentFromSeq(): number;
  close(): Promise<void>;
}

/** Readings of one appendReadings call, as read back from the log (seqs consecutive from firstSeq). */
export interface ReadingsRecord {
  readonly firstSeq: number;
  readonly readings: readonly Reading[];
  /** When the record was appended (gateway clock); the forwarder's linger starts here. */
  readonly appendedAtMs: number;
  /** Stored size, a conservative estimate of its share of a batch. */
  readonly bytes: number;
}

export interface AlertRecord {
  /** Position in the alert lane, consecutive from 0 over the outbox's life. */
  readonly index: number;
  readonly alert: AlertEvent;
  readonly appendedAtMs: number;
}

/** What the forwarder has had acknowledged by Pub/Sub, persisted in the checkpoint. */
export interface OutboxPosition {
  /** Every reading with seq < telemetrySeq is acknowledged upstream. */
  readonly telemetrySeq: number;
  /** Every alert with index < alertIndex is acknowledged upstream. */
  readonly alertIndex: number;
}

/**
 * The read side, used only by the forwarder. Reads return only durable (fsynced) records:
 * a record that was never durable may vanish in a crash and its seq be given to another
 * reading, so sending it upstream could shadow an acknowledged reading in the cloud's dedup.
 */
export interface OutboxReader {
  /** The position persisted by the last commit (restored on open). */
  committed(): OutboxPosition;
  /**
   * Durable readings with seq >= fromSeq, in order, stopping after maxReadings readings
   * (records may be split). Readings below the oldest retained seq (evicted) are skipped.
   */
  readReadings(fromSeq: number, maxReadings: number): Promise<ReadingsRecord[]>;
  /** Durable alerts with index >= fromIndex, at most max. */
  readAlerts(fromIndex: number, max: number): Promise<AlertRecord[]>;
  /** Seq after the last durable reading / index after the last durable alert. */
  durableEnd(): OutboxPosition;
  /**
   * Ends (exclusive seqs) of telemetry batches that were published but not committed when the
   * checkpoint was written; after a restart the forwarder cuts its first batches at exactly
   * these seqs, so anything sent twice is sent as the same whole batch.
   */
  planned(): readonly number[];
  /** Oldest seq still on disk (older ones were acknowledged and deleted, or evicted). */
  firstRetainedSeq(): number;
  /**
   * Persists the acknowledged position and the planned batch ends (atomically) and lets the
   * outbox delete fully acknowledged segments. Positions never move backwards; plannedTelemetryEnds
   * defaults to the previous plan minus what is now committed.
   */
  commit(position: OutboxPosition, plannedTelemetryEnds?: readonly number[]): Promise<void>;
  /** Called whenever new records become durable; returns an unsubscribe function. */
  onDurable(listener: () => void): () => void;
}

/** What openOutbox returns: the write side for ingest plus the read side for the forwarder. */
export interface DurableOutbox extends Outbox {
  readonly reader: OutboxReader;
}
