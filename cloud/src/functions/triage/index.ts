/**
 * The triage Cloud Function: registered with functions-framework at import as `triage`, a
 * CloudEvent function fed by the dead-letter topic. Importing this module is cheap on
 * purpose (as for ingest and notify): the runtime, with the Firestore SDK, is imported and
 * built on the first event, so module load to ready stays small.
 */
import * as functions from '@google-cloud/functions-framework';
import type { PubSubMessagePublished } from './triage.ts';

export const TRIAGE_FUNCTION = 'triage';

type Runtime = typeof import('./runtime.ts');
let loading: Promise<Runtime> | undefined;

export async function handleTriageEvent(event: functions.CloudEvent<PubSubMessagePublished>): Promise<void> {
  loading ??= import('./runtime.ts');
  let runtime: Runtime;
  try {
    runtime = await loading;
  } catch (err) {
    // Let the next event try again rather than caching the failure for the instance's life.
    loading = undefined;
    throw err;
  }
  await runtime.handleTriageEvent(event);
}

functions.cloudEvent<PubSubMessagePublished>(TRIAGE_FUNCTION, handleTriageEvent);
