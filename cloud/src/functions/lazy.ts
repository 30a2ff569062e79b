/**
 * Functions load their runtime (SDK clients, adapters) on the first event rather than at
 * import: module load to ready stays small (cold start), and a test can set the environment
 * before that first event.
 */
import type { CloudEvent } from '@google-cloud/functions-framework';

/** A handler that imports `load()` once, on first use, and delegates to what it returns. */
export function lazyHandler<T>(
  load: () => Promise<(event: CloudEvent<T>) => Promise<void>>,
): (event: CloudEvent<T>) => Promise<void> {
  let loading: Promise<(event: CloudEvent<T>) => Promise<void>> | undefined;
  return async (event) => {
    loading ??= load();
    let handle: (event: CloudEvent<T>) => Promise<void>;
    try {
      handle = await loading;
    } catch (err) {
      // Let the next event try again rather than caching the failure for the instance's life.
      loading = undefined;
      throw err;
    }
    await handle(event);
  };
}
