/**
 * What the API handlers talk through; Firestore adapters in cloud/src/adapters/firestore/
 * implement them, tests may implement them in memory. Every read method takes a document
 * limit and reports the documents it read (the per-request read budget, read-budget.ts).
 */
import type { DeviceProfile } from '@edgeflow/shared';
import type { AlertCursor, AlertFilter, AlertPage } from '../adapters/firestore/alerts.ts';
import type { BucketDocView, Limited, ShardView } from '../adapters/firestore/api-reads.ts';
import type { GatewayState } from '../adapters/firestore/gateways.ts';
import type { AlertActionStore } from '../alerts/actions.ts';
import type { HistoryEvent } from '../alerts/history.ts';
import type { AlertRecord } from '../functions/notify/record.ts';
import type { DeadLetterEntry, ReplayResult } from '../functions/triage/admin.ts';

export interface FleetReads {
  listShards(limit: number): Promise<Limited<ShardView>>;
  /** One gateway's latest shards, holding only `deviceId`'s series. */
  deviceShards(gatewayId: string, deviceId: string, limit: number): Promise<Limited<ShardView>>;
  openAlertDevices(limit: number): Promise<Limited<string>>;
  openAlertsOf(deviceId: string, limit: number): Promise<Limited<string>>;
  listProfiles(limit: number): Promise<Limited<DeviceProfile | undefined>>;
  isUnregisteredKnown(deviceId: string): Promise<boolean>;
  /** The first reporting gateway of an unregistered device; undefined when never reported. */
  unregisteredGateway(deviceId: string): Promise<string | null | undefined>;
  readBuckets(
    deviceId: string,
    metric: string,
    fromMs: number,
    toMs: number,
    maxWindowMs: number,
    limit: number,
  ): Promise<Limited<BucketDocView>>;
}

export interface AlertReads extends AlertActionStore {
  get(alertId: string): Promise<AlertRecord | undefined>;
  list(filter: AlertFilter, limit: number, after?: AlertCursor): Promise<AlertPage>;
  events(alertId: string, limit: number): Promise<{ events: HistoryEvent[]; reads: number }>;
}

export interface GatewayReads {
  list(limit: number): Promise<{ gateways: GatewayState[]; reads: number; more: boolean }>;
}

/** The dead-letter operations the `dlq` CLI runs too (functions/triage/admin.ts). */
export interface DeadLetterOps {
  list(options: { limit?: number; state?: 'open' | 'replayed' }): Promise<DeadLetterEntry[]>;
  get(id: string): Promise<DeadLetterEntry | undefined>;
  replay(id: string): Promise<ReplayResult>;
}

/** Real-time listeners (Firestore onSnapshot) behind GET /v1/stream. */
export interface LiveSource {
  /**
   * Calls `onChange` with each latest shard as it changes; the shards of the first snapshot
   * (the state at connect) come with `initial` true.
   */
  watchLatest(
    onChange: (shard: ShardView, initial: boolean) => void,
    onError: (err: Error) => void,
  ): () => void;
  /** Calls `onChange` with each alert record written at or after `sinceMs`. */
  watchAlerts(
    sinceMs: number,
    onChange: (record: AlertRecord) => void,
    onError: (err: Error) => void,
  ): () => void;
}
