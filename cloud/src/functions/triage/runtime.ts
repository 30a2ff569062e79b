/**
 * The triage function's runtime, loaded on its first event (see index.ts). Stores each dead letter once; a thrown error (Firestore unavailable) means HTTP 500
 * and redelivery, and after the triage subscription's own max attempts the message is kept
 * on the triage-failures topic rather than looping back here.
 */
import { systemClock } from '@edgeflow/shared';
import { Firestore } from '@google-cloud/firestore';
import type * as functions from '@google-cloud/functions-framework';
import { createLogger, type Logger, withTrace } from '../../logging.ts';
import { deadLetterDoc } from './dead-letter.ts';
import { TRIAGE_FUNCTION } from './index.ts';
import { type DeadLetterWriter, FirestoreDeadLetterWriter } from './store.ts';
import { type PubSubMessagePublished, pubsubPayload, toDeadLetterInput } from './triage.ts';

export interface TriageDeps {
  readonly writer: DeadLetterWriter;
  readonly logger: Logger;
  readonly projectId: string;
  readonly nowMs: () => number;
}

let deps: TriageDeps | undefined;

/** Built once per instance, on the first event, so importing stays cheap. */
function triageDeps(env: NodeJS.ProcessEnv = process.env): TriageDeps {
  if (deps) return deps;
  const projectId = env.EDGEFLOW_PROJECT_ID ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT;
  const db = new Firestore({
    ...(projectId ? { projectId } : {}),
    ignoreUndefinedProperties: true,
    // Explicit (it is the default), so the auth library does not probe the metadata server for it.
    universeDomain: 'googleapis.com',
  });
  deps = {
    writer: new FirestoreDeadLetterWriter(db),
    logger: createLogger('triage', { base: { fn: TRIAGE_FUNCTION } }),
    projectId: projectId ?? 'unknown',
    nowMs: () => systemClock.nowMs(),
  };
  return deps;
}

export function makeTriageHandler(
  getDeps: () => TriageDeps,
): (event: functions.CloudEvent<PubSubMessagePublished>) => Promise<void> {
  return async (event) => {
    const d = getDeps();
    const { eventId, data } = pubsubPayload(event as unknown as Parameters<typeof pubsubPayload>[0]);
    if (!eventId && !data?.message?.messageId) {
      // Nothing to key a record on: not a Pub/Sub delivery. Acknowledge so it cannot loop.
      d.logger.error({ keys: Object.keys(event) }, 'triage received an event without a message id; ignored');
      return;
    }
    const input = toDeadLetterInput(eventId, data, d.nowMs());
    const log = withTrace(
      d.logger,
      d.projectId,
      input.attributes.traceparent ?? (event.traceparent as string | undefined),
    );
    const { id, doc } = deadLetterDoc(input);
    const outcome = await d.writer.create(id, doc);
    log.warn(
      {
        deadLetterId: id,
        outcome,
        subscription: doc.subscription,
        sourceTopic: doc.sourceTopic,
        deliveryAttempt: doc.deliveryAttempt,
        code: doc.code,
        dataBytes: doc.dataBytes,
      },
      outcome === 'created' ? 'dead letter recorded' : 'dead letter already recorded',
    );
  };
}

export const handleTriageEvent = makeTriageHandler(() => triageDeps());
