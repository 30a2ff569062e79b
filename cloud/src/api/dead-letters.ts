/**
 * GET /v1/dead-letters, GET /v1/dead-letters/{id}, POST /v1/dead-letters/{id}:replay: the
 * `dlq` CLI's operations (functions/triage/admin.ts, one implementation of replay).
 */
import type { Timestamp } from '@google-cloud/firestore';
import { DeadLetterAdminError, type DeadLetterEntry, describePayload } from '../functions/triage/admin.ts';
import type { RequestContext } from './context.ts';
import type { DeadLetterDetail, DeadLetterList, DeadLetterSummary, ReplayResultBody } from './contract.ts';
import { ApiError, ApiErrorCodes, notFound } from './errors.ts';
import {
  encodeCursor,
  ParamProblems,
  parseCursor,
  parseEnum,
  parseLimit,
  pathDocId,
  rejectUnknown,
} from './params.ts';
import type { DeadLetterOps } from './ports.ts';

export const DEAD_LETTERS_MAX_LIMIT = 500;
const PREVIEW_BYTES = 256;
/** The list's preview: enough to tell letters apart without a request per row. */
export const SUMMARY_PREVIEW_CHARS = 64;

function ms(t: Timestamp | null | undefined): number | null {
  return t && typeof t.toMillis === 'function' ? t.toMillis() : null;
}

/** Printable ASCII as is, every other byte as '.'. */
function printable(bytes: Uint8Array): string {
  return [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
}

function summary({ id, doc }: DeadLetterEntry): DeadLetterSummary {
  return {
    id,
    recordedAtMs: ms(doc.recordedAt),
    source: doc.source,
    subscription: doc.subscription ?? null,
    deliveryAttempt: doc.deliveryAttempt ?? null,
    code: doc.code,
    reason: doc.reason,
    dataBytes: doc.dataBytes ?? 0,
    state: doc.state,
    replayCount: doc.replayCount ?? 0,
    previewText: printable(Buffer.from(doc.data ?? []).subarray(0, SUMMARY_PREVIEW_CHARS)),
  };
}

export async function listDeadLetters(ctx: RequestContext, ops: DeadLetterOps): Promise<DeadLetterList> {
  const problems = new ParamProblems();
  rejectUnknown(ctx.query, ['state', 'limit', 'cursor'], problems);
  const state = parseEnum(ctx.query, 'state', ['open', 'replayed'] as const, problems);
  const limit = parseLimit(ctx.query, DEAD_LETTERS_MAX_LIMIT, 100, problems);
  const cursor = parseCursor(ctx.query, ['number', 'string'], problems);
  problems.throwIfAny();
  ctx.budget.reserve(limit + 1, 'a page of dead letters');
  const entries = await ops.list({
    limit: limit + 1,
    ...(state ? { state } : {}),
    ...(cursor ? { after: [cursor[0] as number, cursor[1] as string] as const } : {}),
  });
  ctx.budget.charge(entries.length);
  const page = entries.slice(0, limit).map(summary);
  const last = page[page.length - 1];
  return {
    items: page,
    nextCursor: entries.length > limit && last ? encodeCursor([last.recordedAtMs ?? 0, last.id]) : null,
  };
}

export async function getDeadLetter(ctx: RequestContext, ops: DeadLetterOps): Promise<DeadLetterDetail> {
  const id = pathDocId(ctx.params);
  ctx.budget.reserve(1, 'a dead letter');
  const entry = await ops.get(id);
  ctx.budget.charge(1);
  if (!entry) throw notFound(`dead letter ${id}`);
  const { doc } = entry;
  const head = Buffer.from(doc.data ?? []).subarray(0, PREVIEW_BYTES);
  const described = describePayload(doc);
  return {
    letter: summary(entry),
    messageId: doc.messageId ?? null,
    sourceTopic: doc.sourceTopic ?? null,
    publishTimeMs: ms(doc.publishTime),
    replayedAtMs: ms(doc.replayedAt),
    truncated: Boolean(doc.truncated),
    attributes: { ...doc.attributes },
    header: described.header
      ? (JSON.parse(JSON.stringify(described.header)) as Record<string, unknown>)
      : null,
    headerError: described.headerError ?? null,
    previewHex: head.toString('hex'),
    previewText: printable(head),
  };
}

export async function replayDeadLetter(ctx: RequestContext, ops: DeadLetterOps): Promise<ReplayResultBody> {
  const id = pathDocId(ctx.params);
  // get (twice: replay re-reads), and the read-back of the replay count.
  ctx.budget.reserve(3, 'a dead letter replay');
  const exists = await ops.get(id);
  if (!exists) {
    ctx.budget.charge(1);
    throw notFound(`dead letter ${id}`);
  }
  try {
    const r = await ops.replay(id);
    ctx.budget.charge(3);
    return { id: r.id, topic: r.topic, messageId: r.messageId, replayCount: r.replayCount };
  } catch (err) {
    ctx.budget.charge(2);
    if (err instanceof DeadLetterAdminError) throw new ApiError(ApiErrorCodes.CONFLICT, err.message);
    throw err;
  }
}
