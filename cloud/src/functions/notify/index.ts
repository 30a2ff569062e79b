/**
 * The notify Cloud Function: registered with functions-framework at import as `notify`, a
 * CloudEvent function fed by the alerts topic (directly or through a push subscription).
 * Importing this module is cheap on purpose: the runtime (SDK clients, adapters) is
 * imported and built on the first event, so module load to ready stays small, and a test
 * can set the environment before that first event.
 */
import * as functions from '@google-cloud/functions-framework';
import type { MessagePublishedData } from '../../adapters/pubsub/cloud-event.ts';

export const NOTIFY_FUNCTION = 'notify';

type Runtime = typeof import('./runtime.ts');
let loading: Promise<Runtime> | undefined;

export async function handleNotifyEvent(event: functions.CloudEvent<MessagePublishedData>): Promise<void> {
  loading ??= import('./runtime.ts');
  let runtime: Runtime;
  try {
    runtime = await loading;
  } catch (err) {
    // Let the next event try again rather than caching the failure for the instance's life.
    loading = undefined;
    throw err;
  }
  await runtime.handleNotifyEvent(event);
}

functions.cloudEvent<MessagePublishedData>(NOTIFY_FUNCTION, handleNotifyEvent);
