/**
 * The ingest Cloud Function: registered with functions-framework at import as `ingest`, a
 * CloudEvent function fed by the telemetry topic (directly or through a push subscription).
 * Importing this module is cheap on purpose: the runtime (SDK clients, adapters) is
 * imported and built on the first event, so module load to ready stays small, and a test
 * can set the environment before that first event.
 */
import * as functions from '@google-cloud/functions-framework';
import type { MessagePublishedData } from '../../adapters/pubsub/cloud-event.ts';
import { lazyHandler } from '../lazy.ts';

export const INGEST_FUNCTION = 'ingest';

export const handleIngestEvent = lazyHandler<MessagePublishedData>(
  async () => (await import('./runtime.ts')).handleIngestEvent,
);

functions.cloudEvent<MessagePublishedData>(INGEST_FUNCTION, handleIngestEvent);
