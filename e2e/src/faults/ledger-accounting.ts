/**
 * Holds a publisher's ledger against what Firestore stores. Readings are matched by content
 * (device, metric, event time: unique per published reading), and their stored gateway
 * sequence numbers are collected, so a test can assert both "every acknowledged reading is
 * stored exactly once" and "the sequence numbers have no duplicates or unexplained gaps".
 */
import type { Firestore } from '@google-cloud/firestore';
import { key, type LedgerEntry } from './ledger-publisher.ts';

interface Columns {
  readonly tsMs: readonly number[];
  readonly value: readonly number[];
  readonly seq: readonly number[];
}

export interface StoredReading {
  readonly gatewayId: string;
  readonly seq: number;
  readonly value: number;
}

/** Every stored reading of `deviceIds`, by content key (a key stored twice has two entries). */
export async function storedByKey(
  db: Firestore,
  deviceIds: readonly string[],
): Promise<Map<string, StoredReading[]>> {
  const out = new Map<string, StoredReading[]>();
  // `in` takes at most 30 values per query.
  for (let i = 0; i < deviceIds.length; i += 30) {
    const snap = await db
      .collection('readings')
      .where('deviceId', 'in', deviceIds.slice(i, i + 30))
      .get();
    for (const doc of snap.docs) {
      const deviceId = String(doc.get('deviceId'));
      const metric = String(doc.get('metric'));
      const gatewayId = String(doc.get('gatewayId'));
      const cols = (doc.get('cols') ?? {}) as Record<string, Columns>;
      for (const c of Object.values(cols)) {
        c.seq.forEach((seq, j) => {
          const k = key(deviceId, metric, c.tsMs[j] as number);
          const list = out.get(k) ?? [];
          list.push({ gatewayId, seq, value: c.value[j] as number });
          out.set(k, list);
        });
      }
    }
  }
  return out;
}

export interface LedgerVerdict {
  readonly acked: number;
  readonly unknown: number;
  /** Acknowledged readings with no stored copy (the first few keys). */
  readonly lostAcked: readonly string[];
  readonly lostAckedCount: number;
  /** Readings stored more than once (the first few keys). */
  readonly duplicated: readonly string[];
  readonly duplicatedCount: number;
  /** Stored with a value other than the one published. */
  readonly wrongValue: readonly string[];
  /** `unknown` readings (connection dropped before the PUBACK) that were stored anyway. */
  readonly unknownStored: number;
  /** Stored sequence numbers of this ledger's readings, ascending. */
  readonly seqs: readonly number[];
  /** Stored readings of these devices within the ledger's time range that were never published. */
  readonly phantom: number;
}

const SHOW = 10;

export function judgeLedger(
  entries: readonly LedgerEntry[],
  stored: Map<string, StoredReading[]>,
): LedgerVerdict {
  const lost: string[] = [];
  const dup: string[] = [];
  const wrong: string[] = [];
  let acked = 0;
  let unknown = 0;
  let unknownStored = 0;
  let lostCount = 0;
  let dupCount = 0;
  const seqs: number[] = [];
  const published = new Set<string>();
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  for (const e of entries) {
    const k = key(e.deviceId, e.metric, e.tsMs);
    published.add(k);
    minTs = Math.min(minTs, e.tsMs);
    maxTs = Math.max(maxTs, e.tsMs);
    const copies = stored.get(k) ?? [];
    if (e.state === 'acked') acked += 1;
    else unknown += 1;
    if (copies.length === 0 && e.state === 'acked') {
      lostCount += 1;
      if (lost.length < SHOW) lost.push(k);
    }
    if (copies.length > 0 && e.state !== 'acked') unknownStored += 1;
    if (copies.length > 1) {
      dupCount += 1;
      if (dup.length < SHOW) dup.push(`${k} seqs ${copies.map((c) => c.seq).join(',')}`);
    }
    for (const c of copies) {
      seqs.push(c.seq);
      if (c.value !== e.value && wrong.length < SHOW)
        wrong.push(`${k} published ${e.value} stored ${c.value}`);
    }
  }
  let phantom = 0;
  for (const k of stored.keys()) {
    const ts = Number(k.slice(k.lastIndexOf('|') + 1));
    if (ts >= minTs && ts <= maxTs && !published.has(k)) phantom += 1;
  }
  seqs.sort((a, b) => a - b);
  return {
    acked,
    unknown,
    lostAcked: lost,
    lostAckedCount: lostCount,
    duplicated: dup,
    duplicatedCount: dupCount,
    wrongValue: wrong,
    unknownStored,
    seqs,
    phantom,
  };
}

/** Sequence numbers between the smallest and largest of `seqs` that are absent. */
export function seqGaps(seqs: readonly number[]): number[] {
  const gaps: number[] = [];
  for (let i = 1; i < seqs.length; i++) {
    for (let s = (seqs[i - 1] as number) + 1; s < (seqs[i] as number); s++) gaps.push(s);
  }
  return gaps;
}

/** `seqs` (ascending) as unbroken runs, e.g. `["0-99", "250-400"]`. */
export function seqRuns(seqs: readonly number[]): string[] {
  const runs: string[] = [];
  let start = seqs[0];
  for (let i = 1; i <= seqs.length; i++) {
    const prev = seqs[i - 1] as number;
    if (i === seqs.length || (seqs[i] as number) !== prev + 1) {
      runs.push(start === prev ? `${prev}` : `${start}-${prev}`);
      start = seqs[i];
    }
  }
  return seqs.length === 0 ? [] : runs;
}
