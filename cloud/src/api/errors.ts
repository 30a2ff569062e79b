/**
 * The API's coded errors. Each maps to one HTTP status; the body is always
 * `{ error: { code, message, problems } }` (contract.ts ErrorResponse).
 */
import type { ApiProblem } from './contract.ts';

export const ApiErrorCodes = {
  /** One or more parameters are invalid; `problems` lists every one (400). */
  BAD_REQUEST: 'EDGEFLOW_API_BAD_REQUEST',
  /** No such device, metric, alert, dead letter or route (404). */
  NOT_FOUND: 'EDGEFLOW_API_NOT_FOUND',
  /** The transition is illegal in the resource's current state (409). */
  CONFLICT: 'EDGEFLOW_API_CONFLICT',
  /** The request would read more documents than EDGEFLOW_API_MAX_READS (422). */
  READ_CAP: 'EDGEFLOW_API_READ_CAP',
  /** The route exists, the method does not (405). */
  METHOD_NOT_ALLOWED: 'EDGEFLOW_API_METHOD_NOT_ALLOWED',
  /** Every stream slot is taken (503). */
  TOO_MANY_STREAMS: 'EDGEFLOW_API_TOO_MANY_STREAMS',
  /** Anything else; details are logged, not returned (500). */
  INTERNAL: 'EDGEFLOW_API_INTERNAL',
} as const;
export type ApiErrorCode = (typeof ApiErrorCodes)[keyof typeof ApiErrorCodes];

/** Codes of single problems inside a 400. */
export const ProblemCodes = {
  BAD_TIME: 'EDGEFLOW_API_BAD_TIME',
  END_BEFORE_START: 'EDGEFLOW_API_END_BEFORE_START',
  UNKNOWN_AGG: 'EDGEFLOW_API_UNKNOWN_AGG',
  UNKNOWN_METRIC: 'EDGEFLOW_API_UNKNOWN_METRIC',
  BAD_INTERVAL: 'EDGEFLOW_API_BAD_INTERVAL',
  TOO_MANY_POINTS: 'EDGEFLOW_API_TOO_MANY_POINTS',
  RANGE_TOO_LONG_FOR_RAW: 'EDGEFLOW_API_RANGE_TOO_LONG_FOR_RAW',
  BAD_LIMIT: 'EDGEFLOW_API_BAD_LIMIT',
  BAD_CURSOR: 'EDGEFLOW_API_BAD_CURSOR',
  BAD_ENUM: 'EDGEFLOW_API_BAD_ENUM',
  BAD_ID: 'EDGEFLOW_API_BAD_ID',
  BAD_BODY: 'EDGEFLOW_API_BAD_BODY',
  UNKNOWN_PARAM: 'EDGEFLOW_API_UNKNOWN_PARAM',
} as const;

const STATUS: Record<ApiErrorCode, number> = {
  EDGEFLOW_API_BAD_REQUEST: 400,
  EDGEFLOW_API_NOT_FOUND: 404,
  EDGEFLOW_API_METHOD_NOT_ALLOWED: 405,
  EDGEFLOW_API_CONFLICT: 409,
  EDGEFLOW_API_READ_CAP: 422,
  EDGEFLOW_API_TOO_MANY_STREAMS: 503,
  EDGEFLOW_API_INTERNAL: 500,
};

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly problems: readonly ApiProblem[];

  constructor(
    code: ApiErrorCode,
    message: string,
    options?: { problems?: readonly ApiProblem[]; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.problems = options?.problems ?? [];
  }

  get status(): number {
    return STATUS[this.code];
  }
}

export function badRequest(problems: readonly ApiProblem[]): ApiError {
  return new ApiError(
    ApiErrorCodes.BAD_REQUEST,
    `invalid request: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
    { problems },
  );
}

export function notFound(what: string): ApiError {
  return new ApiError(ApiErrorCodes.NOT_FOUND, `no ${what}`);
}
