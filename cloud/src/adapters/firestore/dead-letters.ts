/**
 * Dead letters written by the functions themselves for permanent failures (the triage
 * function stores those Pub/Sub dead-letters after max delivery attempts, in the same
 * collection). The document id derives from the source and the message id, so a redelivered
 * poison message is recorded once.
 */
import { type Firestore, Timestamp } from '@google-cloud/firestore';
import type { DeadLetterRecord, DeadLetterStore } from '../../functions/ingest/ports.ts';
import { withDeadline } from '../errors.ts';
import { Collections, type WriteCounter } from './client.ts';

export interface FirestoreDeadLetterStoreOptions {
  readonly deadlineMs: number;
  readonly counter: WriteCounter;
  readonly nowMs: () => number;
}

/** Raw payloads above this are truncated in the record (the document limit is 1 MiB). */
export const MAX_STORED_PAYLOAD_BYTES = 900_000;

export function deadLetterId(source: string, messageId: string): string {
  return `${source}-${messageId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export class FirestoreDeadLetterStore implements DeadLetterStore {
  readonly #db: Firestore;
  readonly #options: FirestoreDeadLetterStoreOptions;

  constructor(db: Firestore, options: FirestoreDeadLetterStoreOptions) {
    this.#db = db;
    this.#options = options;
  }

  async record(letter: DeadLetterRecord): Promise<void> {
    const ref = this.#db
      .collection(Collections.deadLetters)
      .doc(deadLetterId(letter.source, letter.messageId));
    const truncated = letter.data.length > MAX_STORED_PAYLOAD_BYTES;
    await withDeadline('firestore dead-letter write', this.#options.deadlineMs, () =>
      ref.set({
        source: letter.source,
        subscription: letter.subscription ?? null,
        messageId: letter.messageId,
        code: letter.code,
        reason: letter.reason,
        data: truncated ? letter.data.subarray(0, MAX_STORED_PAYLOAD_BYTES) : letter.data,
        dataBytes: letter.data.length,
        truncated,
        attributes: { ...letter.attributes },
        deliveryAttempt: letter.deliveryAttempt ?? null,
        publishTime: letter.publishTimeMs === undefined ? null : Timestamp.fromMillis(letter.publishTimeMs),
        recordedAt: Timestamp.fromMillis(this.#options.nowMs()),
        state: 'open',
      }),
    );
    this.#options.counter.writes += 1;
  }
}
