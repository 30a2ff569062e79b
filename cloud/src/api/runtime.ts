/**
 * The api function's instance runtime: config validated once, Firestore and Pub/Sub clients
 * and adapters built once per instance, on the first request (index.ts loads this lazily).
 */
import { type Clock, systemClock } from '@edgeflow/shared';
import type { Request, Response } from '@google-cloud/functions-framework';
import { PubSub } from '@google-cloud/pubsub';
import { FirestoreAlertStore } from '../adapters/firestore/alerts.ts';
import { FirestoreApiReads } from '../adapters/firestore/api-reads.ts';
import { createFirestore, newWriteCounter } from '../adapters/firestore/client.ts';
import { FirestoreGatewayStore } from '../adapters/firestore/gateways.ts';
import { FirestoreLive } from '../adapters/firestore/live.ts';
import { DeadLetterAdmin } from '../functions/triage/admin.ts';
import { createLogger } from '../logging.ts';
import { createApiHandler } from './app.ts';
import { apiConfigFromEnv } from './config.ts';
import { OpenAlertIndex } from './open-alerts.ts';
import { ProfileCatalog } from './profiles.ts';
import { StreamHub } from './stream.ts';

const API_FUNCTION = 'api';

let handler: ((req: Request, res: Response) => Promise<void>) | undefined;

export function apiHandler(env: NodeJS.ProcessEnv = process.env, clock: Clock = systemClock) {
  if (handler) return handler;
  const config = apiConfigFromEnv(env);
  const logger = createLogger('api', { base: { fn: API_FUNCTION } });
  const db = createFirestore(config.projectId);
  const emulator = env.PUBSUB_EMULATOR_HOST;
  const pubsub = emulator
    ? new PubSub({
        ...(config.projectId ? { projectId: config.projectId } : {}),
        apiEndpoint: emulator,
        emulatorMode: true,
        universeDomain: 'googleapis.com',
      })
    : new PubSub(config.projectId ? { projectId: config.projectId } : {});
  const fleet = new FirestoreApiReads(db, { deadlineMs: config.deadlineMs });
  const openAlerts = new OpenAlertIndex(fleet, clock, { ttlMs: config.openAlertsTtlMs });
  handler = createApiHandler({
    config,
    clock,
    logger,
    fleet,
    profiles: new ProfileCatalog(fleet, clock, {
      ttlMs: config.profileTtlMs,
      maxProfiles: config.maxProfiles,
    }),
    openAlerts,
    alerts: new FirestoreAlertStore(db, {
      deadlineMs: config.deadlineMs,
      counter: newWriteCounter(),
      nowMs: () => clock.nowMs(),
    }),
    deadLetters: new DeadLetterAdmin({ firestore: db, pubsub, nowMs: () => clock.nowMs() }),
    gateways: new FirestoreGatewayStore(db, { deadlineMs: config.deadlineMs }),
    stream: new StreamHub(
      new FirestoreLive(db),
      {
        maxStreams: config.maxStreams,
        heartbeatMs: config.heartbeatMs,
        streamQueueMax: config.streamQueueMax,
      },
      logger,
      () => openAlerts.invalidate(),
    ),
  });
  return handler;
}

export async function handleApiRequest(req: Request, res: Response): Promise<void> {
  await apiHandler()(req, res);
}
