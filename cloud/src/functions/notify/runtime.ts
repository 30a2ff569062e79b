/**
 * The notify function's instance runtime: adapters built once per instance from the
 * environment, and the event handler. Loaded by index.ts on the first event, so the SDKs
 * (Firestore, Pub/Sub, nodemailer) load then and not at module load (cold start).
 */
import { type Clock, type DeviceProfile, systemClock } from '@edgeflow/shared';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { channelFactory } from '../../adapters/channels/index.ts';
import { WebhookPolicy } from '../../adapters/channels/webhook-policy.ts';
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

/** Same as index.ts NOTIFY_FUNCTION (no import: index.ts loads this module). */
const NOTIFY_FUNCTION = 'notify';

export interface NotifyRuntime {
  readonly notifier: Notifier;
  readonly projectId: string;
  readonly writes: WriteCounter;
  /** Counts the webhook URLs it refused, by code. */
  readonly webhookPolicy: WebhookPolicy;
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
  const webhookPolicy = new WebhookPolicy({
    allowedHosts: config.webhookAllowedHosts,
    allowLoopbackHttp: config.webhookAllowLoopbackHttp,
  });
  if (config.webhookAllowLoopbackHttp) {
    logger.warn('webhooks may use plain http to loopback hosts (local stack only)');
  } else if (config.webhookAllowedHosts.length === 0) {
    logger.info(
      'webhook allowlist is empty: every webhook target is refused (EDGEFLOW_NOTIFY_WEBHOOK_ALLOWED_HOSTS)',
    );
  }
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
      webhookPolicy,
      logger,
    }),
    deadLetters: new FirestoreDeadLetterStore(db, {
      ...opts,
      nowMs: () => clock.nowMs(),
      sourceTopic: config.alertsTopic,
    }),
    clock,
    logger,
    options: {
      leaseMs: config.leaseMs,
      maxBusyWaitMs: config.maxBusyWaitMs,
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
  runtime = { notifier, projectId: config.projectId ?? 'unknown', writes, webhookPolicy };
  return runtime;
}

export async function handleNotifyEvent(event: CloudEvent<MessagePublishedData>): Promise<void> {
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
