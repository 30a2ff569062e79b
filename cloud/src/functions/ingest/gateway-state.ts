/**
 * The gateway's state at `gateways/<gatewayId>` as ingest keeps it: a pure fold of one batch
 * into the previous state (run inside one Firestore transaction, so it may run more than once).
 *
 * Sequence bookkeeping: a gateway numbers its readings contiguously (outbox seqs), so the
 * seqs the cloud has seen cover a span [firstSeq, lastSeq] with holes: the gaps. Each run of
 * consecutive seqs of a batch extends the span (a hole between the old edge and the run is a
 * new gap) and is subtracted from the open gaps (a late, overtaken batch shrinks or splits
 * the gap it falls in). A redelivery subtracts nothing and extends nothing: the seq part of
 * the fold is idempotent and, the set of holes being what is left of a span after removing
 * what arrived, independent of the order batches arrive in (as long as every open gap is still
 * tracked: at most MAX_RECENT_GAPS are).
 */
import type { Reading } from '@edgeflow/shared';

/** Gaps kept on the document, most recently detected last. */
export const MAX_RECENT_GAPS = 20;

/** Missing seqs fromSeq..toSeq (both included). */
export interface SeqGap {
  fromSeq: number;
  toSeq: number;
  /** Clock of the ingest instance that first saw the gap (a split keeps it). */
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

/** The document as plain ms numbers (what the API and the pure logic use). */
export interface GatewayState {
  gatewayId: string;
  /** Ingest's clock when the last batch (a redelivery too) was persisted. */
  lastBatchAtMs: number | null;
  /** Newest gateway receipt time (rxMs, else tsMs) of any admitted reading. */
  newestReadingAtMs: number | null;
  /** Lowest seq seen; null on documents written before it was kept (no gap is then recorded below the span). */
  firstSeq: number | null;
  lastSeq: number | null;
  /**
   * Holes in the gateway's seqs known now: +1 per gap detected, +1 when a late batch splits a
   * gap in two, -1 when late batches fill a gap entirely. A gap dropped from recentGaps can no
   * longer be filled and so stays counted.
   */
  seqGapCount: number;
  /** Open gaps, at most MAX_RECENT_GAPS, in the order detected (oldest first). */
  recentGaps: SeqGap[];
  /** Readings in the open gaps (as seqGapCount, including the gaps no longer listed). */
  missingReadings: number;
  health: GatewayHealth | null;
}

/** What one batch says about its gateway, extracted once per batch (batchFacts). */
export interface BatchFacts {
  /** Runs of consecutive seqs of the batch, ascending and disjoint. */
  readonly runs: readonly { readonly fromSeq: number; readonly toSeq: number }[];
  /** Newest receipt time among the admitted readings; undefined when none. */
  readonly newestReadingAtMs: number | undefined;
  readonly health: GatewayHealth | undefined;
  /** The batch carried a health map that did not validate (the previous health is kept). */
  readonly healthRejected: boolean;
}

export interface GatewayFold {
  readonly state: GatewayState;
  /** Gaps this batch revealed (new holes at the span's edges or between the batch's runs). */
  readonly opened: readonly SeqGap[];
  /** Missing readings this batch delivered late. */
  readonly filledReadings: number;
}

/**
 * The batch's runs of consecutive seqs. Decoded batches list readings in seq order; any other
 * order is sorted first. Seqs above `ceilingSeq` are left out: admission drops them (SEQ_JUMP)
 * and one of them would otherwise open a gap of up to 2^53 readings.
 */
export function seqRunsOf(
  readings: readonly Pick<Reading, 'seq'>[],
  ceilingSeq: number,
): { fromSeq: number; toSeq: number }[] {
  let seqs: number[] = [];
  let sorted = true;
  for (const r of readings) {
    if (!Number.isSafeInteger(r.seq) || r.seq < 0 || r.seq > ceilingSeq) continue;
    if (seqs.length > 0 && r.seq < (seqs[seqs.length - 1] as number)) sorted = false;
    seqs.push(r.seq);
  }
  if (!sorted) seqs = seqs.sort((a, b) => a - b);
  const runs: { fromSeq: number; toSeq: number }[] = [];
  let run: { fromSeq: number; toSeq: number } | undefined;
  for (const seq of seqs) {
    if (run !== undefined && seq <= run.toSeq + 1) {
      if (seq > run.toSeq) run.toSeq = seq;
      continue;
    }
    run = { fromSeq: seq, toSeq: seq };
    runs.push(run);
  }
  return runs;
}

/**
 * The newest gateway receipt time of `readings`: rxMs when the reading has one (the device
 * stamped it), else tsMs (then the gateway's receipt time). Receipt time, not event time, so
 * that uplink lag (now - newest) measures the path from the gateway, not a device's clock.
 */
export function newestReceiptMs(readings: readonly Pick<Reading, 'tsMs' | 'rxMs'>[]): number | undefined {
  let newest: number | undefined;
  for (const r of readings) {
    const at = r.rxMs ?? r.tsMs;
    if (newest === undefined || at > newest) newest = at;
  }
  return newest;
}

export function emptyGatewayState(gatewayId: string): GatewayState {
  return {
    gatewayId,
    lastBatchAtMs: null,
    newestReadingAtMs: null,
    firstSeq: null,
    lastSeq: null,
    seqGapCount: 0,
    recentGaps: [],
    missingReadings: 0,
    health: null,
  };
}

/** Folds one persisted batch into the gateway's state (`current` undefined: no document yet). */
export function foldBatch(
  current: GatewayState | undefined,
  gatewayId: string,
  facts: BatchFacts,
  nowMs: number,
): GatewayFold {
  const prev = current ?? emptyGatewayState(gatewayId);
  let gaps = prev.recentGaps.map((g) => ({ ...g }));
  let { firstSeq, lastSeq, seqGapCount, missingReadings } = prev;
  const opened: SeqGap[] = [];
  let filledReadings = 0;
  const open = (fromSeq: number, toSeq: number) => {
    const gap = { fromSeq, toSeq, detectedAtMs: nowMs };
    opened.push(gap);
    gaps.push(gap);
    seqGapCount += 1;
    missingReadings += toSeq - fromSeq + 1;
  };
  for (const run of facts.runs) {
    if (lastSeq === null) {
      firstSeq = run.fromSeq;
      lastSeq = run.toSeq;
      continue;
    }
    const next: SeqGap[] = [];
    for (const g of gaps) {
      if (run.toSeq < g.fromSeq || run.fromSeq > g.toSeq) {
        next.push(g);
        continue;
      }
      filledReadings += Math.min(run.toSeq, g.toSeq) - Math.max(run.fromSeq, g.fromSeq) + 1;
      const below = run.fromSeq > g.fromSeq;
      const above = run.toSeq < g.toSeq;
      if (below) next.push({ ...g, toSeq: run.fromSeq - 1 });
      if (above) next.push({ ...g, fromSeq: run.toSeq + 1 });
      if (below && above) seqGapCount += 1;
      else if (!below && !above) seqGapCount -= 1;
    }
    // Trimmed per run, so that a batch of many runs stays linear in its size.
    gaps = next.length > MAX_RECENT_GAPS ? next.slice(-MAX_RECENT_GAPS) : next;
    if (firstSeq !== null && run.fromSeq < firstSeq) {
      if (run.toSeq < firstSeq - 1) open(run.toSeq + 1, firstSeq - 1);
      firstSeq = run.fromSeq;
    }
    if (run.fromSeq > lastSeq + 1) open(lastSeq + 1, run.fromSeq - 1);
    if (run.toSeq > lastSeq) lastSeq = run.toSeq;
  }
  gaps = gaps.slice(-MAX_RECENT_GAPS);
  // Floored: a document edited by hand (or older than missingReadings) may hold less.
  missingReadings = Math.max(0, missingReadings - filledReadings);
  seqGapCount = Math.max(0, seqGapCount);
  // A late, overtaken batch carries an older snapshot than the one kept: keep the newer.
  const overtaken = facts.runs.length > 0 && prev.lastSeq !== null && lastSeqOf(facts) < prev.lastSeq;
  const health = facts.health !== undefined && !overtaken ? facts.health : prev.health;
  const newest =
    facts.newestReadingAtMs === undefined
      ? prev.newestReadingAtMs
      : Math.max(prev.newestReadingAtMs ?? facts.newestReadingAtMs, facts.newestReadingAtMs);
  return {
    state: {
      gatewayId,
      lastBatchAtMs: nowMs,
      newestReadingAtMs: newest,
      firstSeq,
      lastSeq,
      seqGapCount,
      recentGaps: gaps,
      missingReadings,
      health,
    },
    opened,
    filledReadings,
  };
}

function lastSeqOf(facts: BatchFacts): number {
  return facts.runs[facts.runs.length - 1]?.toSeq ?? -1;
}
