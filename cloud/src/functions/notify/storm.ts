/**
 * Per-device storm limit: at most `limit` notifications per device per window. The first
 * notification past the limit becomes one digest ("N more alerts suppressed until ...");
 * later ones in the window are suppressed and counted. The count of suppressed ones is
 * carried into the first notification of the next window, so nothing disappears silently.
 * Pure: the caller passes the stored budget and the time, and stores what comes back.
 */
export interface StormBudget {
  windowStartMs: number;
  /** Notifications (including the digest) sent in this window. */
  sent: number;
  /** Notifications folded away (digested or suppressed) in this window. */
  suppressed: number;
  /** Suppressed in the previous window, reported by the next delivered notification. */
  carried: number;
}

export interface StormOptions {
  readonly limit: number;
  readonly windowMs: number;
}

export const DEFAULT_STORM: StormOptions = Object.freeze({ limit: 5, windowMs: 10 * 60_000 });

export type StormDecision = 'deliver' | 'digest' | 'suppress';

export interface StormOutcome {
  readonly decision: StormDecision;
  readonly budget: StormBudget;
  /** For 'deliver': how many were suppressed in the previous window (to mention once). */
  readonly suppressedBefore: number;
}

export function decideStorm(
  current: StormBudget | undefined,
  nowMs: number,
  options: StormOptions,
): StormOutcome {
  let budget: StormBudget;
  if (
    current === undefined ||
    nowMs >= current.windowStartMs + options.windowMs ||
    nowMs < current.windowStartMs
  ) {
    const windowStartMs = nowMs - (nowMs % options.windowMs);
    budget = {
      windowStartMs,
      sent: 0,
      suppressed: 0,
      carried: (current?.suppressed ?? 0) + (current?.carried ?? 0),
    };
  } else {
    budget = { ...current };
  }
  if (budget.sent < options.limit) {
    const suppressedBefore = budget.carried;
    budget.sent++;
    budget.carried = 0;
    return { decision: 'deliver', budget, suppressedBefore };
  }
  budget.suppressed++;
  if (budget.sent === options.limit) {
    budget.sent++;
    return { decision: 'digest', budget, suppressedBefore: 0 };
  }
  return { decision: 'suppress', budget, suppressedBefore: 0 };
}
