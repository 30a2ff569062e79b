/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): a fleet that lost its broker at the same instant spreads its reconnects over the
 * whole window instead of stampeding it again in lockstep.
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({
  initialMs: 200,
  maxMs: 15_000,
  multiplier: 2,
});

/** Delay before attempt number `attempt` (1 = first retry); `random` in [0, 1). */
export function backoffDelayMs(
  attempt: number,
  random: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * options.multiplier ** Math.max(0, attempt - 1));
  return Math.floor(random * ceiling);
}
