/**
 * GET /v1/alerts, GET /v1/alerts/{id}, POST /v1/alerts/{id}:ack and :resolve. Listing is the
 * store's query (newest first, sorted before the limit); ack/resolve run the shared domain
 * code (alerts/actions.ts), the same the `alerts` CLI runs.
 */

import { compileChecker } from '@edgeflow/shared';
import { AlertActions } from '../alerts/actions.ts';
import { type HistoryEvent, sortHistory } from '../alerts/history.ts';
import type { AlertRecord, AlertState } from '../functions/notify/record.ts';
import type { RequestContext } from './context.ts';
import {
  type AlertActionBody,
  AlertActionBodySchema,
  type AlertActionResult,
  type AlertDetail,
  type AlertHistoryEvent,
  type AlertList,
  type AlertSummary,
} from './contract.ts';
import { ApiError, ApiErrorCodes, badRequest, notFound, ProblemCodes } from './errors.ts';
import {
  checkDeviceId,
  encodeCursor,
  ParamProblems,
  parseCursor,
  parseEnum,
  parseLimit,
  pathDocId,
  rejectUnknown,
  single,
} from './params.ts';
import type { AlertReads } from './ports.ts';

const STATES: readonly AlertState[] = ['open', 'acknowledged', 'resolved'];
const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const ALERTS_MAX_LIMIT = 500;
/** Events returned with one alert; the history is bounded (alerts/history.ts) well below this. */
export const MAX_HISTORY_EVENTS = 400;
const bodyChecker = compileChecker<AlertActionBody>(AlertActionBodySchema, 'action body');

export function toSummary(r: AlertRecord): AlertSummary {
  return {
    alertId: r.alertId,
    deviceId: r.deviceId,
    metric: r.metric,
    ruleId: r.ruleId,
    ruleKind: r.ruleKind,
    severity: r.severity,
    gatewayId: r.gatewayId ?? null,
    state: r.state,
    value: r.value,
    message: r.message,
    raisedAtMs: r.raisedAtMs,
    clearedAtMs: r.clearedAtMs,
    clearedValue: r.clearedValue,
    ackedAtMs: r.ackedAtMs,
    ackedBy: r.ackedBy ?? null,
    resolvedAtMs: r.resolvedAtMs,
    resolvedBy: r.resolvedBy ?? null,
    source: r.source,
    sources: [...r.sources],
  };
}

function toHistory(e: HistoryEvent): AlertHistoryEvent {
  return {
    eventId: e.eventId,
    type: e.type,
    atMs: e.atMs,
    by: e.by ?? null,
    note: e.note ?? null,
    value: e.value ?? null,
    delivery: e.delivery ?? null,
  };
}

export async function listAlerts(ctx: RequestContext, store: AlertReads): Promise<AlertList> {
  const problems = new ParamProblems();
  rejectUnknown(ctx.query, ['state', 'device', 'severity', 'limit', 'cursor'], problems);
  const state = parseEnum(ctx.query, 'state', STATES, problems);
  const device = single(ctx.query, 'device', problems);
  if (device !== undefined) checkDeviceId(device, '/query/device', problems);
  const severity = parseEnum(ctx.query, 'severity', SEVERITIES, problems);
  const limit = parseLimit(ctx.query, ALERTS_MAX_LIMIT, 100, problems);
  const cursor = parseCursor(ctx.query, ['number', 'string'], problems);
  problems.throwIfAny();
  ctx.budget.reserve(limit + 1, 'a page of alerts');
  const page = await store.list(
    {
      ...(state ? { state } : {}),
      ...(device ? { deviceId: device } : {}),
      ...(severity ? { severity } : {}),
    },
    limit,
    cursor ? [cursor[0] as number, cursor[1] as string] : undefined,
  );
  ctx.budget.charge(page.reads);
  return { items: page.records.map(toSummary), nextCursor: page.next ? encodeCursor(page.next) : null };
}

export async function getAlert(ctx: RequestContext, store: AlertReads): Promise<AlertDetail> {
  const id = pathDocId(ctx.params);
  ctx.budget.reserve(1 + MAX_HISTORY_EVENTS, 'an alert and its history');
  const record = await store.get(id);
  ctx.budget.charge(1);
  if (!record) throw notFound(`alert ${id}`);
  const { events, reads } = await store.events(id, MAX_HISTORY_EVENTS);
  ctx.budget.charge(reads);
  return { alert: toSummary(record), events: sortHistory(events).map(toHistory) };
}

export async function actOnAlert(
  ctx: RequestContext,
  store: AlertReads,
  action: 'ack' | 'resolve',
): Promise<AlertActionResult> {
  const id = pathDocId(ctx.params);
  const body = ctx.body === undefined || ctx.body === null || ctx.body === '' ? {} : ctx.body;
  if (!bodyChecker.check(body)) {
    throw badRequest(
      bodyChecker.problems(body).map((p) => ({
        path: `/body${p.path === '/' ? '' : p.path}`,
        code: ProblemCodes.BAD_BODY,
        message: p.message,
      })),
    );
  }
  ctx.budget.reserve(2, 'the alert and its resolve event');
  const result = await new AlertActions(store).apply(id, {
    action,
    actor: ctx.actor,
    note: body.note ?? null,
    requestKey: ctx.requestKey,
    nowMs: ctx.nowMs,
  });
  ctx.budget.charge(2);
  if (result.status === 'not-found') throw notFound(`alert ${id}`);
  if (result.status === 'conflict') throw new ApiError(ApiErrorCodes.CONFLICT, result.reason);
  return { alert: toSummary(result.record), changed: result.status === 'changed' };
}
