/**
 * The ingest function's instance runtime: adapters built once per instance from the
 * environment, and the event handler. Loaded by index.ts on the first event, so the SDKs
 * (Firestore, Pub/Sub) load then and not at module load (cold start).
 */
import { decodeBatch, systemClock, validateRules } from '@edgeflow/shared';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { createFirestore, newWriteCounter, type WriteCounter } from '../../adapters/firestore/client.ts';
import { FirestoreDeadLetterStore } from '../../adapters/firestore/dead-letters.ts';
import { FirestoreGatewayStore } from '../../adapters/firestore/gateways.ts';
import { FirestoreProfileStore } from '../../adapters/firestore/profiles.ts';
import { FirestoreReadingStore } from '../../adapters/firestore/readings.ts';
import { PubSubAlertBus } from '../../adapters/pubsub/alert-bus.ts';
import {
  type MessagePublishedData,
  toPubSubMessage,
  topicOfSource,
} from '../../adapters/pubsub/cloud-event.ts';
import { createLogger, withTrace } from '../../logging.ts';
import { ingestConfigFromEnv } from './config.ts';
import { Ingestor } from './ingest.ts';
import { ProfileCache } from './profile-cache.ts';
import { sharedRuleStepper } from './rules.ts';

/** Same as index.ts INGEST_FUNCTION (no import: index.ts loads this module). */
const INGEST_FUNCTION = 'ingest';

export interface IngestRuntime {
  readonly ingestor: Ingestor;
  readonly projectId: string;
  readonly writes: WriteCounter;
}

let runtime: IngestRuntime | undefined;

/** Builds (once per instance) the ingestor and its adapters from `env`. */
export function ingestRuntime(env: NodeJS.ProcessEnv = process.env): IngestRuntime {
  if (runtime) return runtime;
  const config = ingestConfigFromEnv(env);
  const logger = createLogger('ingest', { base: { fn: INGEST_FUNCTION } });
  const db = createFirestore(config.projectId);
  const writes = newWriteCounter();
  const opts = { deadlineMs: config.deadlineMs, counter: writes };
  const profiles = new FirestoreProfileStore(db, { ...opts, logger });
  const ingestor = new Ingestor({
    decode: (bytes) => decodeBatch(bytes),
    profiles: new ProfileCache(profiles, systemClock, { ttlMs: config.profileTtlMs, maxEntries: 20_000 }),
    readings: new FirestoreReadingStore(db, opts),
    gateways: new FirestoreGatewayStore(db, opts),
    bus: new PubSubAlertBus({
      projectId: config.projectId,
      topic: config.alertsTopic,
      deadlineMs: config.deadlineMs,
    }),
    // Each letter names its own source topic: the gateway's telemetry topic it came from.
    deadLetters: new FirestoreDeadLetterStore(db, { ...opts, nowMs: () => systemClock.nowMs() }),
    rules: sharedRuleStepper(config.defaultRules ? validateRules(config.defaultRules) : undefined),
    clock: systemClock,
    logger,
    writes,
    options: {
      bucket: { bucketWindowMs: config.bucketWindowMs, retentionMs: config.retentionMs },
      latestShards: config.latestShards,
      maxSeqJump: config.maxSeqJump,
      failAfterWrite: config.failAfterWrite,
    },
  });
  runtime = { ingestor, projectId: config.projectId ?? 'unknown', writes };
  return runtime;
}

export async function handleIngestEvent(event: CloudEvent<MessagePublishedData>): Promise<void> {
  const { ingestor, projectId } = ingestRuntime();
  const msg = { ...toPubSubMessage(event.id, event.data), transportTopic: topicOfSource(event.source) };
  const traceparent = msg.attributes.traceparent ?? (event.traceparent as string | undefined);
  const log = withTrace(ingestor.deps.logger, projectId, traceparent);
  try {
    await ingestor.handle(msg, log);
  } catch (err) {
    // Thrown = HTTP 500 = Pub/Sub redelivers; only transient failures get here.
    log.error({ err, messageId: msg.messageId }, 'ingest failed, message will be redelivered');
    throw err;
  }
}
