/**
 * Alert records at `alerts/<alertId>`, their append-only history at
 * `alerts/<alertId>/events/<eventId>` (alerts/history.ts), and per-device storm budgets at
 * `notifyBudgets/<deviceId>`: the AlertRecordStore port of notify, the AlertActionStore of
 * ack/resolve, and the queries of the API and the `alerts` CLI. Every record write happens
 * in the transaction that appends the event it folds in. Times are kept as ms numbers (what
 * the pure logic uses) and mirrored as Timestamps (`raisedAt`, `clearedAt`, `updatedAt`)
 * for queries: lists order by `raisedAt` (the composite indexes infra creates).
 *
 * Growth of the history, stated: one event per transition and source, one per delivery
 * attempt (bounded by notify's retries x channels x the subscription's max deliveries), at
 * most one ack and one resolve.
 */
import type { AlertEvent } from '@edgeflow/shared';
import {
  type DocumentData,
  FieldPath,
  type Firestore,
  type Query,
  Timestamp,
  type Transaction,
} from '@google-cloud/firestore';
import type { ActionDecision, AlertActionStore } from '../../alerts/actions.ts';
import { deliveryEvent, type HistoryEvent, transitionEvent } from '../../alerts/history.ts';
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

export const EVENTS_SUBCOLLECTION = 'events';

/** Filters of an alert listing; all optional, combined with AND. */
export interface AlertFilter {
  readonly state?: AlertState;
  readonly deviceId?: string;
  readonly severity?: string;
}

/** Position after the last alert of a page: its raise time (ms, -1 when none) and id. */
export type AlertCursor = readonly [raisedAtMs: number, alertId: string];

export interface AlertPage {
  readonly records: AlertRecord[];
  readonly next: AlertCursor | null;
  /** Documents read (billed), for the API's read budget. */
  readonly reads: number;
}

export interface FirestoreAlertStoreOptions {
  readonly deadlineMs: number;
  readonly counter: WriteCounter;
  readonly nowMs: () => number;
}

export class FirestoreAlertStore implements AlertRecordStore, AlertActionStore {
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
            // The transition as a history event; a redelivery sets the same document again.
            this.#appendEvent(tx, event.alertId, transitionEvent(event));
            writes += 2;
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
        for (const a of attempts) this.#appendEvent(tx, alertId, deliveryEvent(a));
      }),
    );
    this.#options.counter.writes += 1 + attempts.length;
  }

  #appendEvent(tx: Transaction, alertId: string, event: HistoryEvent): void {
    tx.set(this.#ref(alertId).collection(EVENTS_SUBCOLLECTION).doc(event.eventId), event);
  }

  async get(alertId: string): Promise<AlertRecord | undefined> {
    const snap = await this.#ref(alertId).get();
    return snap.exists ? fromDoc(snap.data() as DocumentData) : undefined;
  }

  /**
   * Newest first (by raise time, then id), sorted by the query before the limit applies.
   * Reads at most `limit + 1` documents (the extra one says whether there is a next page).
   */
  async list(filter: AlertFilter, limit: number, after?: AlertCursor): Promise<AlertPage> {
    let query: Query = this.#db.collection(Collections.alerts);
    if (filter.state) query = query.where('state', '==', filter.state);
    if (filter.deviceId) query = query.where('deviceId', '==', filter.deviceId);
    if (filter.severity) query = query.where('severity', '==', filter.severity);
    query = query.orderBy('raisedAt', 'desc').orderBy(FieldPath.documentId(), 'desc');
    if (after) query = query.startAfter(after[0] < 0 ? null : Timestamp.fromMillis(after[0]), after[1]);
    const snap = await withDeadline('firestore alert list', this.#options.deadlineMs, () =>
      query.limit(limit + 1).get(),
    );
    const records = snap.docs.slice(0, limit).map((d) => fromDoc(d.data()));
    const last = records[records.length - 1];
    return {
      records,
      next: snap.size > limit && last ? [last.raisedAtMs ?? -1, last.alertId] : null,
      reads: Math.max(1, snap.size),
    };
  }

  /** The alert's history, oldest first; at most `limit` events. */
  async events(alertId: string, limit: number): Promise<{ events: HistoryEvent[]; reads: number }> {
    const snap = await withDeadline('firestore alert events', this.#options.deadlineMs, () =>
      this.#ref(alertId).collection(EVENTS_SUBCOLLECTION).orderBy('atMs').limit(limit).get(),
    );
    return { events: snap.docs.map((d) => d.data() as HistoryEvent), reads: Math.max(1, snap.size) };
  }

  /** Operator action (alerts/actions.ts): the record, its event and the fold in one transaction. */
  async applyAction(
    alertId: string,
    decide: (record: AlertRecord, priorResolve: HistoryEvent | undefined) => ActionDecision,
  ): Promise<ActionDecision | undefined> {
    const ref = this.#ref(alertId);
    const resolveRef = ref.collection(EVENTS_SUBCOLLECTION).doc('resolve');
    let wrote = false;
    const decision = await withDeadline('firestore alert action', this.#options.deadlineMs, () =>
      this.#db.runTransaction(async (tx) => {
        const [snap, resolveSnap] = await tx.getAll(ref, resolveRef);
        wrote = false;
        if (!snap?.exists) return undefined;
        const d = decide(
          fromDoc(snap.data() as DocumentData),
          resolveSnap?.exists ? (resolveSnap.data() as HistoryEvent) : undefined,
        );
        if (d.outcome === 'changed') {
          tx.set(ref, toDoc(d.record, this.#options.nowMs()));
          this.#appendEvent(tx, alertId, d.event);
          wrote = true;
        }
        return d;
      }),
    );
    if (wrote) this.#options.counter.writes += 2;
    return decision;
  }
}
