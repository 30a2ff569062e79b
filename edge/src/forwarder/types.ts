import type { Clock, GatewayHealth } from '@edgeflow/shared';
import type pino from 'pino';
import type prom from 'prom-client';
import type { DurableOutbox } from '../outbox/types.ts';

/** The port the forwarder publishes through; the Pub/Sub adapter implements it, tests fake it. */
export interface BatchPublisher {
  /** Resolves with the message id once Pub/Sub has acknowledged (persisted) the message. */
  publish(data: Uint8Array, attributes: Record<string, string>): Promise<string>;
  /** Releases connections; optional for fakes. */
  close?(): Promise<void>;
}

export interface ForwarderDeps {
  readonly outbox: DurableOutbox;
  readonly publisher: BatchPublisher;
  readonly gatewayId: string;
  readonly clock: Clock;
  readonly logger: pino.Logger;
  readonly registry: prom.Registry;
  /** Uniform [0, 1) for backoff jitter; injectable so tests are deterministic. */
  readonly random?: () => number;
  /** The gateway's health, carried in every batch (ops/health-report.ts); none when absent. */
  readonly health?: () => GatewayHealth | undefined;
}

export interface ForwarderStatus {
  /** Every reading below this seq is acknowledged by Pub/Sub (and checkpointed). */
  readonly committedSeq: number;
  readonly committedAlertIndex: number;
  readonly inFlightBatches: number;
  /** Batches waiting out a backoff after a failed publish: > 0 means the uplink is failing. */
  readonly retryingBatches: number;
  /** Gateway clock of the last acknowledged publish, undefined before the first. */
  readonly lastPublishOkAtMs: number | undefined;
  /** Message of the last failed publish, cleared by the next success. */
  readonly lastError: string | undefined;
}

export interface Forwarder {
  /** Flushes what is pending (bounded by stopTimeoutMs), leaves the position consistent. */
  stop(): Promise<void>;
  /** For /healthz: is the uplink working, how far forwarding got. */
  status(): ForwarderStatus;
}

export type FlushReason = 'count' | 'bytes' | 'linger' | 'alert' | 'replay' | 'shutdown';
