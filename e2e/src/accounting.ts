/**
 * Sequence accounting against Firestore: what the cloud holds, per gateway, by sequence
 * number. This is how the suites prove "nothing acknowledged is lost" and "exactly-once
 * effect": every accepted sequence number is present, and no reading is stored twice.
 */
import type { Firestore } from '@google-cloud/firestore';

export interface PersistedReadings {
  /** Distinct (gateway, seq) pairs stored. */
  readonly unique: number;
  /** Stored entries beyond the first for the same (gateway, seq): duplicates in the data. */
  readonly duplicated: number;
  /** Sequence numbers per gateway, ascending. */
  readonly seqsByGateway: ReadonlyMap<string, readonly number[]>;
}

interface Columns {
  readonly seq: readonly number[];
}

/** Reads every bucket document of `readings/` (fine for a local run; not a production query). */
export async function persistedReadings(db: Firestore): Promise<PersistedReadings> {
  const snap = await db.collection('readings').get();
  const seen = new Map<string, Set<number>>();
  let entries = 0;
  for (const doc of snap.docs) {
    const gatewayId = String(doc.get('gatewayId'));
    const cols = (doc.get('cols') ?? {}) as Record<string, Columns>;
    const set = seen.get(gatewayId) ?? new Set<number>();
    seen.set(gatewayId, set);
    // A re-sent batch writes the same column key again (a merge, not a second copy); a
    // reading stored under two different column keys shows up here as a duplicate.
    for (const c of Object.values(cols)) {
      entries += c.seq.length;
      for (const seq of c.seq) set.add(seq);
    }
  }
  let unique = 0;
  const seqsByGateway = new Map<string, number[]>();
  for (const [gw, set] of seen) {
    unique += set.size;
    seqsByGateway.set(
      gw,
      [...set].sort((a, b) => a - b),
    );
  }
  return { unique, duplicated: entries - unique, seqsByGateway };
}

/** Sequence numbers in [0, upTo) missing from `seqs` (ascending), at most `limit` of them. */
export function missingSeqs(seqs: readonly number[], upTo: number, limit = 20): number[] {
  const have = new Set(seqs);
  const missing: number[] = [];
  for (let s = 0; s < upTo && missing.length < limit; s++) if (!have.has(s)) missing.push(s);
  return missing;
}
