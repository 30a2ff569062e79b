/**
 * Structured logs in the shape Cloud Logging parses from a function's stdout: `severity`
 * (not pino's numeric `level`), the text under `message`, and the trace under
 * `logging.googleapis.com/trace` so entries group under their request in the console.
 * https://cloud.google.com/logging/docs/structured-logging#special-payload-fields
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** pino level label -> Cloud Logging LogSeverity. */
const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export const TRACE_FIELD = 'logging.googleapis.com/trace';
export const SPAN_FIELD = 'logging.googleapis.com/spanId';

export interface CreateLoggerOptions {
  /** Default: `$EDGEFLOW_LOG_LEVEL`, else `info`. */
  readonly level?: string;
  /** Default: stdout. Tests pass a stream to capture lines. */
  readonly destination?: DestinationStream;
  /** Fields on every line (e.g. `{ fn: 'ingest' }`). */
  readonly base?: Record<string, unknown>;
}

export function createLogger(name: string, options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? process.env.EDGEFLOW_LOG_LEVEL ?? 'info';
  return pino(
    {
      level,
      messageKey: 'message',
      // No pid/hostname: Cloud Logging attaches the resource itself; keep lines small.
      base: { name, ...options.base },
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
      // A secret slipping into a log field is redacted rather than shipped.
      redact: {
        paths: ['password', '*.password', 'authorization', '*.authorization', 'smtpPass'],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}

/**
 * The trace fields for a W3C `traceparent` (`00-<trace>-<span>-<flags>`, as carried by the
 * CloudEvent `traceparent` extension) or a bare 32-hex trace id. Returns `{}` when there is
 * none or it is malformed, so callers can always spread the result.
 */
export function traceFields(projectId: string, traceparent: string | undefined): Record<string, string> {
  if (!traceparent) return {};
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent);
  if (m) return { [TRACE_FIELD]: `projects/${projectId}/traces/${m[1]}`, [SPAN_FIELD]: m[2] as string };
  if (/^[0-9a-f]{32}$/.test(traceparent))
    return { [TRACE_FIELD]: `projects/${projectId}/traces/${traceparent}` };
  return {};
}

/** A child logger whose every line carries the trace of the request it serves. */
export function withTrace(logger: Logger, projectId: string, traceparent: string | undefined): Logger {
  const fields = traceFields(projectId, traceparent);
  return Object.keys(fields).length > 0 ? logger.child(fields) : logger;
}
