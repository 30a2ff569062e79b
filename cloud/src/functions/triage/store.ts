/**
 * Where triage keeps dead letters: Firestore `deadLetters/<id>`, written with `create()` so
 * a redelivered dead letter is a no-op and never resets replay bookkeeping.
 */
import type { Firestore } from '@google-cloud/firestore';
import { DEAD_LETTERS_COLLECTION, type DeadLetterDoc } from './dead-letter.ts';

export interface DeadLetterWriter {
  /** `created` the first time, `exists` when the id was already recorded. */
  create(id: string, doc: DeadLetterDoc): Promise<'created' | 'exists'>;
}

/** gRPC ALREADY_EXISTS, as the Firestore client reports it. */
const ALREADY_EXISTS = 6;

export class FirestoreDeadLetterWriter implements DeadLetterWriter {
  readonly #db: Firestore;

  constructor(db: Firestore) {
    this.#db = db;
  }

  async create(id: string, doc: DeadLetterDoc): Promise<'created' | 'exists'> {
    try {
      await this.#db.collection(DEAD_LETTERS_COLLECTION).doc(id).create(doc);
      return 'created';
    } catch (err) {
      if ((err as { code?: unknown }).code === ALREADY_EXISTS) return 'exists';
      throw err;
    }
  }
}
