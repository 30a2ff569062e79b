/**
 * Alert history, event-sourced: every alert has an append-only event list at
 * `alerts/<alertId>/events/<eventId>` (raised, cleared, each delivery attempt, ack, resolve)
 * and the record at `alerts/<alertId>` is the fold of those events, written in the same
 * transaction as each event so queries (list by state, newest first) need only the record.
 *
 * Event ids are deterministic, so a redelivered transition or a retried write sets the same
 * document again instead of appending a duplicate:
 *   raised / cleared:  `<kind>-<source>`          (edge and cloud may both report it)
 *   delivery:          `delivery-<kind>-<channel>-<attempt>-<atMs>`
 *   ack / resolve:     `ack` / `resolve`           (each happens at most once per alert)
 *
 * Pure: no I/O. The Firestore adapter (adapters/firestore/alerts.ts) stores what these return.
 */
import type { AlertEvent, AlertSource } from '@edgeflow/shared';
import type { AlertRecord, AlertState, DeliveryAttempt } from '../functions/notify/record.ts';

export type HistoryType = 'raised' | 'cleared' | 'delivery' | 'ack' | 'resolve';

/** One stored history event (the API's AlertHistoryEvent, contract.ts). */
export interface HistoryEvent {
  eventId: string;
  type: HistoryType;
  atMs: number;
  /** ack/resolve: the operator; raised/cleared: the source (edge|cloud); delivery: null. */
  by: string | null;
  note: string | null;
  value: number | null;
  delivery: {
    kind: string;
    channel: string;
    attempt: number;
    outcome: string;
    error: string | null;
  } | null;
  /** ack/resolve: the client's Idempotency-Key, so a retried request is recognised. */
  requestKey?: string | null;
}

export function transitionEvent(e: AlertEvent): HistoryEvent {
  return {
    eventId: `${e.kind}-${e.source}`,
    type: e.kind,
    atMs: e.tsMs,
    by: e.source,
    note: null,
    value: e.value,
    delivery: null,
  };
}

export function deliveryEvent(a: DeliveryAttempt): HistoryEvent {
  return {
    eventId: `delivery-${a.kind}-${a.channel}-${a.attempt}-${a.atMs}`,
    type: 'delivery',
    atMs: a.atMs,
    by: null,
    note: null,
    value: null,
    delivery: {
      kind: a.kind,
      channel: a.channel,
      attempt: a.attempt,
      outcome: a.outcome,
      error: a.error ?? null,
    },
  };
}

export function operatorEvent(
  type: 'ack' | 'resolve',
  atMs: number,
  by: string,
  note: string | null,
  requestKey: string | null,
): HistoryEvent {
  return { eventId: type, type, atMs, by, note, value: null, delivery: null, requestKey };
}

/** Oldest first; ties by event id so the order is stable. */
export function sortHistory(events: readonly HistoryEvent[]): HistoryEvent[] {
  return [...events].sort(
    (a, b) => a.atMs - b.atMs || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0),
  );
}

/** The record fields the events determine (identity fields come from the first transition). */
export interface FoldedState {
  state: AlertState;
  raisedAtMs: number | null;
  clearedAtMs: number | null;
  clearedValue: number | null;
  ackedAtMs: number | null;
  ackedBy: string | null;
  resolvedAtMs: number | null;
  resolvedBy: string | null;
  sources: AlertSource[];
}

/**
 * Folds an alert's events into its state, independent of the order they arrived in (as
 * notify's mergeEvent, which maintains the record incrementally): the earliest raise and
 * clear win; an ack (recorded only while the alert was open) acknowledges; a clear or an
 * operator resolve resolves, and an operator resolve is the resolution when there is one
 * (a later clear does not re-resolve; a clear first makes the resolve a 409, so no event).
 */
export function foldHistory(events: readonly HistoryEvent[]): FoldedState {
  const s: FoldedState = {
    state: 'open',
    raisedAtMs: null,
    clearedAtMs: null,
    clearedValue: null,
    ackedAtMs: null,
    ackedBy: null,
    resolvedAtMs: null,
    resolvedBy: null,
    sources: [],
  };
  let resolve: HistoryEvent | undefined;
  for (const e of sortHistory(events)) {
    if ((e.type === 'raised' || e.type === 'cleared') && e.by && !s.sources.includes(e.by as AlertSource))
      s.sources.push(e.by as AlertSource);
    if (e.type === 'raised' && (s.raisedAtMs === null || e.atMs < s.raisedAtMs)) s.raisedAtMs = e.atMs;
    if (e.type === 'cleared' && (s.clearedAtMs === null || e.atMs < s.clearedAtMs)) {
      s.clearedAtMs = e.atMs;
      s.clearedValue = e.value;
    }
    if (e.type === 'ack') {
      s.ackedAtMs = e.atMs;
      s.ackedBy = e.by;
    }
    if (e.type === 'resolve') resolve = e;
  }
  if (resolve) {
    s.state = 'resolved';
    s.resolvedAtMs = resolve.atMs;
    s.resolvedBy = resolve.by;
  } else if (s.clearedAtMs !== null) {
    s.state = 'resolved';
    s.resolvedAtMs = s.clearedAtMs;
  } else if (s.ackedAtMs !== null) s.state = 'acknowledged';
  return s;
}

/** The folded fields of a stored record, for comparing it with foldHistory. */
export function recordState(r: AlertRecord): FoldedState {
  return {
    state: r.state,
    raisedAtMs: r.raisedAtMs,
    clearedAtMs: r.clearedAtMs,
    clearedValue: r.clearedValue,
    ackedAtMs: r.ackedAtMs,
    ackedBy: r.ackedBy ?? null,
    resolvedAtMs: r.resolvedAtMs,
    resolvedBy: r.resolvedBy ?? null,
    sources: [...r.sources],
  };
}
