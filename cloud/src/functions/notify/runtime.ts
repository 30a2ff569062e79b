/**
 * The notify Cloud Function: registered with functions-framework at import as `notify`
 * (CloudEvent function fed by the alerts topic). Adapters are built lazily from the
 * environment on the first event.
 */
import { type Clock, type DeviceProfile, systemClock, TOPOLOGY } from '@edgeflow/shared';
import * as functions from '@google-cloud/functions-framework';
import { channelFactory } from '../../adapters/channels/index.ts';
import { FirestoreAlertStore } from '../../adapters/firestore/alerts.ts';
import { createFirestore, newWriteCounter, type WriteCounter } from '../../adapters/firestore/client.ts';
import { FirestoreDeadLetterStore } from '../../adapters/firestore/dead-letters.ts';
import { FirestoreProfileStore } from '../../adapters/firestore/profiles.ts';
import { type MessagePublishedData, toPubSubMessage } from '../../adapters/pubsub/cloud-event.ts';
import { createLogger, withTrace } from '../../logging.ts';
import { ProfileCache } from '../ingest/profile-cache.ts';
import { notifyConfigFromEnv } from './config.ts';
import { Notifier } from './notify.ts';
import type { ProfileSource } from './ports.ts';
import { realSleep } from './retry.ts';

export const NOTIFY_FUNCTION = 'notify';

export interface NotifyRuntime {
  readonly notifier: Notifier;
  readonly projectId: string;
  readonly writes: WriteCounter;
}

let runtime: NotifyRuntime | undefined;

/** Profiles through the same per-instance TTL cache ingest uses (no unregistered reports here). */
function cachedProfiles(cache: ProfileCache): ProfileSource {
  return {
    async getOne(deviceId: string): Promise<DeviceProfile | undefined> {
      return (await cache.lookup([deviceId], undefined)).profiles.get(deviceId);
    },
  };
}

export function notifyRuntime(
  env: NodeJS.ProcessEnv = process.env,
  clock: Clock = systemClock,
): NotifyRuntime {
  if (runtime) return runtime;
  const config = notifyConfigFromEnv(env);
  const logger = createLogger('notify', { base: { fn: NOTIFY_FUNCTION } });
  const db = createFirestore(config.projectId);
  const writes = newWriteCounter();
  const opts = { deadlineMs: config.deadlineMs, counter: writes };
  const profileStore = new FirestoreProfileStore(db, { ...opts, logger });
  const notifier = new Notifier({
    records: new FirestoreAlertStore(db, { ...opts, nowMs: () => clock.nowMs() }),
    profiles: cachedProfiles(
      new ProfileCache(profileStore, clock, { ttlMs: config.profileTtlMs, maxEntries: 20_000 }),
    ),
    channels: channelFactory({
      smtpUrl: config.smtpUrl,
      mailFrom: config.mailFrom,
      webhookTimeoutMs: config.webhookTimeoutMs,
      logger,
    }),
    deadLetters: new FirestoreDeadLetterStore(db, {
      ...opts,
      nowMs: () => clock.nowMs(),
      sourceTopic: TOPOLOGY.topics.alerts.name,
    }),
    clock,
    logger,
    options: {
      leaseMs: config.leaseMs,
      storm: { limit: config.stormLimit, windowMs: config.stormWindowMs },
      defaultTargets: config.defaultTargets,
      retry: {
        maxAttempts: config.retryMaxAttempts,
        baseDelayMs: config.retryBaseDelayMs,
        maxDelayMs: config.retryMaxDelayMs,
        sleep: realSleep,
        random: Math.random,
      },
    },
  });
  runtime = { notifier, projectId: config.projectId ?? 'unknown', writes };
  return runtime;
}

export async function handleNotifyEvent(event: functions.CloudEvent<MessagePublishedData>): Promise<void> {
  const { notifier, projectId } = notifyRuntime();
  const msg = toPubSubMessage(event.id, event.data);
  const traceparent = msg.attributes.traceparent ?? (event.traceparent as string | undefined);
  const log = withTrace(notifier.deps.logger, projectId, traceparent);
  try {
    await notifier.handle(msg, log);
  } catch (err) {
    log.error({ err, messageId: msg.messageId }, 'notify failed, message will be redelivered');
    throw err;
  }
}

functions.cloudEvent<MessagePublishedData>(NOTIFY_FUNCTION, handleNotifyEvent);
