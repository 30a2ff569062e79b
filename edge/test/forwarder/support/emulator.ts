/** Pub/Sub emulator helpers for forwarder tests: topic + subscription, pull everything. */
import { startPubSubEmulator } from '@edgeflow/cloud/local';
import { decodeBatch, type TelemetryBatch } from '@edgeflow/shared';
import { PubSub, type Subscription } from '@google-cloud/pubsub';
import pino from 'pino';

export const PROJECT_ID = 'demo-edgeflow';

export interface Received {
  readonly batch: TelemetryBatch;
  readonly attributes: Record<string, string>;
  readonly messageId: string;
}

export async function startEmulator() {
  return startPubSubEmulator({ projectId: PROJECT_ID, logger: pino({ level: 'warn' }) });
}

/** Creates a fresh topic and a pull subscription on it; returns a collector. */
export async function topicWithSubscription(host: string, topicName: string) {
  const client = new PubSub({ projectId: PROJECT_ID, apiEndpoint: host, emulatorMode: true });
  const [topic] = await client.createTopic(topicName);
  const [subscription] = await topic.createSubscription(`${topicName}-sub`, { ackDeadlineSeconds: 60 });
  const received: Received[] = [];
  const errors: Error[] = [];
  const listening = listen(subscription, received, errors);
  return {
    received,
    errors,
    /** Resolves once `done(received)` holds; rejects after timeoutMs. */
    async waitFor(done: (r: Received[]) => boolean, timeoutMs: number): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (!done(received)) {
        if (errors.length > 0) throw errors[0];
        if (Date.now() > deadline)
          throw new Error(`timed out after ${timeoutMs} ms with ${received.length} messages`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return received;
    },
    async close() {
      await listening.close();
      await client.close();
    },
  };
}

function listen(subscription: Subscription, received: Received[], errors: Error[]) {
  subscription.on('message', (message) => {
    try {
      received.push({
        batch: decodeBatch(message.data),
        attributes: message.attributes,
        messageId: message.id,
      });
    } catch (err) {
      errors.push(err as Error);
    }
    message.ack();
  });
  subscription.on('error', (err) => errors.push(err));
  return { close: () => subscription.close() };
}
