/**
 * Operator actions on alerts, the one implementation the API and the `alerts` CLI share.
 *
 *   ack:     open -> acknowledged; acknowledged -> unchanged (idempotent); resolved -> 409
 *   resolve: open | acknowledged -> resolved; resolved -> 409, unless the request repeats the
 *            recorded resolve (same Idempotency-Key), which answers unchanged
 *   unknown alert id -> 404
 *
 * `decideAction` is pure; `AlertActions` runs it in the store's transaction so the event and
 * the folded record are written together.
 */
import type { AlertRecord } from '../functions/notify/record.ts';
import { type HistoryEvent, operatorEvent } from './history.ts';

export type AlertAction = 'ack' | 'resolve';

export interface ActionRequest {
  readonly action: AlertAction;
  /** Who: from the Google front end's identity headers, or the local operator name. */
  readonly actor: string;
  readonly note: string | null;
  /** The client's Idempotency-Key, when it sent one. */
  readonly requestKey: string | null;
  readonly nowMs: number;
}

export type ActionDecision =
  | { readonly outcome: 'changed'; readonly record: AlertRecord; readonly event: HistoryEvent }
  | { readonly outcome: 'unchanged'; readonly record: AlertRecord }
  | { readonly outcome: 'conflict'; readonly record: AlertRecord; readonly reason: string };

export function decideAction(
  record: AlertRecord,
  req: ActionRequest,
  priorResolve?: HistoryEvent,
): ActionDecision {
  if (req.action === 'ack') {
    if (record.state === 'acknowledged') return { outcome: 'unchanged', record };
    if (record.state === 'resolved')
      return {
        outcome: 'conflict',
        record,
        reason: `alert ${record.alertId} is resolved; it cannot be acknowledged`,
      };
    const event = operatorEvent('ack', req.nowMs, req.actor, req.note, req.requestKey);
    return {
      outcome: 'changed',
      event,
      record: { ...record, state: 'acknowledged', ackedAtMs: req.nowMs, ackedBy: req.actor },
    };
  }
  if (record.state === 'resolved') {
    if (req.requestKey !== null && priorResolve?.requestKey === req.requestKey)
      return { outcome: 'unchanged', record };
    const by = record.resolvedBy ? `by ${record.resolvedBy}` : 'by its clear';
    return { outcome: 'conflict', record, reason: `alert ${record.alertId} is already resolved (${by})` };
  }
  const event = operatorEvent('resolve', req.nowMs, req.actor, req.note, req.requestKey);
  return {
    outcome: 'changed',
    event,
    record: { ...record, state: 'resolved', resolvedAtMs: req.nowMs, resolvedBy: req.actor },
  };
}

/** The store side: runs `decide` in one transaction over the record and its `resolve` event. */
export interface AlertActionStore {
  applyAction(
    alertId: string,
    decide: (record: AlertRecord, priorResolve: HistoryEvent | undefined) => ActionDecision,
  ): Promise<ActionDecision | undefined>;
}

export type ActionResult =
  | { readonly status: 'changed' | 'unchanged'; readonly record: AlertRecord }
  | { readonly status: 'conflict'; readonly record: AlertRecord; readonly reason: string }
  | { readonly status: 'not-found' };

export class AlertActions {
  readonly #store: AlertActionStore;

  constructor(store: AlertActionStore) {
    this.#store = store;
  }

  async apply(alertId: string, req: ActionRequest): Promise<ActionResult> {
    const d = await this.#store.applyAction(alertId, (record, prior) => decideAction(record, req, prior));
    if (!d) return { status: 'not-found' };
    if (d.outcome === 'conflict') return { status: 'conflict', record: d.record, reason: d.reason };
    return { status: d.outcome, record: d.record };
  }
}
