/**
 * The forwarder's acknowledged position and planned batch ends, kept in memory and persisted
 * in the checkpoint file. Writes are serialized and coalesced: commits that arrive while one
 * write runs share the next one, which persists the latest position. After each write, the
 * segments wholly acknowledged are deleted (the active segment of a lane always stays).
 */
import type pino from 'pino';
import { type Checkpoint, writeCheckpoint } from './checkpoint.ts';
import type { Lane } from './lane.ts';
import type { OutboxPosition } from './types.ts';

export class PositionStore {
  readonly #dir: string;
  readonly #telemetry: Lane;
  readonly #alerts: Lane;
  readonly #logger: pino.Logger;
  #checkpoint: Checkpoint;
  #write: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(dir: string, checkpoint: Checkpoint, telemetry: Lane, alerts: Lane, logger: pino.Logger) {
    this.#dir = dir;
    this.#checkpoint = checkpoint;
    this.#telemetry = telemetry;
    this.#alerts = alerts;
    this.#logger = logger;
  }

  get current(): Checkpoint {
    return this.#checkpoint;
  }

  /** Never moves backwards, never past what is durable. */
  commit(position: OutboxPosition, plannedTelemetryEnds?: readonly number[]): Promise<void> {
    const prev = this.#checkpoint;
    const telemetrySeq = Math.max(
      prev.telemetrySeq,
      Math.min(position.telemetrySeq, this.#telemetry.durableId),
    );
    const alertIndex = Math.max(prev.alertIndex, Math.min(position.alertIndex, this.#alerts.durableId));
    const planned = (plannedTelemetryEnds ?? prev.plannedTelemetryEnds).filter((end) => end > telemetrySeq);
    this.#checkpoint = { telemetrySeq, alertIndex, plannedTelemetryEnds: planned };
    if (this.#queued) return this.#queued;
    const write = this.#write.then(async () => {
      this.#queued = undefined;
      const latest = this.#checkpoint;
      await writeCheckpoint(this.#dir, latest);
      while (await this.#telemetry.dropOldest((_first, end) => end <= latest.telemetrySeq)) {}
      while (await this.#alerts.dropOldest((_first, end) => end <= latest.alertIndex)) {}
    });
    this.#queued = write;
    this.#write = write.catch((err: unknown) => {
      this.#logger.error({ err }, 'outbox checkpoint write failed');
    });
    return write;
  }

  /** Resolves once every requested write has finished (failed ones are logged). */
  settled(): Promise<void> {
    return this.#write;
  }
}
