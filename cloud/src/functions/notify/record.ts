/**
 * The alert record (`alerts/<alertId>`) and the claim that makes delivery happen once per
 * transition under at-least-once, unordered delivery of the alerts topic.
 *
 * Trade-off, stated: a webhook or an SMTP server cannot join a Firestore transaction, so
 * exactly-once delivery is impossible; we choose at-least-once with deduplication on both
 * sides. The claim transaction records "transition seen, delivery pending (lease)" before
 * sending; each channel's success is recorded after sending; a redelivery skips the channels
 * already delivered and a live lease of another instance. Only a crash between a send and
 * its record can repeat a send, and every send carries the same idempotency key
 * (`<alertId>:<kind>:<channel>`: HTTP `Idempotency-Key` header, email `Message-ID`) so the
 * receiver can drop the repeat.
 *
 * Pure: the adapter runs `claimTransition` inside a transaction and stores what it returns.
 */
import type { AlertEvent, AlertSource } from '@edgeflow/shared';
import { decideStorm, type StormBudget, type StormDecision, type StormOptions } from './storm.ts';

export type AlertState = 'open' | 'acknowledged' | 'resolved';
export type TransitionKind = AlertEvent['kind'];
export type ChannelOutcome = 'delivered' | 'failed';

export interface DeliveryAttempt {
  kind: TransitionKind;
  channel: string;
  attempt: number;
  outcome: 'delivered' | 'retryable-error' | 'permanent-error' | 'suppressed';
  atMs: number;
  error?: string;
}

export interface TransitionDelivery {
  status: 'pending' | 'done';
  decision: StormDecision;
  suppressedBefore: number;
  /** Lease: another instance that sees a pending claim younger than this leaves it alone. */
  claimedAtMs: number;
  /** Final outcome per channel key (`webhook_0`, `email_1`, `log_2`). */
  channels: Record<string, ChannelOutcome>;
}

export interface AlertRecord {
  alertId: string;
  deviceId: string;
  metric: string;
  ruleId: string;
  ruleKind: AlertEvent['ruleKind'];
  severity: AlertEvent['severity'];
  gatewayId: string | null;
  /** Value at the raise (or at the clear when only the clear has been seen). */
  value: number;
  message: string;
  raisedAtMs: number | null;
  clearedAtMs: number | null;
  clearedValue: number | null;
  state: AlertState;
  /** Who reported the episode first; `sources` lists all. */
  source: AlertSource;
  sources: AlertSource[];
  deliveries: Partial<Record<TransitionKind, TransitionDelivery>>;
  attempts: DeliveryAttempt[];
  ackedAtMs: number | null;
  resolvedAtMs: number | null;
  /** Operator who acknowledged / resolved (absent on records written before the history). */
  ackedBy?: string | null;
  resolvedBy?: string | null;
}

export interface ClaimOptions {
  readonly nowMs: number;
  readonly leaseMs: number;
  readonly storm: StormOptions;
}

export type ClaimResult =
  | { readonly action: 'duplicate' }
  /** Another instance holds a live lease on this transition: retry after it expires. */
  | { readonly action: 'busy'; readonly leaseLeftMs: number }
  | {
      readonly action: 'deliver';
      readonly decision: StormDecision;
      readonly suppressedBefore: number;
      /** Channels settled (delivered or permanently failed) by an earlier attempt: skip them. */
      readonly done: ReadonlySet<string>;
    };

export interface ClaimWrite {
  readonly record: AlertRecord | undefined;
  readonly budget: StormBudget | undefined;
  readonly result: ClaimResult;
}

/** Merges the transition into the record and claims its delivery. */
export function claimTransition(
  current: AlertRecord | undefined,
  budget: StormBudget | undefined,
  event: AlertEvent,
  options: ClaimOptions,
): ClaimWrite {
  const prior = current?.deliveries[event.kind];
  if (prior?.status === 'done') {
    // Seen again: nothing to send. Record a new reporter (edge and cloud both saw it) once.
    const record =
      current && !current.sources.includes(event.source) ? mergeEvent(current, event) : undefined;
    return { record, budget: undefined, result: { action: 'duplicate' } };
  }
  if (prior && options.nowMs - prior.claimedAtMs < options.leaseMs) {
    const leaseLeftMs = options.leaseMs - (options.nowMs - prior.claimedAtMs);
    return { record: undefined, budget: undefined, result: { action: 'busy', leaseLeftMs } };
  }
  const record = mergeEvent(current, event);
  let nextBudget: StormBudget | undefined;
  let delivery: TransitionDelivery;
  if (prior) {
    // An expired claim (the instance died mid-delivery): keep its storm decision, retry the rest.
    delivery = { ...prior, claimedAtMs: options.nowMs };
  } else {
    const storm = decideStorm(budget, options.nowMs, options.storm);
    nextBudget = storm.budget;
    delivery = {
      status: 'pending',
      decision: storm.decision,
      suppressedBefore: storm.suppressedBefore,
      claimedAtMs: options.nowMs,
      channels: {},
    };
  }
  record.deliveries = { ...record.deliveries, [event.kind]: delivery };
  // Delivered and permanently failed channels are settled; only the rest are (re)tried.
  const done = new Set(Object.keys(delivery.channels));
  return {
    record,
    budget: nextBudget,
    result: {
      action: 'deliver',
      decision: delivery.decision,
      suppressedBefore: delivery.suppressedBefore,
      done,
    },
  };
}

/**
 * Folds a transition into the record, independent of arrival order: raised sets the raise
 * fields, cleared the clear fields; a cleared episode is resolved whichever came first.
 */
export function mergeEvent(current: AlertRecord | undefined, e: AlertEvent): AlertRecord {
  const r: AlertRecord = current
    ? { ...current, sources: [...current.sources], attempts: [...current.attempts] }
    : {
        alertId: e.alertId,
        deviceId: e.deviceId,
        metric: e.metric,
        ruleId: e.ruleId,
        ruleKind: e.ruleKind,
        severity: e.severity,
        gatewayId: e.gatewayId ?? null,
        value: e.value,
        message: e.message,
        raisedAtMs: null,
        clearedAtMs: null,
        clearedValue: null,
        state: 'open',
        source: e.source,
        sources: [],
        deliveries: {},
        attempts: [],
        ackedAtMs: null,
        resolvedAtMs: null,
      };
  if (!r.sources.includes(e.source)) r.sources.push(e.source);
  if (e.kind === 'raised') {
    if (r.raisedAtMs === null || e.tsMs < r.raisedAtMs) r.raisedAtMs = e.tsMs;
    r.value = e.value;
    r.message = e.message;
  } else {
    if (r.clearedAtMs === null || e.tsMs < r.clearedAtMs) {
      r.clearedAtMs = e.tsMs;
      r.clearedValue = e.value;
    }
    if (r.raisedAtMs === null) r.message = e.message;
    // Resolved by the clear (not by an operator): the earliest clear is the resolution, as
    // the history fold (alerts/history.ts) computes it whatever order the clears arrive in.
    if (r.state !== 'resolved' || !r.resolvedBy) {
      r.state = 'resolved';
      r.resolvedAtMs = r.clearedAtMs;
    }
  }
  return r;
}

export const MAX_RECORDED_ATTEMPTS = 100;
