/**
 * Firestore persistence of readings: the ReadingStore port over @google-cloud/firestore.
 *
 * Layout
 *   readings/<deviceId>:<metric>:<windowStartMs>          one bucket document per series per
 *     { deviceId, metric, gatewayId, windowStartMs,      UTC hour (bucketWindowMs)
 *       windowMs, site, name, unit, registered,
 *       expireAt: Timestamp,                            <- TTL policy field (retention)
 *       cols: { "<gatewayId>_<firstSeq>":               one column set per batch, merged as
 *                 { tsMs: [..], value: [..], seq: [..] } }   a map field (never read-modify-write)
 *     }
 *   latest/<gatewayId>_<k>   (k < latestShards)          latest value + cloud rule state of the
 *     { gatewayId, shard, series: { <deviceId>: {         gateway's devices whose FNV-1a hash
 *         <metric>: { v, tsMs, seq, rules: {..} } } },   lands in shard k; updated in one
 *       recent: [AlertEvent..], maxSeq }                  transaction per shard per batch
 *
 * Readers reassemble a series by concatenating a bucket's columns and deduplicating by seq
 * (a gateway that re-forms batches after a crash can resend a reading under a new column).
 *
 * Cost arithmetic at the standard mix (50 devices x 4 metrics at 1 Hz, gateway linger 60 s):
 *   a batch holds 200 series x 60 readings = 12 000 readings;
 *   writes per batch = 200 bucket merges + 4 shard commits (latestShards = 4) + 1 gateway-state
 *   transaction (gateways/<id>, adapters/firestore/gateways.ts) = 205
 *   (+200 once an hour when a batch straddles the hour boundary: +3.3 on average);
 *   205 / 12 000 = 0.017 writes per reading (target <= 0.02; budget 240 per batch).
 *   A redelivered batch costs the 200 bucket merges and the gateway-state write (its
 *   lastBatchAt) again, but no shard write (nothing new).
 * Write rate per document: a bucket doc is written once per batch (every linger, 60 s); a
 *   shard doc and the gateway doc once per batch; all far below the ~1 write/s sustained per
 *   document guideline.
 * Document size: a 1 Hz series fills an hour with 3600 x 3 numbers x 8 B ~ 86 KB plus ~60
 *   column keys; a 5 Hz series ~ 430 KB: still under the 1 MiB limit. A series too fast
 *   for its window gets a narrower one, sized from its rate in the batch, so that no document
 *   holds more than 25 000 readings (ingest/bucket.ts windowForRate; id suffixed `:w<ms>`). A shard holds ~12 devices x 4 metrics x ~200 B of state and 128
 *   recent transitions (~40 KB).
 */
import { type Firestore, Timestamp } from '@google-cloud/firestore';
import type { BucketWrite } from '../../functions/ingest/bucket.ts';
import type { ReadingStore, ShardUpdate } from '../../functions/ingest/ports.ts';
import type { ShardDoc } from '../../functions/ingest/shard.ts';
import { highestSeqOf, shardDocId } from '../../functions/ingest/shard.ts';
import { withDeadline } from '../errors.ts';
import { Collections, type WriteCounter } from './client.ts';

/** Firestore's limit on writes in one commit. */
const MAX_WRITES_PER_COMMIT = 500;

export interface FirestoreReadingStoreOptions {
  readonly deadlineMs: number;
  readonly counter: WriteCounter;
}

export class FirestoreReadingStore implements ReadingStore {
  readonly #db: Firestore;
  readonly #options: FirestoreReadingStoreOptions;

  constructor(db: Firestore, options: FirestoreReadingStoreOptions) {
    this.#db = db;
    this.#options = options;
  }

  async writeBuckets(buckets: readonly BucketWrite[]): Promise<void> {
    const col = this.#db.collection(Collections.readings);
    const commits: Promise<unknown>[] = [];
    for (let i = 0; i < buckets.length; i += MAX_WRITES_PER_COMMIT) {
      const batch = this.#db.batch();
      const chunk = buckets.slice(i, i + MAX_WRITES_PER_COMMIT);
      for (const b of chunk) {
        batch.set(
          col.doc(b.docId),
          {
            deviceId: b.deviceId,
            metric: b.metric,
            gatewayId: b.gatewayId,
            windowStartMs: b.windowStartMs,
            windowMs: b.windowMs,
            site: b.enrichment.site,
            name: b.enrichment.name,
            unit: b.enrichment.unit,
            registered: b.enrichment.registered,
            expireAt: Timestamp.fromMillis(b.expireAtMs),
            cols: { [b.columnKey]: b.columns },
          },
          { merge: true },
        );
      }
      commits.push(
        withDeadline('firestore bucket commit', this.#options.deadlineMs, () => batch.commit()).then(() => {
          this.#options.counter.writes += chunk.length;
        }),
      );
    }
    await Promise.all(commits);
  }

  /** One read per shard (latestShards, 4 by default) per batch: reads cost a third of writes. */
  async highestSeq(gatewayId: string, shards: number): Promise<number | undefined> {
    const col = this.#db.collection(Collections.latest);
    const refs = Array.from({ length: shards }, (_, k) => col.doc(shardDocId(gatewayId, k)));
    const snaps = await withDeadline('firestore shard read', this.#options.deadlineMs, () =>
      this.#db.getAll(...refs),
    );
    let max: number | undefined;
    for (const snap of snaps) {
      if (!snap.exists) continue;
      const seq = highestSeqOf(snap.data() as ShardDoc);
      if (seq !== undefined && (max === undefined || seq > max)) max = seq;
    }
    return max;
  }

  async updateShard<T>(
    gatewayId: string,
    shard: number,
    update: (current: ShardDoc | undefined) => ShardUpdate<T>,
  ): Promise<T> {
    const ref = this.#db.collection(Collections.latest).doc(shardDocId(gatewayId, shard));
    let wrote = false;
    const result = await withDeadline('firestore shard transaction', this.#options.deadlineMs, () =>
      this.#db.runTransaction(
        async (tx) => {
          const snap = await tx.get(ref);
          const out = update(snap.exists ? (snap.data() as ShardDoc) : undefined);
          wrote = out.next !== undefined;
          if (out.next) tx.set(ref, out.next);
          return out.result;
        },
        { maxAttempts: 10 },
      ),
    );
    if (wrote) this.#options.counter.writes += 1;
    return result;
  }
}

/** Reads one series' readings back from its bucket documents, deduplicated by seq, in seq order. */
export async function readSeries(
  db: Firestore,
  deviceId: string,
  metric: string,
): Promise<{ tsMs: number; value: number; seq: number }[]> {
  const snap = await db
    .collection(Collections.readings)
    .where('deviceId', '==', deviceId)
    .where('metric', '==', metric)
    .get();
  const bySeq = new Map<number, { tsMs: number; value: number; seq: number }>();
  for (const doc of snap.docs) {
    const cols = (doc.get('cols') ?? {}) as Record<
      string,
      { tsMs: number[]; value: number[]; seq: number[] }
    >;
    for (const c of Object.values(cols)) {
      c.seq.forEach((seq, i) => {
        bySeq.set(seq, { tsMs: c.tsMs[i] as number, value: c.value[i] as number, seq });
      });
    }
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
