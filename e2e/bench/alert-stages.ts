/**
 * Where the device -> cloud alert time goes, per transition, from wall-clock stamps of the
 * same machine: device publish (bench), alert batch published on the uplink (Pub/Sub's
 * publishTime on the tap), that batch persisted by ingest (its log line), alert record seen
 * by the Firestore listener (bench). Medians per stage; pure.
 */
import { median } from './stats.ts';
import type { PersistedBatch, TappedBatch } from './tap.ts';

export interface AlertStages {
  readonly matched: number;
  /** Device publish -> alert batch accepted by Pub/Sub (gateway rules, outbox, forwarder). */
  readonly toUplinkMs: number;
  /** Uplink publish -> ingest done with that batch (push delivery, function). */
  readonly uplinkToIngestedMs: number;
  /** Ingest done -> record seen (alerts topic, notify, Firestore, listener). */
  readonly ingestedToRecordMs: number;
}

export function alertStages(
  sentAtWallMs: ReadonlyMap<string, number>,
  cloudSeenAtWallMs: ReadonlyMap<string, number>,
  batches: readonly TappedBatch[],
  persisted: ReadonlyMap<string, PersistedBatch>,
  keyOf: (deviceId: string, kind: string, value: number) => string,
): AlertStages | undefined {
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (const batch of batches) {
    const done = persisted.get(batch.batchId);
    for (const alert of batch.alerts) {
      const key = keyOf(alert.deviceId, alert.kind, alert.value);
      const sent = sentAtWallMs.get(key);
      const seen = cloudSeenAtWallMs.get(key);
      if (sent === undefined || seen === undefined || done === undefined) continue;
      a.push(batch.publishTimeMs - sent);
      b.push(done.persistedAtMs - batch.publishTimeMs);
      c.push(seen - done.persistedAtMs);
    }
  }
  if (a.length === 0) return undefined;
  return {
    matched: a.length,
    toUplinkMs: median(a),
    uplinkToIngestedMs: median(b),
    ingestedToRecordMs: median(c),
  };
}
