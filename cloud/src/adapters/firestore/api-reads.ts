/**
 * The API's reads of what ingest writes (layout in readings.ts): latest-value shards, bucket
 * documents of one series, the profile catalogue and open alerts per device. Each method
 * takes a document limit (the caller's remaining read budget) and returns the documents it
 * read, so the API can enforce and report its per-request read cap.
 */
import type { DeviceProfile } from '@edgeflow/shared';
import { deviceProfileChecker } from '@edgeflow/shared';
import { FieldPath, type Firestore, type Query, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import type { SeriesState } from '../../functions/ingest/shard.ts';
import { withDeadline } from '../errors.ts';
import { Collections } from './client.ts';

export interface ShardView {
  readonly gatewayId: string;
  /** deviceId -> metric -> latest state (rule state included, unused here). */
  readonly series: Readonly<Record<string, Readonly<Record<string, SeriesState>>>>;
}

export interface BucketDocView {
  readonly windowStartMs: number;
  readonly windowMs: number;
  readonly unit: string | null;
  readonly cols: Readonly<Record<string, { tsMs: number[]; value: number[]; seq: number[] }>>;
}

/** Documents read, and whether the limit cut the result short. */
export interface Limited<T> {
  readonly items: T[];
  readonly reads: number;
  readonly truncated: boolean;
}

export class FirestoreApiReads {
  readonly #db: Firestore;
  readonly #deadlineMs: number;

  constructor(db: Firestore, options: { readonly deadlineMs: number }) {
    this.#db = db;
    this.#deadlineMs = options.deadlineMs;
  }

  async #limited<T>(
    what: string,
    query: Query,
    limit: number,
    map: (d: QueryDocumentSnapshot) => T,
  ): Promise<Limited<T>> {
    // One more than asked says whether there is more; the caller's budget counts it.
    const snap = await withDeadline(what, this.#deadlineMs, () => query.limit(limit + 1).get());
    return {
      items: snap.docs.slice(0, limit).map(map),
      reads: Math.max(1, snap.size),
      truncated: snap.size > limit,
    };
  }

  /** Every latest-value shard (all gateways), without the `recent` transitions. */
  listShards(limit: number): Promise<Limited<ShardView>> {
    const q = this.#db.collection(Collections.latest).select('gatewayId', 'series');
    return this.#limited('firestore latest shards', q, limit, (d) => ({
      gatewayId: String(d.get('gatewayId') ?? d.id.slice(0, d.id.lastIndexOf('_'))),
      series: (d.get('series') ?? {}) as ShardView['series'],
    }));
  }

  /**
   * One gateway's latest shards (ingest's latestShards of them) holding only `deviceId`'s
   * series: the device's shard is among them, whatever shard count ingest runs with.
   */
  deviceShards(gatewayId: string, deviceId: string, limit: number): Promise<Limited<ShardView>> {
    const q = this.#db
      .collection(Collections.latest)
      .where('gatewayId', '==', gatewayId)
      .select('gatewayId', new FieldPath('series', deviceId));
    return this.#limited('firestore device shards', q, limit, (d) => ({
      gatewayId,
      series: (d.get('series') ?? {}) as ShardView['series'],
    }));
  }

  /** Ids of one device's alerts open or acknowledged. */
  openAlertsOf(deviceId: string, limit: number): Promise<Limited<string>> {
    const q = this.#db
      .collection(Collections.alerts)
      .where('deviceId', '==', deviceId)
      .where('state', 'in', ['open', 'acknowledged'])
      .select('deviceId');
    return this.#limited('firestore open alerts of a device', q, limit, (d) => d.id);
  }

  /** Device ids of alerts open or acknowledged (one entry per alert). */
  openAlertDevices(limit: number): Promise<Limited<string>> {
    const q = this.#db
      .collection(Collections.alerts)
      .where('state', 'in', ['open', 'acknowledged'])
      .select('deviceId');
    return this.#limited('firestore open alerts', q, limit, (d) => String(d.get('deviceId')));
  }

  /** Every valid profile (`devices/<id>`); invalid ones are skipped, as ingest treats them. */
  listProfiles(limit: number): Promise<Limited<DeviceProfile | undefined>> {
    return this.#limited('firestore profiles', this.#db.collection(Collections.devices), limit, (d) => {
      const data = { deviceId: d.id, ...d.data() };
      return deviceProfileChecker.check(data) ? data : undefined;
    });
  }

  /**
   * The gateway that first reported an unregistered device (the one ingest lets report it);
   * null for a record without one, undefined when the device was never reported.
   */
  async unregisteredGateway(deviceId: string): Promise<string | null | undefined> {
    const snap = await withDeadline('firestore unregistered device', this.#deadlineMs, () =>
      this.#db.collection(Collections.unregisteredDevices).doc(deviceId).get(),
    );
    if (!snap.exists) return undefined;
    const first = snap.get('gatewayId');
    return typeof first === 'string' && first.length > 0 ? first : null;
  }

  async isUnregisteredKnown(deviceId: string): Promise<boolean> {
    const snap = await withDeadline('firestore unregistered device', this.#deadlineMs, () =>
      this.#db.collection(Collections.unregisteredDevices).doc(deviceId).get(),
    );
    return snap.exists;
  }

  /**
   * A series' bucket documents whose window may overlap [fromMs, toMs): windows start at
   * most `maxWindowMs` before fromMs (the widest bucket window ingest uses).
   */
  readBuckets(
    deviceId: string,
    metric: string,
    fromMs: number,
    toMs: number,
    maxWindowMs: number,
    limit: number,
  ): Promise<Limited<BucketDocView>> {
    const q = this.#db
      .collection(Collections.readings)
      .where('deviceId', '==', deviceId)
      .where('metric', '==', metric)
      .where('windowStartMs', '>', fromMs - maxWindowMs)
      .where('windowStartMs', '<', toMs)
      .select('windowStartMs', 'windowMs', 'unit', 'cols');
    return this.#limited('firestore series buckets', q, limit, (d) => ({
      windowStartMs: Number(d.get('windowStartMs')),
      windowMs: Number(d.get('windowMs')),
      unit: (d.get('unit') as string | undefined) ?? null,
      cols: (d.get('cols') ?? {}) as BucketDocView['cols'],
    }));
  }
}
