/**
 * The triage Cloud Function: registered with functions-framework at import as `triage`, a
 * CloudEvent function fed by the dead-letter topic. Importing this module is cheap on
 * purpose (as for ingest and notify): the runtime, with the Firestore SDK, is imported and
 * built on the first event, so module load to ready stays small.
 */
import * as functions from '@google-cloud/functions-framework';
import { lazyHandler } from '../lazy.ts';
import type { PubSubMessagePublished } from './triage.ts';

export const TRIAGE_FUNCTION = 'triage';

export const handleTriageEvent = lazyHandler<PubSubMessagePublished>(
  async () => (await import('./runtime.ts')).handleTriageEvent,
);

functions.cloudEvent<PubSubMessagePublished>(TRIAGE_FUNCTION, handleTriageEvent);
