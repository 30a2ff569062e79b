/** The ports the notify logic talks through; adapters in cloud/src/adapters/{firestore,channels}. */
import type { AlertEvent, DeviceProfile, NotificationTarget } from '@edgeflow/shared';
import type { CloudErrorCode } from '../../adapters/errors.ts';
import type {
  AlertRecord,
  ChannelOutcome,
  ClaimResult,
  ClaimWrite,
  DeliveryAttempt,
  TransitionKind,
} from './record.ts';
import type { StormBudget } from './storm.ts';

export interface AlertRecordStore {
  /** Runs `claim` in a transaction over `alerts/<alertId>` and the device's storm budget. */
  claim(
    event: AlertEvent,
    claim: (record: AlertRecord | undefined, budget: StormBudget | undefined) => ClaimWrite,
  ): Promise<ClaimResult>;
  /** Records channel outcomes and attempts; `done` closes the transition's delivery. */
  finish(
    alertId: string,
    kind: TransitionKind,
    channels: Readonly<Record<string, ChannelOutcome>>,
    attempts: readonly DeliveryAttempt[],
    done: boolean,
  ): Promise<void>;
}

export interface ProfileSource {
  getOne(deviceId: string): Promise<DeviceProfile | undefined>;
}

/** What a channel renders and sends. */
export interface Notification {
  readonly type: 'alert' | 'digest';
  /** `<alertId>:<kind>:<channelKey>`: the same for every retry and redelivery. */
  readonly idempotencyKey: string;
  readonly event: AlertEvent;
  readonly deviceName: string;
  readonly site: string;
  /** One-line human text (Slack, email subject, log). */
  readonly text: string;
  /** Notifications folded away by the storm limit in this device's previous window. */
  readonly suppressedBefore: number;
}

export interface Channel {
  /** `<kind>_<index in the profile's notify list>`; stable while the profile is. */
  readonly key: string;
  send(notification: Notification): Promise<void>;
}

/**
 * A channel failure; `retryable` says whether another attempt may succeed, `code` (when
 * set) which policy refused it (e.g. EDGEFLOW_WEBHOOK_HOST_NOT_ALLOWED).
 */
export class ChannelError extends Error {
  readonly retryable: boolean;
  readonly code: CloudErrorCode | undefined;

  constructor(message: string, retryable: boolean, options?: { cause?: unknown; code?: CloudErrorCode }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ChannelError';
    this.retryable = retryable;
    this.code = options?.code;
  }
}

export type ChannelFactory = (target: NotificationTarget, key: string) => Channel;
