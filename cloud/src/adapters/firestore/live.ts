/**
 * Firestore real-time listeners for the API's event stream: the latest-value shards (every
 * change of a gateway's devices) and alert records written after a time. Works on the
 * emulator as in GCP. Each listener's first snapshot is the current state: the stream uses
 * it as the baseline and emits only what changes after it.
 */
import { type DocumentData, type Firestore, Timestamp } from '@google-cloud/firestore';
import type { LiveSource } from '../../api/ports.ts';
import type { AlertRecord } from '../../functions/notify/record.ts';
import { fromDoc } from './alerts.ts';
import type { ShardView } from './api-reads.ts';
import { Collections } from './client.ts';

export class FirestoreLive implements LiveSource {
  readonly #db: Firestore;

  constructor(db: Firestore) {
    this.#db = db;
  }

  watchLatest(
    onChange: (shard: ShardView, initial: boolean) => void,
    onError: (err: Error) => void,
  ): () => void {
    let initial = true;
    return this.#db
      .collection(Collections.latest)
      .select('gatewayId', 'series')
      .onSnapshot((snap) => {
        for (const change of snap.docChanges()) {
          if (change.type === 'removed') continue;
          const d = change.doc;
          onChange(
            {
              gatewayId: String(d.get('gatewayId') ?? d.id.slice(0, d.id.lastIndexOf('_'))),
              series: (d.get('series') ?? {}) as ShardView['series'],
            },
            initial,
          );
        }
        initial = false;
      }, onError);
  }

  watchAlerts(
    sinceMs: number,
    onChange: (record: AlertRecord) => void,
    onError: (err: Error) => void,
  ): () => void {
    return this.#db
      .collection(Collections.alerts)
      .where('updatedAt', '>=', Timestamp.fromMillis(sinceMs))
      .onSnapshot((snap) => {
        for (const change of snap.docChanges()) {
          if (change.type !== 'removed') onChange(fromDoc(change.doc.data() as DocumentData));
        }
      }, onError);
  }
}
