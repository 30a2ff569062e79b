/**
 * Gateway state at `gateways/<gatewayId>`: written by ingest from each batch (last batch,
 * newest reading, sequence gaps, and the health the gateway carries in its batches), read by
 * the API's GET /v1/gateways. The document layout lives here so writer and reader share it;
 * the state it maps to, and the fold ingest applies, in functions/ingest/gateway-state.ts.
 */
import { type DocumentData, type Firestore, Timestamp } from '@google-cloud/firestore';
import {
  type GatewayHealth,
  type GatewayState,
  MAX_RECENT_GAPS,
  type SeqGap,
} from '../../functions/ingest/gateway-state.ts';
import type { GatewayStateStore, GatewayUpdate } from '../../functions/ingest/ports.ts';
import { withDeadline } from '../errors.ts';
import type { WriteCounter } from './client.ts';

export const GATEWAYS_COLLECTION = 'gateways';
export type { GatewayHealth, GatewayState, SeqGap };
export { MAX_RECENT_GAPS };

export interface GatewayDoc {
  gatewayId: string;
  lastBatchAt: Timestamp | null;
  newestReadingAt: Timestamp | null;
  firstSeq: number | null;
  lastSeq: number | null;
  seqGapCount: number;
  /** At most MAX_RECENT_GAPS, oldest first. */
  recentGaps: SeqGap[];
  missingReadings: number;
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
    firstSeq: typeof data.firstSeq === 'number' ? data.firstSeq : null,
    lastSeq: typeof data.lastSeq === 'number' ? data.lastSeq : null,
    seqGapCount: typeof data.seqGapCount === 'number' ? data.seqGapCount : 0,
    recentGaps: Array.isArray(data.recentGaps) ? (data.recentGaps as SeqGap[]).slice(-MAX_RECENT_GAPS) : [],
    missingReadings: typeof data.missingReadings === 'number' ? data.missingReadings : 0,
    health: (data.health as GatewayHealth | null | undefined) ?? null,
  };
}

export function gatewayToDoc(state: GatewayState): GatewayDoc {
  return {
    gatewayId: state.gatewayId,
    // Null, not the epoch: a gateway without readings yet has no uplink lag to show.
    lastBatchAt: state.lastBatchAtMs === null ? null : Timestamp.fromMillis(state.lastBatchAtMs),
    newestReadingAt: state.newestReadingAtMs === null ? null : Timestamp.fromMillis(state.newestReadingAtMs),
    firstSeq: state.firstSeq,
    lastSeq: state.lastSeq,
    seqGapCount: state.seqGapCount,
    recentGaps: state.recentGaps.slice(-MAX_RECENT_GAPS).map((g) => ({
      fromSeq: g.fromSeq,
      toSeq: g.toSeq,
      detectedAtMs: g.detectedAtMs,
    })),
    missingReadings: state.missingReadings,
    health: state.health,
  };
}

export interface FirestoreGatewayStoreOptions {
  readonly deadlineMs: number;
  /** Counts the writes of `update` (ingest reports its writes per batch); optional for readers. */
  readonly counter?: WriteCounter;
}

export class FirestoreGatewayStore implements GatewayStateStore {
  readonly #db: Firestore;
  readonly #deadlineMs: number;
  readonly #counter: WriteCounter | undefined;

  constructor(db: Firestore, options: FirestoreGatewayStoreOptions) {
    this.#db = db;
    this.#deadlineMs = options.deadlineMs;
    this.#counter = options.counter;
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

  /**
   * Runs `update` in one transaction on `gateways/<gatewayId>` (undefined: no document yet,
   * which the write creates). `update` is pure and may run more than once (retries).
   */
  async update<T>(
    gatewayId: string,
    update: (current: GatewayState | undefined) => GatewayUpdate<T>,
  ): Promise<T> {
    const ref = this.#db.collection(GATEWAYS_COLLECTION).doc(gatewayId);
    const result = await withDeadline('firestore gateway transaction', this.#deadlineMs, () =>
      this.#db.runTransaction(
        async (tx) => {
          const snap = await tx.get(ref);
          const data = snap.data();
          const out = update(data === undefined ? undefined : gatewayFromDoc(gatewayId, data));
          tx.set(ref, gatewayToDoc(out.next));
          return out.result;
        },
        { maxAttempts: 10 },
      ),
    );
    if (this.#counter) this.#counter.writes += 1;
    return result;
  }
}
