/**
 * What actually crossed the uplink and what the ingest function did with it: a pull
 * subscription on the telemetry topic (the emulator delivers every message to every
 * subscription, so this sees each batch the gateway published, at its real size), and the
 * ingest function's "batch persisted" log lines (documents written per batch, time done).
 * Matched by batch id (`<gatewayId>:<firstSeq>-<lastSeq>`, as ingest derives it).
 */
import { pubsubClient } from '@edgeflow/cloud/local';
import { type AlertEvent, decodeBatch, type Reading } from '@edgeflow/shared';

export interface TappedBatch {
  readonly batchId: string;
  readonly gatewayId: string;
  readonly bytes: number;
  readonly readings: readonly Reading[];
  readonly alerts: readonly AlertEvent[];
  readonly publishTimeMs: number;
}

export interface PersistedBatch {
  readonly batchId: string;
  readonly readings: number;
  /** One bucket document per (device, metric, window) plus one per rule-state shard. */
  readonly documentWrites: number;
  /** Rule-state shards are updated in transactions: one document read each. */
  readonly documentReads: number;
  readonly persistedAtMs: number;
}

/** The batch id ingest gives a batch (prepareBatch in cloud/src/functions/ingest/ingest.ts). */
export function batchIdOf(
  gatewayId: string,
  readings: readonly Reading[],
  alerts: readonly AlertEvent[],
): string {
  let first = Number.POSITIVE_INFINITY;
  let last = -1;
  for (const x of [...readings, ...alerts]) {
    if (x.seq < first) first = x.seq;
    if (x.seq > last) last = x.seq;
  }
  if (last < 0) first = 0;
  return `${gatewayId}:${first}-${Math.max(last, 0)}`;
}

/** Reads one ingest log line; undefined for anything but a "batch persisted" record. */
export function parsePersistedLine(line: string): PersistedBatch | undefined {
  if (!line.includes('batch persisted')) return undefined;
  try {
    const rec = JSON.parse(line) as Record<string, unknown>;
    if (rec.message !== 'batch persisted' && rec.msg !== 'batch persisted') return undefined;
    const at = typeof rec.timestamp === 'string' ? Date.parse(rec.timestamp) : Number(rec.time);
    return {
      batchId: String(rec.batchId),
      readings: Number(rec.readings),
      documentWrites: Number(rec.buckets ?? 0) + Number(rec.shards ?? 0),
      documentReads: Number(rec.shards ?? 0),
      persistedAtMs: at,
    };
  } catch {
    return undefined;
  }
}

export interface Tap {
  readonly batches: TappedBatch[];
  readonly persisted: Map<string, PersistedBatch>;
  /** Feed the ingest function's output lines here. */
  onIngestLine(line: string): void;
  close(): Promise<void>;
}

export async function openTap(pubsubHost: string, projectId: string, topic: string): Promise<Tap> {
  const client = pubsubClient(pubsubHost, projectId);
  const [subscription] = await client.topic(topic).createSubscription(`edgeflow-bench-tap-${process.pid}`, {
    ackDeadlineSeconds: 60,
  });
  const batches: TappedBatch[] = [];
  const persisted = new Map<string, PersistedBatch>();
  subscription.on('message', (m) => {
    m.ack();
    try {
      const batch = decodeBatch(m.data);
      batches.push({
        batchId: batchIdOf(batch.gatewayId, batch.readings, batch.alerts),
        gatewayId: batch.gatewayId,
        bytes: m.data.length,
        readings: batch.readings,
        alerts: batch.alerts,
        publishTimeMs: m.publishTime.getTime(),
      });
    } catch {
      // Not a batch of ours (nobody else publishes here in a bench run); nothing to measure.
    }
  });
  subscription.on('error', () => undefined);
  return {
    batches,
    persisted,
    onIngestLine(line) {
      const p = parsePersistedLine(line);
      if (p) persisted.set(p.batchId, p);
    },
    async close() {
      await subscription.close().catch(() => undefined);
      await subscription.delete().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}
