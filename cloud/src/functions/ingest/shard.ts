/**
 * The latest-value view and the cloud-side rule state of a gateway's devices, kept in a few
 * shard documents per gateway instead of one document per device: one transactional write
 * per shard per batch, whatever the number of devices (cost arithmetic in
 * cloud/src/adapters/firestore/readings.ts).
 *
 * Idempotence and ordering: every series remembers the highest sequence number it has
 * applied. A reading at or below it (a redelivery, or a batch overtaken by a later one) is
 * never applied again, so rule state cannot go backwards or double-count. Transitions are
 * remembered (bounded) with the sequence of the reading that caused them; a batch replayed
 * after its shard commit (e.g. the publish failed) republishes exactly the transitions its
 * sequence range caused, and notify dedups them by alert id + kind.
 *
 * Trade-off, stated: a batch overtaken by a later batch of the same gateway still lands in
 * the bucket documents (nothing is lost), but its readings do not drive the rules, because
 * the state has already moved past them; the rule engine treats late readings the same way.
 */
import type { AlertEvent, DeviceProfile, Reading, RuleSpec } from '@edgeflow/shared';
import type { ShardUpdate } from './ports.ts';

export interface SeriesState {
  /** Latest applied reading: value, event time, gateway sequence. */
  v: number;
  tsMs: number;
  seq: number;
  /** Rule engine state per rule id (plain data, as the engine returns it). */
  rules: Record<string, unknown>;
}

export interface ShardDoc {
  gatewayId: string;
  shard: number;
  /** deviceId -> metric -> state. */
  series: Record<string, Record<string, SeriesState>>;
  /** Most recent transitions, oldest first, at most `recentLimit`. */
  recent: AlertEvent[];
  /**
   * Highest sequence applied in this shard (absent in documents written before it existed:
   * then the highest series sequence). Ingest bounds how far a reading may jump past it.
   */
  maxSeq?: number;
}

/** The highest sequence this shard has applied, or undefined for an empty one. */
export function highestSeqOf(doc: ShardDoc): number | undefined {
  let max = doc.maxSeq;
  for (const metrics of Object.values(doc.series)) {
    for (const state of Object.values(metrics)) if (max === undefined || state.seq > max) max = state.seq;
  }
  return max;
}

/** Same shape as the shared engine's RuleContext. */
export interface StepContext {
  deviceId: string;
  metric: string;
  source: 'cloud';
  gatewayId: string;
}

/** The rule engine, as ingest needs it (wired to the shared engine in rules.ts). */
export interface RuleStepper {
  rulesFor(profile: DeviceProfile | undefined, metric: string): readonly RuleSpec[];
  initialState(rule: RuleSpec): unknown;
  step(
    rule: RuleSpec,
    state: unknown,
    reading: Reading,
    ctx: StepContext,
  ): { state: unknown; event: AlertEvent | undefined };
}

export interface SeriesReadings {
  readonly deviceId: string;
  readonly metric: string;
  readonly profile: DeviceProfile | undefined;
  /** Validated readings of this series from one batch. */
  readonly readings: readonly Reading[];
}

export interface ShardInput {
  readonly gatewayId: string;
  readonly shard: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly series: readonly SeriesReadings[];
}

export const DEFAULT_RECENT_LIMIT = 128;

/** FNV-1a: stable across processes and versions, unlike anything keyed on object identity. */
export function shardOf(deviceId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    h ^= deviceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

export function shardDocId(gatewayId: string, shard: number): string {
  return `${gatewayId}_${shard}`;
}

/**
 * Applies one batch's readings for one shard. Returns the transitions this batch's
 * sequence range caused (fresh or remembered) and the next document, or `next: undefined`
 * when nothing changed (a pure redelivery costs no write).
 */
export function applyToShard(
  current: ShardDoc | undefined,
  input: ShardInput,
  stepper: RuleStepper,
  recentLimit = DEFAULT_RECENT_LIMIT,
): ShardUpdate<AlertEvent[]> {
  const doc: ShardDoc = current
    ? structuredClone(current)
    : { gatewayId: input.gatewayId, shard: input.shard, series: {}, recent: [] };
  let changed = current === undefined;
  for (const s of input.series) {
    const metrics = doc.series[s.deviceId] ?? {};
    doc.series[s.deviceId] = metrics;
    let state = metrics[s.metric];
    const fresh = s.readings.filter((r) => state === undefined || r.seq > state.seq);
    if (fresh.length === 0) continue;
    fresh.sort((a, b) => a.seq - b.seq);
    changed = true;
    const rules = stepper.rulesFor(s.profile, s.metric);
    const ctx: StepContext = {
      deviceId: s.deviceId,
      metric: s.metric,
      source: 'cloud',
      gatewayId: input.gatewayId,
    };
    const ruleStates: Record<string, unknown> = { ...(state?.rules ?? {}) };
    for (const r of fresh) {
      for (const rule of rules) {
        const prev = Object.hasOwn(ruleStates, rule.id) ? ruleStates[rule.id] : stepper.initialState(rule);
        const out = stepper.step(rule, prev, r, ctx);
        ruleStates[rule.id] = out.state;
        if (out.event) doc.recent.push(out.event);
      }
    }
    const lastReading = fresh[fresh.length - 1] as Reading;
    state = { v: lastReading.value, tsMs: lastReading.tsMs, seq: lastReading.seq, rules: ruleStates };
    metrics[s.metric] = state;
    if (doc.maxSeq === undefined || lastReading.seq > doc.maxSeq) doc.maxSeq = lastReading.seq;
  }
  if (doc.recent.length > recentLimit) doc.recent.splice(0, doc.recent.length - recentLimit);
  const result = doc.recent.filter(
    (e) => e.gatewayId === input.gatewayId && e.seq >= input.firstSeq && e.seq <= input.lastSeq,
  );
  return { next: changed ? doc : undefined, result };
}
