/**
 * Errors the cloud functions classify on. The one distinction that matters to Pub/Sub is
 * transient vs permanent: a transient error is thrown out of the handler (HTTP 500, the
 * message is redelivered), a permanent one is recorded as a dead letter and acknowledged.
 */
export const CloudErrorCodes = {
  /** A dependency (Firestore, Pub/Sub, a channel) failed in a way a retry may fix. */
  TRANSIENT: 'EDGEFLOW_TRANSIENT',
  /** An adapter call did not finish within its deadline. */
  DEADLINE: 'EDGEFLOW_DEADLINE',
  /** The test-only fail-after-write switch fired (EDGEFLOW_TEST_FAIL_AFTER_WRITE). */
  TEST_FAULT: 'EDGEFLOW_TEST_FAULT',
  /** A Pub/Sub message is not a telemetry batch or alert event at all (permanent). */
  BAD_MESSAGE: 'EDGEFLOW_BAD_MESSAGE',
  /**
   * A telemetry message that did not arrive on a gateway's own telemetry topic (no CloudEvent
   * source naming one): nothing says which gateway sent it (permanent).
   */
  NO_TRANSPORT_IDENTITY: 'EDGEFLOW_NO_TRANSPORT_IDENTITY',
  /** A batch whose payload names another gateway than the topic it arrived on (permanent). */
  GATEWAY_MISMATCH: 'EDGEFLOW_GATEWAY_MISMATCH',
  /** A reading or alert of a device that is not registered to the sending gateway (dropped). */
  DEVICE_NOT_OF_GATEWAY: 'EDGEFLOW_DEVICE_NOT_OF_GATEWAY',
  /** An alert inside a batch that names another gateway than the batch (dropped). */
  ALERT_GATEWAY_MISMATCH: 'EDGEFLOW_ALERT_GATEWAY_MISMATCH',
  /** A reading whose sequence jumps too far past the gateway's last seen one (dropped). */
  SEQ_JUMP: 'EDGEFLOW_SEQ_JUMP',
  /**
   * A batch's gateway health map did not validate: the batch is ingested and the gateway's
   * previous health kept on `gateways/<id>` (counted, logged).
   */
  GATEWAY_HEALTH_REJECTED: 'EDGEFLOW_GATEWAY_HEALTH_REJECTED',
  /** A gateway's batches skip sequence numbers: recorded as a gap on `gateways/<id>` (logged). */
  SEQ_GAP: 'EDGEFLOW_SEQ_GAP',
  /** Function configuration from the environment is invalid. */
  CONFIG_INVALID: 'EDGEFLOW_CONFIG_INVALID',
  /** A webhook URL does not parse or carries credentials; never fetched (permanent). */
  WEBHOOK_URL_INVALID: 'EDGEFLOW_WEBHOOK_URL_INVALID',
  /** A webhook URL is not https (plain http only to loopback, local stack only); never fetched. */
  WEBHOOK_NOT_HTTPS: 'EDGEFLOW_WEBHOOK_NOT_HTTPS',
  /** A webhook URL's host is not on the notify allowlist; never fetched (permanent). */
  WEBHOOK_HOST_NOT_ALLOWED: 'EDGEFLOW_WEBHOOK_HOST_NOT_ALLOWED',
  /** A webhook answered with a redirect, which is not followed: a failed delivery (permanent). */
  WEBHOOK_REDIRECT: 'EDGEFLOW_WEBHOOK_REDIRECT',
} as const;

export type CloudErrorCode = (typeof CloudErrorCodes)[keyof typeof CloudErrorCodes];

export class CloudError extends Error {
  readonly code: CloudErrorCode;

  constructor(code: CloudErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CloudError';
    this.code = code;
  }
}

/**
 * gRPC status codes the Google clients surface as `err.code`, which a retry can fix:
 * CANCELLED 1, UNKNOWN 2, DEADLINE_EXCEEDED 4, ABORTED 10, RESOURCE_EXHAUSTED 8,
 * INTERNAL 13, UNAVAILABLE 14.
 */
const TRANSIENT_GRPC = new Set([1, 2, 4, 8, 10, 13, 14]);

/** True when `err` is worth a redelivery rather than a dead letter. */
export function isTransient(err: unknown): boolean {
  if (err instanceof CloudError) return err.code !== CloudErrorCodes.BAD_MESSAGE;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return TRANSIENT_GRPC.has(code);
  // Network errors from fetch/undici and sockets: always worth a retry.
  return typeof code === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR)/.test(code);
}

/**
 * Bounds an adapter call: the Google clients retry UNAVAILABLE internally for up to a
 * minute, longer than we want a push request to hang. On timeout the call may still finish
 * in the background; every write here is idempotent, so that is harmless.
 */
export async function withDeadline<T>(what: string, deadlineMs: number, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CloudError(CloudErrorCodes.DEADLINE, `${what}: no answer within ${deadlineMs} ms`)),
      deadlineMs,
    );
  });
  try {
    return await Promise.race([run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
