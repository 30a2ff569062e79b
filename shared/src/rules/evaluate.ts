/**
 * The rule state machine. `stepReading` / `stepTick` are pure (new state out, input untouched);
 * `applyReading` / `applyTick` do the same work in place for the engine's hot path, where a
 * fresh state object per reading would be garbage for nothing.
 *
 * Everything is driven by the readings' rule time (ruleTimeMs: the gateway's receipt time
 * when the reading carries one, else its event time) and sequence, never by a clock, so the
 * gateway and the cloud feeding the same readings get the same transitions with the same alert
 * ids. Rule time, not the device's own stamp, times holds, windows and episode ids: a device
 * may stamp anything within the ingest skew bounds, and with its own stamps it could step
 * through a hold in a few messages (one raise/clear pair per couple of readings). A threshold
 * or rate transition still reports the causing reading's event time as its tsMs.
 */
import type {
  AlertEvent,
  AlertSource,
  RateRule,
  Reading,
  RuleSpec,
  StaleRule,
  ThresholdRule,
} from '../contracts.ts';
import { EdgeflowError, ErrorCodes } from '../errors.ts';
import { isDeviceId, isMetricName, isRuleId } from '../ids.ts';
import {
  rateClearedMessage,
  rateRaisedMessage,
  staleClearedMessage,
  staleRaisedMessage,
  thresholdClearedMessage,
  thresholdRaisedMessage,
} from './format.ts';
import { classifyReading, cloneRuleState, RATE_BUCKETS, type RuleState, ruleTimeMs } from './state.ts';

/** Relative slack on the clear level, far below any declared metric resolution (1e-9 at most). */
const LEVEL_TOLERANCE = 1e-12;

export interface RuleContext {
  deviceId: string;
  metric: string;
  source: AlertSource;
  gatewayId?: string;
}

export interface Step {
  state: RuleState;
  event: AlertEvent | undefined;
}

/**
 * `<deviceId>.<metric>.<ruleId>.<episodeStartMs>`, e.g. `dev-7.temperature.temp-high.1732358400000`.
 * None of the id grammars allow `.` or `/`, so the id is unambiguous, a valid Firestore
 * document id and at most 64 + 32 + 48 + 16 + 3 = 163 characters.
 */
export function alertIdFor(deviceId: string, metric: string, ruleId: string, episodeStartMs: number): string {
  if (
    !isDeviceId(deviceId) ||
    !isMetricName(metric) ||
    !isRuleId(ruleId) ||
    !Number.isFinite(episodeStartMs)
  ) {
    throw new EdgeflowError(
      ErrorCodes.VALIDATION,
      `cannot build an alert id from device ${JSON.stringify(deviceId)}, metric ${JSON.stringify(metric)}, ` +
        `rule ${JSON.stringify(ruleId)}, episode start ${episodeStartMs}`,
    );
  }
  return `${deviceId}.${metric}.${ruleId}.${Math.floor(episodeStartMs)}`;
}

/**
 * Applies `reading` to `state` and returns the transition, if any. Pure: a dropped reading
 * (duplicate or late, see classifyReading) returns the very same state object, which is how
 * callers can tell and count it.
 */
export function stepReading(rule: RuleSpec, state: RuleState, reading: Reading, ctx: RuleContext): Step {
  if (classifyReading(state, reading) !== 'apply') return { state, event: undefined };
  const next = cloneRuleState(state);
  const event = applyReading(rule, next, reading, ctx);
  return { state: next, event };
}

/** Evaluates staleness at `nowMs`; other rule kinds return the state unchanged (same object). */
export function stepTick(rule: RuleSpec, state: RuleState, nowMs: number, ctx: RuleContext): Step {
  if (!staleDue(rule, state, nowMs)) return { state, event: undefined };
  const next = cloneRuleState(state);
  const event = applyTick(rule, next, nowMs, ctx);
  return { state: next, event };
}

/** In-place variant of stepReading; the caller has checked classifyReading(...) === 'apply'. */
export function applyReading(
  rule: RuleSpec,
  state: RuleState,
  reading: Reading,
  ctx: RuleContext,
): AlertEvent | undefined {
  let event: AlertEvent | undefined;
  switch (rule.kind) {
    case 'threshold':
      event = thresholdReading(rule, state, reading, ctx);
      break;
    case 'rate':
      event = rateReading(rule, state, reading, ctx);
      break;
    case 'stale':
      event = staleReading(rule, state, reading, ctx);
      break;
  }
  state.lastSeq = reading.seq;
  state.lastTsMs = ruleTimeMs(reading);
  state.lastValue = reading.value;
  return event;
}

