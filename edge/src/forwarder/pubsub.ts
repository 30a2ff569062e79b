/**
 * The Pub/Sub adapter: the only file that touches @google-cloud/pubsub. The client's own
 * batching is turned off (one publish = one request: the forwarder already batched) and its
 * own retries are left to a short deadline, because the forwarder owns retry policy (backoff
 * with jitter, bounded in-flight, backlog on disk).
 *
 * Batches are published with the gateway id as ordering key, and the telemetry subscription
 * delivers in that order (see shared/src/topology.ts): the cloud's rules see the readings in
 * the order the gateway assigned their sequence numbers.
 */
import { PubSub, type Topic } from '@google-cloud/pubsub';
import type pino from 'pino';
import type { ForwarderConfig } from './config.ts';
import type { BatchPublisher } from './types.ts';

export interface PubSubPublisherOptions {
  /** host:port of a Pub/Sub emulator; defaults to PUBSUB_EMULATOR_HOST. */
  readonly emulatorHost?: string;
}

export function createPubSubPublisher(
  config: ForwarderConfig,
  logger: pino.Logger,
  options: PubSubPublisherOptions = {},
): BatchPublisher {
  const emulatorHost = options.emulatorHost ?? process.env.PUBSUB_EMULATOR_HOST;
  // gRPC's own reconnect backoff grows to 120 s by default; after an outage the gateway should
  // be back within the forwarder's backoff, not minutes later.
  const channel = {
    'grpc.initial_reconnect_backoff_ms': Math.min(1000, config.backoff.initialMs),
    'grpc.max_reconnect_backoff_ms': config.backoff.maxMs,
  };
  const client = emulatorHost
    ? new PubSub({ projectId: config.projectId, apiEndpoint: emulatorHost, emulatorMode: true, ...channel })
    : new PubSub({
        projectId: config.projectId,
        ...channel,
        ...(config.keyFilename === undefined ? {} : { keyFilename: config.keyFilename }),
      });
  logger.info(
    {
      projectId: config.projectId,
      topic: config.topic,
      credentials: emulatorHost ? 'emulator' : config.keyFilename ? 'key file' : 'application default',
      emulatorHost,
    },
    'pubsub publisher created',
  );
  const topic: Topic = client.topic(config.topic, {
    batching: { maxMessages: 1, maxMilliseconds: 0, maxBytes: 10 * 1024 * 1024 },
    messageOrdering: true,
    gaxOpts: { timeout: config.publishTimeoutMs },
  });
  return {
    async publish(data, attributes) {
      const orderingKey = attributes.gatewayId ?? config.topic;
      try {
        return await topic.publishMessage({
          data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
          attributes,
          orderingKey,
        });
      } catch (err) {
        // A failed publish pauses its ordering key in the client; the forwarder retries the
        // batch itself, so let the key accept it again.
        topic.resumePublishing(orderingKey);
        throw err;
      }
    },
    async close() {
      await topic.flush().catch(() => undefined);
      await client.close();
    },
  };
}
