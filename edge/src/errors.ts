/**
 * The gateway's own error codes, beside the shared ones. Every error the broker side raises
 * on purpose carries one of these, so logs and metrics key on a stable code.
 */
import { EdgeflowError, type ErrorCode } from '@edgeflow/shared';

export const EdgeErrorCodes = {
  /** The device registry file is unreadable or malformed. */
  REGISTRY_INVALID: 'EDGEFLOW_EDGE_REGISTRY_INVALID',
  /** A registry operation named a device that is (or is not) there. */
  REGISTRY_CONFLICT: 'EDGEFLOW_EDGE_REGISTRY_CONFLICT',
  /** A client tried to publish or subscribe outside what its role allows. */
  NOT_AUTHORIZED: 'EDGEFLOW_EDGE_NOT_AUTHORIZED',
  /** A subscriber stayed undrained past its timeout and was dropped. */
  SLOW_CLIENT: 'EDGEFLOW_EDGE_SLOW_CLIENT',
  /** A file named in the config (TLS cert/key, registry) could not be read. */
  FILE_UNREADABLE: 'EDGEFLOW_EDGE_FILE_UNREADABLE',
  /** An MQTT packet declared a size over the broker's limit; its client was disconnected. */
  PACKET_TOO_LARGE: 'EDGEFLOW_EDGE_PACKET_TOO_LARGE',
  /** A SUBSCRIBE went past the per-client subscription cap (SUBACK 0x80). */
  TOO_MANY_SUBSCRIPTIONS: 'EDGEFLOW_EDGE_TOO_MANY_SUBSCRIPTIONS',
  /** aedes or mqtt-packet changed shape: a limit that relies on them cannot be enforced. */
  UNSUPPORTED_LIBRARY: 'EDGEFLOW_EDGE_UNSUPPORTED_LIBRARY',
  /** The aedes broker instance itself emitted an error (logged and counted, not fatal). */
  BROKER_ERROR: 'EDGEFLOW_EDGE_BROKER_ERROR',
  /** A password verification could not run (its worker thread failed or the pool is closed). */
  AUTH_WORKER_FAILED: 'EDGEFLOW_EDGE_AUTH_WORKER_FAILED',
  /** A file holding secrets could not be written safely (e.g. the path is not a plain file). */
  FILE_UNSAFE: 'EDGEFLOW_EDGE_FILE_UNSAFE',
} as const;

export type EdgeErrorCode = (typeof EdgeErrorCodes)[keyof typeof EdgeErrorCodes];

export class EdgeError extends EdgeflowError {
  constructor(code: EdgeErrorCode, message: string, options?: { cause?: unknown }) {
    // EdgeflowError types its code as the shared union; the gateway's codes share the prefix
    // and the class, so callers use one `isEdgeflowError` test for both.
    super(code as unknown as ErrorCode, message, options);
    this.name = 'EdgeError';
  }
}
