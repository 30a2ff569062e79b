/**
 * Dead letters written by ingest and notify for permanent failures they acknowledge without
 * retrying, in the one shape triage and the `dlq` CLI share (functions/triage/dead-letter.ts).
 * The document id derives from the source and the message id and the write is a create, so
 * a redelivered poison message is recorded once and its replay bookkeeping never reset.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { DeadLetterRecord, DeadLetterStore } from '../../functions/ingest/ports.ts';
import { DEAD_LETTERS_COLLECTION, deadLetterDoc } from '../../functions/triage/dead-letter.ts';
import { withDeadline } from '../errors.ts';
import type { WriteCounter } from './client.ts';

/** gRPC ALREADY_EXISTS. */
const ALREADY_EXISTS = 6;

export interface FirestoreDeadLetterStoreOptions {
  readonly deadlineMs: number;
  readonly counter: WriteCounter;
  readonly nowMs: () => number;
  /**
   * Topic a replay republishes to (the topic the recording function consumes), when the
   * letter does not name its own (ingest's come from one topic per gateway).
   */
  readonly sourceTopic?: string;
}

export class FirestoreDeadLetterStore implements DeadLetterStore {
  readonly #db: Firestore;
  readonly #options: FirestoreDeadLetterStoreOptions;

  constructor(db: Firestore, options: FirestoreDeadLetterStoreOptions) {
    this.#db = db;
    this.#options = options;
  }

  async record(letter: DeadLetterRecord): Promise<void> {
    const { id, doc } = deadLetterDoc({
      source: letter.source,
      messageId: letter.messageId,
      sourceTopic: letter.sourceTopic ?? this.#options.sourceTopic ?? null,
      subscription: letter.subscription ?? null,
      deliveryAttempt: letter.deliveryAttempt ?? null,
      code: letter.code,
      reason: letter.reason,
      attributes: letter.attributes,
      data: letter.data,
      publishTimeMs: letter.publishTimeMs ?? null,
      recordedAtMs: this.#options.nowMs(),
    });
    try {
      await withDeadline('firestore dead-letter write', this.#options.deadlineMs, () =>
        this.#db.collection(DEAD_LETTERS_COLLECTION).doc(id).create(doc),
      );
      this.#options.counter.writes += 1;
    } catch (err) {
      if ((err as { code?: unknown }).code !== ALREADY_EXISTS) throw err;
    }
  }
}
