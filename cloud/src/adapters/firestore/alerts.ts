/**
 * Alert records at `alerts/<alertId>` and per-device storm budgets at
 * `notifyBudgets/<deviceId>`: the AlertRecordStore port of notify, plus the queries and
 * state changes of the `alerts` CLI. Times are kept as ms numbers (what the pure logic
 * uses) and mirrored as Timestamps (`raisedAt`, `clearedAt`, `updatedAt`) for consoles.
 */
import type { AlertEvent } from '@edgeflow/shared';
import { type DocumentData, type Firestore, Timestamp } from '@google-cloud/firestore';
import type { AlertRecordStore } from '../../functions/notify/ports.ts';
import {
  type AlertRecord,
  type AlertState,
  type ChannelOutcome,
  type ClaimResult,
  type ClaimWrite,
  type DeliveryAttempt,
  MAX_RECORDED_ATTEMPTS,
  type TransitionKind,
} from '../../functions/notify/record.ts';
import type { StormBudget } from '../../functions/notify/storm.ts';
import { withDeadline } from '../errors.ts';
import { Collections, type WriteCounter } from './client.ts';

const MIRROR_FIELDS = ['raisedAt', 'clearedAt', 'updatedAt'] as const;

export function toDoc(record: AlertRecord, nowMs: number): DocumentData {
  return {
    ...record,
    raisedAt: record.raisedAtMs === null ? null : Timestamp.fromMillis(record.raisedAtMs),
    clearedAt: record.clearedAtMs === null ? null : Timestamp.fromMillis(record.clearedAtMs),
    updatedAt: Timestamp.fromMillis(nowMs),
  };
}

export function fromDoc(data: DocumentData): AlertRecord {
  const copy: DocumentData = { ...data };
  for (const f of MIRROR_FIELDS) delete copy[f];
  return copy as AlertRecord;
}

export interface FirestoreAlertStoreOptions {
  readonly deadlineMs: number;
  readonly counter: WriteCounter;
  readonly nowMs: () => number;
}

export class FirestoreAlertStore implements AlertRecordStore {
  readonly #db: Firestore;
  readonly #options: FirestoreAlertStoreOptions;

  constructor(db: Firestore, options: FirestoreAlertStoreOptions) {
    this.#db = db;
    this.#options = options;
  }

  #ref(alertId: string) {
    return this.#db.collection(Collections.alerts).doc(alertId);
  }

  async claim(
    event: AlertEvent,
    claim: (record: AlertRecord | undefined, budget: StormBudget | undefined) => ClaimWrite,
  ): Promise<ClaimResult> {
    const ref = this.#ref(event.alertId);
    const budgetRef = this.#db.collection(Collections.notifyBudgets).doc(event.deviceId);
    let writes = 0;
    const result = await withDeadline('firestore alert claim', this.#options.deadlineMs, () =>
      this.#db.runTransaction(
        async (tx) => {
          const [snap, budgetSnap] = await tx.getAll(ref, budgetRef);
          const out = claim(
            snap?.exists ? fromDoc(snap.data() as DocumentData) : undefined,
            budgetSnap?.exists ? (budgetSnap.data() as StormBudget) : undefined,
          );
          writes = 0;
          if (out.record) {
            tx.set(ref, toDoc(out.record, this.#options.nowMs()));
            writes++;
          }
          if (out.budget) {
            tx.set(budgetRef, out.budget);
            writes++;
          }
          return out.result;
        },
        { maxAttempts: 10 },
      ),
    );
    this.#options.counter.writes += writes;
    return result;
  }

  async finish(
    alertId: string,
    kind: TransitionKind,
    channels: Readonly<Record<string, ChannelOutcome>>,
    attempts: readonly DeliveryAttempt[],
    done: boolean,
  ): Promise<void> {
    const ref = this.#ref(alertId);
    await withDeadline('firestore alert finish', this.#options.deadlineMs, () =>
      this.#db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return;
        const record = fromDoc(snap.data() as DocumentData);
        const prior = record.deliveries[kind];
        if (!prior) return;
        record.deliveries = {
          ...record.deliveries,
          [kind]: {
            ...prior,
            channels: { ...prior.channels, ...channels },
            status: done ? 'done' : 'pending',
            // Releasing the lease lets the redelivery retry the failed channels at once.
            claimedAtMs: done ? prior.claimedAtMs : 0,
          },
        };
        record.attempts = [...record.attempts, ...attempts].slice(-MAX_RECORDED_ATTEMPTS);
        tx.set(ref, toDoc(record, this.#options.nowMs()));
      }),
    );
    this.#options.counter.writes += 1;
  }

  async get(alertId: string): Promise<AlertRecord | undefined> {
    const snap = await this.#ref(alertId).get();
    return snap.exists ? fromDoc(snap.data() as DocumentData) : undefined;
  }

  async list(state: AlertState | undefined, limit: number): Promise<AlertRecord[]> {
    const col = this.#db.collection(Collections.alerts);
    const query = state ? col.where('state', '==', state) : col;
    const snap = await query.limit(limit).get();
    return snap.docs
      .map((d) => fromDoc(d.data()))
      .sort((a, b) => (b.raisedAtMs ?? b.clearedAtMs ?? 0) - (a.raisedAtMs ?? a.clearedAtMs ?? 0));
  }

  /**
   * Operator state change. `ack` moves open -> acknowledged; `resolve` moves any state to
   * resolved. Returns the record after the change, or undefined when there is no such alert.
   */
  async setState(alertId: string, action: 'ack' | 'resolve'): Promise<AlertRecord | undefined> {
    const ref = this.#ref(alertId);
    const nowMs = this.#options.nowMs();
    return this.#db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists) return undefined;
      const record = fromDoc(snap.data() as DocumentData);
      if (action === 'ack' && record.state === 'open') {
        record.state = 'acknowledged';
        record.ackedAtMs = nowMs;
      } else if (action === 'resolve' && record.state !== 'resolved') {
        record.state = 'resolved';
        record.resolvedAtMs = nowMs;
      } else {
        return record;
      }
      tx.set(ref, toDoc(record, nowMs));
      return record;
    });
  }
}
