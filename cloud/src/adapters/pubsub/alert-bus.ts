/**
 * The AlertBus port over @google-cloud/pubsub: every transition is one JSON message on the
 * alerts topic, with attributes notify (and subscription filters on GCP) can key on without
 * parsing. `PUBSUB_EMULATOR_HOST` (read by the SDK) points it at the emulator.
 */
import type { AlertEvent } from '@edgeflow/shared';
import { PubSub, type Topic } from '@google-cloud/pubsub';
import type { AlertBus } from '../../functions/ingest/ports.ts';
import { CloudError, CloudErrorCodes, withDeadline } from '../errors.ts';

export interface PubSubAlertBusOptions {
  readonly projectId: string | undefined;
  readonly topic: string;
  readonly deadlineMs: number;
}

export class PubSubAlertBus implements AlertBus {
  readonly #pubsub: PubSub;
  readonly #topic: Topic;
  readonly #deadlineMs: number;
  published = 0;

  constructor(options: PubSubAlertBusOptions) {
    this.#pubsub = new PubSub(options.projectId ? { projectId: options.projectId } : {});
    // Transitions are few; a short batching delay keeps alert latency low.
    this.#topic = this.#pubsub.topic(options.topic, { batching: { maxMilliseconds: 5, maxMessages: 100 } });
    this.#deadlineMs = options.deadlineMs;
  }

  async publish(
    events: readonly AlertEvent[],
    attributes: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    try {
      await withDeadline('pubsub alert publish', this.#deadlineMs, () =>
        Promise.all(
          events.map((e) =>
            this.#topic.publishMessage({
              data: Buffer.from(JSON.stringify(e)),
              attributes: {
                ...attributes,
                alertId: e.alertId,
                kind: e.kind,
                deviceId: e.deviceId,
                source: e.source,
              },
            }),
          ),
        ),
      );
      this.published += events.length;
    } catch (err) {
      if (err instanceof CloudError) throw err;
      throw new CloudError(CloudErrorCodes.TRANSIENT, `alert publish failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    await this.#pubsub.close();
  }
}