/** In-place variant of stepTick. */
export function applyTick(
  rule: RuleSpec,
  state: RuleState,
  nowMs: number,
  ctx: RuleContext,
): AlertEvent | undefined {
  if (!staleDue(rule, state, nowMs) || rule.kind !== 'stale') return undefined;
  const lastTsMs = state.lastTsMs as number;
  const tsMs = lastTsMs + rule.afterMs;
  const id = openEpisode(state, rule, ctx, tsMs);
  const value = state.lastValue ?? 0;
  return makeEvent(
    'raised',
    rule,
    ctx,
    id,
    value,
    tsMs,
    state.lastSeq ?? 0,
    staleRaisedMessage(rule, ctx.metric, value),
  );
}

function staleDue(rule: RuleSpec, state: RuleState, nowMs: number): boolean {
  return (
    rule.kind === 'stale' &&
    !state.active &&
    state.lastTsMs !== null &&
    nowMs - state.lastTsMs >= rule.afterMs
  );
}

/**
 * Marks the episode open and returns its alert id. The key is the candidate time unless that
 * would repeat the previous episode's key (episodes within one millisecond). The id is built
 * before the state changes, so a refused id leaves the state as it was.
 */
function openEpisode(state: RuleState, rule: RuleSpec, ctx: RuleContext, candidateMs: number): string {
  const key =
    state.lastEpisodeMs !== null && candidateMs <= state.lastEpisodeMs
      ? state.lastEpisodeMs + 1
      : candidateMs;
  const id = alertIdFor(ctx.deviceId, ctx.metric, rule.id, key);
  state.active = true;
  state.episodeStartMs = key;
  state.lastEpisodeMs = key;
  state.runStartMs = null;
  return id;
}

/** Closes the episode and returns the id it was raised with. */
function closeEpisode(state: RuleState, rule: RuleSpec, ctx: RuleContext, fallbackMs: number): string {
  const id = alertIdFor(ctx.deviceId, ctx.metric, rule.id, state.episodeStartMs ?? fallbackMs);
  state.active = false;
  state.episodeStartMs = null;
  state.runStartMs = null;
  return id;
}

function thresholdReading(
  rule: ThresholdRule,
  state: RuleState,
  r: Reading,
  ctx: RuleContext,
): AlertEvent | undefined {
  const t = ruleTimeMs(r);
  const above = rule.direction === 'above';
  if (!state.active) {
    const breach = above ? r.value > rule.threshold : r.value < rule.threshold;
    if (!breach) {
      state.runStartMs = null;
      return undefined;
    }
    if (state.runStartMs === null) state.runStartMs = t;
    if (t - state.runStartMs < rule.raiseHoldMs) return undefined;
    const id = openEpisode(state, rule, ctx, state.runStartMs);
    return makeEvent(
      'raised',
      rule,
      ctx,
      id,
      r.value,
      r.tsMs,
      r.seq,
      thresholdRaisedMessage(rule, ctx.metric, r.value),
    );
  }
  // Hysteresis: only a value past the clear level (threshold -/+ clearBand) counts toward
  // clearing; one inside the band restarts the clear hold without ending the episode.
  // The tolerance makes a reading exactly at a computed level count (3.3 + 0.1 is 3.4000000000000004).
  const tolerance = LEVEL_TOLERANCE * Math.max(1, Math.abs(rule.threshold) + rule.clearBand);
  const clearing = above
    ? r.value <= rule.threshold - rule.clearBand + tolerance
    : r.value >= rule.threshold + rule.clearBand - tolerance;
  if (!clearing) {
    state.runStartMs = null;
    return undefined;
  }
  if (state.runStartMs === null) state.runStartMs = t;
  if (t - state.runStartMs < rule.clearHoldMs) return undefined;
  const id = closeEpisode(state, rule, ctx, t);
  return makeEvent(
    'cleared',
    rule,
    ctx,
    id,
    r.value,
    r.tsMs,
    r.seq,
    thresholdClearedMessage(rule, ctx.metric, r.value),
  );
}

