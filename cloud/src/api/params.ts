/**
 * Request parameter parsing. Each parser appends to a shared problem list instead of
 * throwing, so one 400 names every bad parameter; the handler throws once at the end
 * (`ParamProblems.throwIfAny`). Ids are checked with the shared id grammar (ids.ts).
 */
import { DEVICE_ID_PATTERN, METRIC_PATTERN } from '@edgeflow/shared';
import type { ApiProblem } from './contract.ts';
import { badRequest, ProblemCodes } from './errors.ts';

export type Query = Readonly<Record<string, unknown>>;

/** Event times the pipeline accepts (contracts.ts EventTimeMsSchema): 2000-01-01 .. 2200-01-01. */
const MIN_TIME_MS = 946_684_800_000;
const MAX_TIME_MS = 7_258_118_400_000;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const INTERVAL = /^(\d{1,12})(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DEVICE_ID = new RegExp(DEVICE_ID_PATTERN);
const METRIC = new RegExp(METRIC_PATTERN);
/** Longest id any of our collections uses (alert ids are device:metric:rule:time). */
const MAX_ID_LENGTH = 512;

export class ParamProblems {
  readonly list: ApiProblem[] = [];

  add(path: string, code: string, message: string, extra?: { minIntervalMs?: number }): void {
    this.list.push({ path, code, message, ...extra });
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw badRequest(this.list);
  }
}

/** The single string value of a query parameter; repeated or structured values are a problem. */
export function single(query: Query, name: string, problems: ParamProblems): string | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') {
    problems.add(`/query/${name}`, ProblemCodes.BAD_ENUM, 'must be given once, as a plain value');
    return undefined;
  }
  return raw;
}

/** Names every parameter the endpoint does not know: a typo must not silently mean "all". */
export function rejectUnknown(query: Query, known: readonly string[], problems: ParamProblems): void {
  for (const name of Object.keys(query)) {
    if (!known.includes(name))
      problems.add(
        `/query/${name}`,
        ProblemCodes.UNKNOWN_PARAM,
        `is not a parameter (known: ${known.join(', ')})`,
      );
  }
}

/** ISO 8601 (a date, or date-time with optional zone; UTC when none) or epoch milliseconds. */
export function parseTime(query: Query, name: string, problems: ParamProblems): number | undefined {
  const raw = single(query, name, problems);
  if (raw === undefined) return undefined;
  let ms: number;
  if (/^\d{1,16}$/.test(raw)) ms = Number(raw);
  else if (ISO_8601.test(raw))
    ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(raw) || raw.length === 10 ? raw : `${raw}Z`);
  else ms = Number.NaN;
  if (!Number.isFinite(ms)) {
    problems.add(
      `/query/${name}`,
      ProblemCodes.BAD_TIME,
      `"${raw}" is not an ISO 8601 time or epoch milliseconds`,
    );
    return undefined;
  }
  if (ms < MIN_TIME_MS || ms > MAX_TIME_MS) {
    problems.add(`/query/${name}`, ProblemCodes.BAD_TIME, `"${raw}" is outside 2000-01-01 .. 2200-01-01`);
    return undefined;
  }
  return ms;
}

/** `60000`, `500ms`, `30s`, `1m`, `1h`, `1d`. */
export function parseInterval(query: Query, name: string, problems: ParamProblems): number | undefined {
  const raw = single(query, name, problems);
  if (raw === undefined) return undefined;
  const m = INTERVAL.exec(raw);
  const ms = m ? Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] as number) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > 366 * 86_400_000) {
    problems.add(
      `/query/${name}`,
      ProblemCodes.BAD_INTERVAL,
      `"${raw}" is not an interval (e.g. 60000, 30s, 1m, 1h, 1d; at most 366d)`,
    );
    return undefined;
  }
  return ms;
}

export function parseEnum<T extends string>(
  query: Query,
  name: string,
  allowed: readonly T[],
  problems: ParamProblems,
  code: string = ProblemCodes.BAD_ENUM,
): T | undefined {
  const raw = single(query, name, problems);
  if (raw === undefined) return undefined;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  problems.add(`/query/${name}`, code, `"${raw}" is not one of ${allowed.join(', ')}`);
  return undefined;
}

export function parseLimit(query: Query, max: number, fallback: number, problems: ParamProblems): number {
  const raw = single(query, 'limit', problems);
  if (raw === undefined) return fallback;
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    problems.add('/query/limit', ProblemCodes.BAD_LIMIT, `"${raw}" must be an integer 1..${max}`);
    return fallback;
  }
  return n;
}

/** Cursors are opaque to clients: base64url of a JSON array the endpoint defined. */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The decoded position, checked against `shape` (typeof per element); undefined when absent. */
export function parseCursor(
  query: Query,
  shape: readonly ('string' | 'number')[],
  problems: ParamProblems,
): (string | number)[] | undefined {
  const raw = single(query, 'cursor', problems);
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === shape.length &&
      value.every((v, i) => typeof v === shape[i] && (typeof v !== 'number' || Number.isFinite(v)))
    )
      return value as (string | number)[];
  } catch {
    // Reported below.
  }
  problems.add('/query/cursor', ProblemCodes.BAD_CURSOR, 'is not a cursor this endpoint returned');
  return undefined;
}

export function checkDeviceId(id: string, path: string, problems: ParamProblems): void {
  if (!DEVICE_ID.test(id)) problems.add(path, ProblemCodes.BAD_ID, `"${id}" is not a device id`);
}

export function checkMetricName(metric: string, path: string, problems: ParamProblems): boolean {
  if (METRIC.test(metric)) return true;
  problems.add(path, ProblemCodes.UNKNOWN_METRIC, `"${metric}" is not a metric name`);
  return false;
}

/** The route's `{id}` as a document id (alerts, dead letters); a coded 400 when it is not one. */
export function pathDocId(params: Readonly<Record<string, string>>): string {
  const id = params.id as string;
  const problems = new ParamProblems();
  checkDocId(id, '/path/id', problems);
  problems.throwIfAny();
  return id;
}

/** Document ids: non-empty, bounded, no `/` (a path separator in Firestore). */
export function checkDocId(id: string, path: string, problems: ParamProblems): void {
  if (id.length === 0 || id.length > MAX_ID_LENGTH || id.includes('/') || id === '.' || id === '..')
    problems.add(path, ProblemCodes.BAD_ID, 'is not a valid id');
}
