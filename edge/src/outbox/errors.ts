/** Coded errors of the outbox and forwarder (stable `code`, human message). */
export const OutboxErrorCodes = {
  /** The outbox directory cannot be used (not writable, locked by another process, bad config). */
  OPEN_FAILED: 'EDGEFLOW_OUTBOX_OPEN_FAILED',
  /** Writing or fsyncing the log failed; the appends of that group are not durable. */
  WRITE_FAILED: 'EDGEFLOW_OUTBOX_WRITE_FAILED',
  /** An append after close() began. */
  CLOSED: 'EDGEFLOW_OUTBOX_CLOSED',
  /** More appends wait for the disk than maxPendingBytes allows; the caller must not acknowledge. */
  BACKPRESSURE: 'EDGEFLOW_OUTBOX_BACKPRESSURE',
  /** A publish failed or timed out (retried with backoff). */
  PUBLISH_FAILED: 'EDGEFLOW_FORWARDER_PUBLISH_FAILED',
} as const;
export type OutboxErrorCode = (typeof OutboxErrorCodes)[keyof typeof OutboxErrorCodes];

export class OutboxError extends Error {
  readonly code: OutboxErrorCode;

  constructor(code: OutboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutboxError';
    this.code = code;
  }
}