/**
 * Rate of change: the largest |value - v| over the readings v of the last `windowMs` (kept as
 * min/max buckets, see RATE_BUCKETS). Comparing with every reading in the window, not only
 * the oldest, also catches a spike that rises and falls back inside the window.
 */
function rateReading(rule: RateRule, state: RuleState, r: Reading, ctx: RuleContext): AlertEvent | undefined {
  const t = ruleTimeMs(r);
  const delta = windowDelta(rule, state.window, t, r.value);
  const violation = delta > rule.maxDelta;
  if (!state.active) {
    if (!violation) return undefined;
    const id = openEpisode(state, rule, ctx, t);
    return makeEvent(
      'raised',
      rule,
      ctx,
      id,
      r.value,
      r.tsMs,
      r.seq,
      rateRaisedMessage(rule, ctx.metric, r.value, delta),
    );
  }
  if (violation) {
    state.runStartMs = null;
    return undefined;
  }
  if (state.runStartMs === null) state.runStartMs = t;
  if (t - state.runStartMs < rule.clearHoldMs) return undefined;
  const id = closeEpisode(state, rule, ctx, t);
  return makeEvent(
    'cleared',
    rule,
    ctx,
    id,
    r.value,
    r.tsMs,
    r.seq,
    rateClearedMessage(rule, ctx.metric, r.value),
  );
}

/**
 * Evicts buckets wholly older than the window, measures the largest change against what is
 * left, then records the reading. A bucket counts while any part of it lies in the window, so
 * the effective window is windowMs to windowMs + windowMs / RATE_BUCKETS.
 */
function windowDelta(rule: RateRule, w: number[], tsMs: number, value: number): number {
  const bucketMs = Math.max(1, Math.ceil(rule.windowMs / RATE_BUCKETS));
  const key = Math.floor(tsMs / bucketMs);
  const oldestKey = Math.floor((tsMs - rule.windowMs) / bucketMs);
  let drop = 0;
  while (drop < w.length && (w[drop] as number) < oldestKey) drop += 3;
  // Unconditional (a no-op for drop 0): a guard here could only be flipped unnoticed.
  w.copyWithin(0, drop);
  w.length -= drop;
  let delta = 0;
  for (let i = 0; i < w.length; i += 3) {
    delta = Math.max(delta, Math.abs(value - (w[i + 1] as number)), Math.abs(value - (w[i + 2] as number)));
  }
  const last = w.length - 3;
  if (last >= 0 && w[last] === key) {
    w[last + 1] = Math.min(w[last + 1] as number, value);
    w[last + 2] = Math.max(w[last + 2] as number, value);
  } else {
    w.push(key, value, value);
  }
  return delta;
}

function staleReading(
  rule: StaleRule,
  state: RuleState,
  r: Reading,
  ctx: RuleContext,
): AlertEvent | undefined {
  if (!state.active) return undefined;
  const t = ruleTimeMs(r);
  // A reading delayed in transit can carry a rule time before the raise; the clear is never
  // stamped earlier than the raise so an episode's two events stay in order.
  const raisedTsMs = (state.lastTsMs ?? t) + rule.afterMs;
  const tsMs = Math.max(t, raisedTsMs);
  const gapMs = state.lastTsMs === null ? 0 : t - state.lastTsMs;
  const id = closeEpisode(state, rule, ctx, raisedTsMs);
  return makeEvent(
    'cleared',
    rule,
    ctx,
    id,
    r.value,
    tsMs,
    r.seq,
    staleClearedMessage(ctx.metric, r.value, gapMs),
  );
}

function makeEvent(
  kind: 'raised' | 'cleared',
  rule: RuleSpec,
  ctx: RuleContext,
  alertId: string,
  value: number,
  tsMs: number,
  seq: number,
  message: string,
): AlertEvent {
  const event: AlertEvent = {
    alertId,
    kind,
    deviceId: ctx.deviceId,
    metric: ctx.metric,
    ruleId: rule.id,
    ruleKind: rule.kind,
    severity: rule.severity,
    value,
    tsMs,
    seq,
    source: ctx.source,
    message,
  };
  // Set only when known: Firestore refuses undefined fields.
  if (ctx.gatewayId !== undefined) event.gatewayId = ctx.gatewayId;
  return event;
}
