/**
 * What every fault test shares: the run size (reduced in `npm test`, full under
 * `EDGEFLOW_FAULTS=full`), bounded waits, and the end-of-test accounting (wait for the
 * acknowledged readings to land, let redeliveries settle, then judge the ledger).
 */
import type { AlertEvent } from '@edgeflow/shared';
import type { Firestore } from '@google-cloud/firestore';
import type { Delivery } from '../webhook-sink.ts';
import { judgeLedger, type LedgerVerdict, storedByKey } from './ledger-accounting.ts';
import type { LedgerEntry } from './ledger-publisher.ts';

export const FULL = process.env.EDGEFLOW_FAULTS === 'full';

/** Durations and counts per fault; the reduced run keeps every check with less time. */
export const FAULT_PLAN = Object.freeze({
  /** Steady load before and after each fault. */
  steadyMs: FULL ? 5_000 : 2_000,
  kills: FULL ? 10 : 3,
  /** Seeded random wait before each kill, within [min, max). */
  killGapMs: FULL ? ([2_000, 6_000] as const) : ([1_000, 3_000] as const),
  uplinkCutMs: FULL ? 120_000 : 5_000,
  uplinkStallMs: FULL ? 20_000 : 3_000,
  /**
   * Bursts of transient ingest failures with healthy gaps between them. Not one long burst:
   * after many consecutive failed pushes the Pub/Sub emulator backs the push subscription off
   * for minutes (see the fault-suite report), which is an emulator trait, not the product's.
   */
  ingestFailBursts: 1,
  ingestFailMs: 4_000,
  /** Ingest unreachable: kept short, see the emulator's push backoff in the report. */
  ingestDownMs: 2_000,
  duplicateMs: FULL ? 30_000 : 4_000,
  garbageMessages: FULL ? 2_000 : 200,
  ratePerDevice: 10,
  loadDevices: 20,
});

export const SEED = 20_261_123;

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Waits (bounded) until every acknowledged reading is stored, then `settleMs` more so late
 * redeliveries would show up as duplicates, and returns the verdict on the final state.
 */
export async function drainAndJudge(
  db: Firestore,
  entries: readonly LedgerEntry[],
  timeoutMs: number,
  settleMs = 3_000,
): Promise<LedgerVerdict> {
  const deviceIds = [...new Set(entries.map((e) => e.deviceId))];
  const judge = async () => judgeLedger(entries, await storedByKey(db, deviceIds));
  let verdict = await judge();
  const deadline = Date.now() + timeoutMs;
  while (verdict.lostAckedCount > 0 && Date.now() < deadline) {
    await sleep(500);
    verdict = await judge();
  }
  await sleep(settleMs);
  return judge();
}

/** Webhook deliveries of alerts on `deviceId` whose event time is within [fromMs, toMs]. */
export function deliveriesFor(
  deliveries: readonly Delivery[],
  deviceId: string,
  fromMs: number,
  toMs: number,
): AlertEvent[] {
  const out: AlertEvent[] = [];
  for (const d of deliveries) {
    const alert = (d.body as { alert?: AlertEvent }).alert;
    if (alert && alert.deviceId === deviceId && alert.tsMs >= fromMs && alert.tsMs <= toMs) out.push(alert);
  }
  return out;
}

/** Cloud alert records (`alerts/`) of `deviceId` raised at an event time within the window. */
export async function alertRecordsFor(
  db: Firestore,
  deviceId: string,
  fromMs: number,
  toMs: number,
): Promise<Record<string, unknown>[]> {
  const snap = await db.collection('alerts').where('deviceId', '==', deviceId).get();
  return snap.docs
    .map((d) => ({ id: d.id, ...d.data() }) as Record<string, unknown>)
    .filter((r) => typeof r.raisedAtMs === 'number' && r.raisedAtMs >= fromMs && r.raisedAtMs <= toMs);
}
