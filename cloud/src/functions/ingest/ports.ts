/**
 * The ports the ingest logic talks through. Adapters (cloud/src/adapters/*) implement them
 * over one SDK each; tests implement them in memory.
 */
import type { AlertEvent, DeviceProfile } from '@edgeflow/shared';
import type { BucketWrite } from './bucket.ts';
import type { GatewayState } from './gateway-state.ts';
import type { ShardDoc } from './shard.ts';

export interface ProfileStore {
  /** Profiles for `deviceIds`; a device without a `devices/<id>` document maps to undefined. */
  getMany(deviceIds: readonly string[]): Promise<Map<string, DeviceProfile | undefined>>;
  /**
   * Records that an unknown device was seen (`unregisteredDevices/<id>`) and returns the
   * gateway that reported it first, which keeps it: creating an existing record changes
   * nothing, so reporting twice is harmless.
   */
  reportUnregistered(deviceId: string, gatewayId: string, seenAtMs: number): Promise<string>;
  /**
   * Flags an unregistered device that another gateway than its first reported too (adds the
   * gateway to the record's `claimedBy`); idempotent.
   */
  flagUnregistered(deviceId: string, gatewayId: string, seenAtMs: number): Promise<void>;
}

/** What a shard transaction decides: the document to write (none = unchanged) and a result. */
export interface ShardUpdate<T> {
  readonly next: ShardDoc | undefined;
  readonly result: T;
}

export interface ReadingStore extends ShardStore {
  /** Merges each bucket's column into its document; idempotent per (bucket, column key). */
  writeBuckets(buckets: readonly BucketWrite[]): Promise<void>;
  /**
   * Runs `update` in a transaction on one latest-value shard of a gateway. `update` is pure
   * and may run more than once (transaction retries).
   */
  updateShard<T>(
    gatewayId: string,
    shard: number,
    update: (current: ShardDoc | undefined) => ShardUpdate<T>,
  ): Promise<T>;
}

export interface ShardStore {
  /** The highest sequence applied in any of the gateway's `shards` shard documents; undefined when none exists. */
  highestSeq(gatewayId: string, shards: number): Promise<number | undefined>;
}

/** What a gateway-state transaction decides: the state to write and a result. */
export interface GatewayUpdate<T> {
  readonly next: GatewayState;
  readonly result: T;
}

export interface GatewayStateStore {
  /**
   * Runs `update` in one transaction on the gateway's state document (`current` undefined:
   * none yet; writing `next` creates it). `update` is pure and may run more than once.
   */
  update<T>(gatewayId: string, update: (current: GatewayState | undefined) => GatewayUpdate<T>): Promise<T>;
}

export interface AlertBus {
  /** Publishes alert transitions to the alerts topic; resolves once every one is accepted. */
  publish(events: readonly AlertEvent[], attributes?: Readonly<Record<string, string>>): Promise<void>;
}

export interface DeadLetterRecord {
  /** The function that gave up on the message. */
  readonly source: 'ingest' | 'notify';
  readonly subscription: string | undefined;
  /** The topic the message came from, when the function knows it (a replay goes there). */
  readonly sourceTopic?: string;
  readonly messageId: string;
  /** Stable error code (EDGEFLOW_CODEC_..., EDGEFLOW_BAD_MESSAGE). */
  readonly code: string;
  readonly reason: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly deliveryAttempt: number | undefined;
  readonly publishTimeMs: number | undefined;
}

export interface DeadLetterStore {
  /** Records a message that can never succeed; idempotent per message id. */
  record(letter: DeadLetterRecord): Promise<void>;
}
