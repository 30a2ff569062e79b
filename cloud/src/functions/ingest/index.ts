/**
 * The ingest Cloud Function: registered with functions-framework at import as `ingest`, a
 * CloudEvent function fed by the telemetry topic (directly or through a push subscription).
 * Importing this module is cheap on purpose: the runtime (SDK clients, adapters) is
 * imported and built on the first event, so module load to ready stays small, and a test
 * can set the environment before that first event.
 */
import * as functions from '@google-cloud/functions-framework';
import type { MessagePublishedData } from '../../adapters/pubsub/cloud-event.ts';

export const INGEST_FUNCTION = 'ingest';

type Runtime = typeof import('./runtime.ts');
let loading: Promise<Runtime> | undefined;

export async function handleIngestEvent(event: functions.CloudEvent<MessagePublishedData>): Promise<void> {
  loading ??= import('./runtime.ts');
  let runtime: Runtime;
  try {
    runtime = await loading;
  } catch (err) {
    // Let the next event try again rather than caching the failure for the instance's life.
    loading = undefined;
    throw err;
  }
  await runtime.handleIngestEvent(event);
}

functions.cloudEvent<MessagePublishedData>(INGEST_FUNCTION, handleIngestEvent);
