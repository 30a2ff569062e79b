/**
 * Coded errors, defined in one place (fastify style). Every error that crosses a package
 * boundary carries a stable `code` that callers, metrics and dead-letter records key on;
 * the message is for humans and may change.
 */
export const ErrorCodes = {
  /** A value failed schema validation (ids, readings, alerts, profiles, config). */
  VALIDATION: 'EDGEFLOW_VALIDATION',
  /** Codec: input ended before the structure it promised. */
  CODEC_TRUNCATED: 'EDGEFLOW_CODEC_TRUNCATED',
  /** Codec: input or a declared size exceeds the codec's limits. */
  CODEC_OVERSIZE: 'EDGEFLOW_CODEC_OVERSIZE',
  /** Codec: a major schema version this decoder does not understand. */
  CODEC_UNKNOWN_MAJOR: 'EDGEFLOW_CODEC_UNKNOWN_MAJOR',
  /** Codec: a declared count does not match the data that follows. */
  CODEC_COUNT_MISMATCH: 'EDGEFLOW_CODEC_COUNT_MISMATCH',
  /** Codec: a value decodes to NaN or +-Infinity. */
  CODEC_NON_FINITE: 'EDGEFLOW_CODEC_NON_FINITE',
  /** Codec: a device, metric or gateway id violates its grammar. */
  CODEC_BAD_ID: 'EDGEFLOW_CODEC_BAD_ID',
  /** Codec: the bytes are not a well-formed envelope (not CBOR, wrong shape or types). */
  CODEC_MALFORMED: 'EDGEFLOW_CODEC_MALFORMED',
  /** Codec: asked to encode something it cannot represent (caller bug, not untrusted input). */
  CODEC_UNENCODABLE: 'EDGEFLOW_CODEC_UNENCODABLE',
  /** Rules: a rule definition is inconsistent (e.g. clear band on the wrong side). */
  RULE_INVALID: 'EDGEFLOW_RULE_INVALID',
  /** Configuration failed validation; the message lists every problem. */
  CONFIG_INVALID: 'EDGEFLOW_CONFIG_INVALID',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** One problem found while validating a value: where (a JSON pointer) and what. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

export class EdgeflowError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; problems?: readonly Problem[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EdgeflowError';
    this.code = code;
    this.problems = options?.problems ?? [];
  }
}

export function isEdgeflowError(err: unknown, code?: ErrorCode): err is EdgeflowError {
  return err instanceof EdgeflowError && (code === undefined || err.code === code);
}
