import type { ForwarderConfig } from './config.ts';

/**
 * Delay before retry number `attempt` (1-based): initialMs * multiplier^(attempt-1), capped
 * at maxMs, then scaled by a uniform factor in [1 - jitter, 1 + jitter] so that many
 * gateways cut off by the same outage do not retry in lockstep.
 */
export function backoffDelayMs(
  attempt: number,
  backoff: ForwarderConfig['backoff'],
  random: () => number,
): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.multiplier ** Math.max(0, attempt - 1));
  const factor = 1 + backoff.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base * factor));
}
