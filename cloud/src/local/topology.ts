/**
 * Applies a topology to a Pub/Sub emulator (or any Pub/Sub) with the real client:
 * topics, then subscriptions with ack deadline, retry and dead-letter policy, and a push
 * endpoint per function. Idempotent: existing resources are updated to match, so applying
 * twice, or to an emulator someone else started, is fine.
 *
 * Push path: functions-framework turns a raw Pub/Sub push body into a
 * `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent only when the request path
 * holds `projects/<p>/topics/<t>` (its legacyPubSubEventMiddleware takes the topic from the
 * path), hence `<functionUrl>/projects/<p>/topics/<t>`.
 */
import { type FunctionName, type Topology, topicsOf } from '@edgeflow/shared';
import { PubSub } from '@google-cloud/pubsub';
import type { Logger } from 'pino';

export interface ApplyTopologyOptions {
  readonly pubsubHost: string;
  readonly projectId: string;
  readonly topology: Topology;
  /** Base URL per function (`http://127.0.0.1:port`); a function without one gets a pull subscription. */
  readonly functionUrls: Partial<Record<FunctionName, string>>;
  readonly logger: Logger;
}

/** gRPC ALREADY_EXISTS. */
const ALREADY_EXISTS = 6;

export function pushEndpoint(functionUrl: string, projectId: string, topic: string): string {
  return `${functionUrl.replace(/\/+$/, '')}/projects/${projectId}/topics/${topic}`;
}

export function pubsubClient(pubsubHost: string, projectId: string): PubSub {
  return new PubSub({
    projectId,
    apiEndpoint: pubsubHost,
    emulatorMode: true,
    universeDomain: 'googleapis.com',
  });
}

export async function applyTopology(options: ApplyTopologyOptions): Promise<void> {
  const { projectId, topology, logger } = options;
  const pubsub = pubsubClient(options.pubsubHost, projectId);
  try {
    // Every topic first: a dead-letter policy needs its topic to exist on the emulator.
    for (const spec of topicsOf(topology)) {
      try {
        await pubsub.createTopic({
          name: spec.name,
          messageRetentionDuration: { seconds: spec.messageRetentionSeconds },
        });
        logger.debug({ topic: spec.name }, 'topic created');
      } catch (err) {
        if ((err as { code?: unknown }).code !== ALREADY_EXISTS) throw err;
      }
    }
    for (const spec of topology.subscriptions) {
      const url = options.functionUrls[spec.pushTo];
      const metadata = {
        ackDeadlineSeconds: spec.ackDeadlineSeconds,
        // Fixed at creation: Pub/Sub cannot switch ordering on an existing subscription.
        enableMessageOrdering: spec.messageOrdering,
        retryPolicy: {
          minimumBackoff: { seconds: spec.retry.minimumBackoffSeconds },
          maximumBackoff: { seconds: spec.retry.maximumBackoffSeconds },
        },
        ...(spec.deadLetter
          ? {
              deadLetterPolicy: {
                deadLetterTopic: `projects/${projectId}/topics/${spec.deadLetter.topic}`,
                maxDeliveryAttempts: spec.deadLetter.maxDeliveryAttempts,
              },
            }
          : {}),
        pushConfig: url ? { pushEndpoint: pushEndpoint(url, projectId, spec.topic) } : {},
      };
      const subscription = pubsub.topic(spec.topic).subscription(spec.name);
      try {
        await pubsub.topic(spec.topic).createSubscription(spec.name, metadata);
        logger.debug(
          { subscription: spec.name, push: metadata.pushConfig.pushEndpoint },
          'subscription created',
        );
      } catch (err) {
        if ((err as { code?: unknown }).code !== ALREADY_EXISTS) throw err;
        // Already there (re-apply, or functions moved to new ports): bring it in line. Ordering
        // is fixed at creation, and Pub/Sub refuses an update that names it.
        const { enableMessageOrdering: _fixedAtCreation, ...mutable } = metadata;
        await subscription.setMetadata(mutable);
        await subscription.modifyPushConfig(metadata.pushConfig);
        logger.debug({ subscription: spec.name }, 'subscription updated');
      }
    }
  } finally {
    await pubsub.close();
  }
}
