/**
 * Bounded retry with exponential backoff and full jitter (delay = random * min(max, base *
 * 2^(n-1)), as in the Pub/Sub publisher's exponential-retry). Sleep and randomness are
 * injected, so tests run it on a fake clock.
 */
export interface RetryOptions {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Whether another attempt may help; permanent failures stop at once. */
  readonly isRetryable: (err: unknown) => boolean;
  readonly onAttempt?: (attempt: number, err: unknown | undefined) => void;
}

export const DEFAULT_RETRY = Object.freeze({ maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2_000 });

export function backoffDelayMs(
  attempt: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(options.random() * cap);
}

export async function retryWithBackoff<T>(
  run: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await run(attempt);
      options.onAttempt?.(attempt, undefined);
      return value;
    } catch (err) {
      options.onAttempt?.(attempt, err);
      if (attempt >= options.maxAttempts || !options.isRetryable(err)) throw err;
      await options.sleep(backoffDelayMs(attempt, options));
    }
  }
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
