/**
 * Gateway state at `gateways/<gatewayId>`: written by ingest from each batch (last batch,
 * newest reading, sequence gaps, and the health the gateway carries in its batches), read by
 * the API's GET /v1/gateways. The document type lives here so writer and reader share it.
 */
import { type DocumentData, type Firestore, Timestamp } from '@google-cloud/firestore';
import { withDeadline } from '../errors.ts';

export const GATEWAYS_COLLECTION = 'gateways';
/** Gaps kept on the document, most recent last. */
export const MAX_RECENT_GAPS = 20;

export interface SeqGap {
  fromSeq: number;
  toSeq: number;
  detectedAtMs: number;
}

/** The gateway's own state as carried in a batch (event-carried state transfer). */
export interface GatewayHealth {
  outboxRecords: number;
  outboxBytes: number;
  oldestUnsentAgeMs: number;
  evictedReadings: number;
  rejectedByReason: Record<string, number>;
  clientsConnected: number;
  rulesVersion: number | null;
  uptimeS: number;
  rssBytes: number;
  reportedAtMs: number;
}

export interface GatewayDoc {
  gatewayId: string;
  lastBatchAt: Timestamp;
  newestReadingAt: Timestamp;
  lastSeq: number;
  seqGapCount: number;
  /** At most MAX_RECENT_GAPS, oldest first. */
  recentGaps: SeqGap[];
  health: GatewayHealth | null;
}

/** The document as plain ms numbers (what the API and the pure logic use). */
export interface GatewayState {
  gatewayId: string;
  lastBatchAtMs: number | null;
  newestReadingAtMs: number | null;
  lastSeq: number | null;
  seqGapCount: number;
  recentGaps: SeqGap[];
  health: GatewayHealth | null;
}

function millis(t: unknown): number | null {
  return t instanceof Timestamp ? t.toMillis() : null;
}

export function gatewayFromDoc(id: string, data: DocumentData): GatewayState {
  return {
    gatewayId: typeof data.gatewayId === 'string' ? data.gatewayId : id,
    lastBatchAtMs: millis(data.lastBatchAt),
    newestReadingAtMs: millis(data.newestReadingAt),
    lastSeq: typeof data.lastSeq === 'number' ? data.lastSeq : null,
    seqGapCount: typeof data.seqGapCount === 'number' ? data.seqGapCount : 0,
    recentGaps: Array.isArray(data.recentGaps) ? (data.recentGaps as SeqGap[]).slice(-MAX_RECENT_GAPS) : [],
    health: (data.health as GatewayHealth | null | undefined) ?? null,
  };
}

export function gatewayToDoc(state: GatewayState): GatewayDoc {
  return {
    gatewayId: state.gatewayId,
    lastBatchAt: Timestamp.fromMillis(state.lastBatchAtMs ?? 0),
    newestReadingAt: Timestamp.fromMillis(state.newestReadingAtMs ?? 0),
    lastSeq: state.lastSeq ?? 0,
    seqGapCount: state.seqGapCount,
    recentGaps: state.recentGaps.slice(-MAX_RECENT_GAPS),
    health: state.health,
  };
}

export class FirestoreGatewayStore {
  readonly #db: Firestore;
  readonly #deadlineMs: number;

  constructor(db: Firestore, options: { readonly deadlineMs: number }) {
    this.#db = db;
    this.#deadlineMs = options.deadlineMs;
  }

  /** Gateways in id order (a collection's default order); at most `limit`, the caller's read budget. */
  async list(limit: number): Promise<{ gateways: GatewayState[]; reads: number; more: boolean }> {
    const snap = await withDeadline('firestore gateway list', this.#deadlineMs, () =>
      this.#db
        .collection(GATEWAYS_COLLECTION)
        .limit(limit + 1)
        .get(),
    );
    const docs = snap.docs.slice(0, limit);
    return {
      gateways: docs.map((d) => gatewayFromDoc(d.id, d.data())),
      reads: Math.max(1, docs.length),
      more: snap.size > limit,
    };
  }

  async put(state: GatewayState): Promise<void> {
    await withDeadline('firestore gateway write', this.#deadlineMs, () =>
      this.#db.collection(GATEWAYS_COLLECTION).doc(state.gatewayId).set(gatewayToDoc(state)),
    );
  }
}
