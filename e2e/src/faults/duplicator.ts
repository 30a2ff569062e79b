/**
 * "Every batch delivered twice": a pull subscription on the telemetry topic whose messages
 * are published again, same data and attributes, to the same topic. The copies come back on
 * the pull subscription too; a content hash keeps each batch to exactly one extra copy.
 */
import { createHash } from 'node:crypto';
import type { PubSub } from '@google-cloud/pubsub';

export interface Duplicator {
  /** Batches republished so far. */
  readonly duplicated: number;
  stop(): Promise<void>;
}

export async function startDuplicator(
  pubsub: PubSub,
  topicName: string,
  subscriptionName: string,
): Promise<Duplicator> {
  const topic = pubsub.topic(topicName);
  const [subscription] = await topic.createSubscription(subscriptionName, { ackDeadlineSeconds: 30 });
  const seen = new Set<string>();
  let duplicated = 0;
  const inFlight = new Set<Promise<unknown>>();
  subscription.on('message', (message) => {
    const digest = createHash('sha256').update(message.data).digest('hex');
    if (seen.has(digest)) {
      message.ack();
      return;
    }
    seen.add(digest);
    const p = topic
      .publishMessage({ data: message.data, attributes: { ...message.attributes } })
      .then(() => {
        duplicated += 1;
        message.ack();
      })
      .catch(() => message.nack())
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  });
  subscription.on('error', () => {
    // The emulator stopping under us at teardown is not a test failure.
  });
  return {
    get duplicated() {
      return duplicated;
    },
    async stop() {
      await Promise.allSettled([...inFlight]);
      await subscription.close();
      await subscription.delete().catch(() => undefined);
    },
  };
}
