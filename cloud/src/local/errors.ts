/**
 * Coded errors of the local stack. The shared `ErrorCodes` belong to the core; these are
 * the local stack's own, with the same `EDGEFLOW_` prefix so logs and callers key on them.
 */
export const LocalErrorCodes = {
  /** A required tool (Google Cloud CLI emulator, Java) is not installed; the message says what to install. */
  EMULATOR_MISSING: 'EDGEFLOW_LOCAL_EMULATOR_MISSING',
  /** An emulator did not become ready in time or exited while starting; carries its output tail. */
  EMULATOR_START_FAILED: 'EDGEFLOW_LOCAL_EMULATOR_START_FAILED',
  /** A functions-framework server did not become ready or exited while starting. */
  FUNCTION_START_FAILED: 'EDGEFLOW_LOCAL_FUNCTION_START_FAILED',
  /** An emulator-host environment variable is set but not `host:port`. */
  BAD_EMULATOR_HOST: 'EDGEFLOW_LOCAL_BAD_EMULATOR_HOST',
} as const;

export type LocalErrorCode = (typeof LocalErrorCodes)[keyof typeof LocalErrorCodes];

export class LocalStackError extends Error {
  readonly code: LocalErrorCode;

  constructor(code: LocalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LocalStackError';
    this.code = code;
  }
}
