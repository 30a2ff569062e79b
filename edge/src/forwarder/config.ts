import { type Problem, telemetryTopicName } from '@edgeflow/shared';
import Type, { type Static } from 'typebox';

const MiB = 1024 * 1024;

/**
 * The gateway config's `forwarder` section.
 *
 * Why the long default linger: the cloud writes one Firestore bucket document per
 * (device, metric) per batch and Firestore bills per document written, so a batch must carry
 * ~50+ readings per series to reach the target of <= 0.02 writes per reading (at one reading
 * per second per series that is ~60 s of data). Alerts skip the linger entirely: an alert
 * transition is published at once as its own small batch, so alert latency does not suffer.
 */
export const ForwarderConfigSchema = Type.Object(
  {
    projectId: Type.String({
      minLength: 1,
      default: 'demo-edgeflow',
      description:
        'GCP project of the telemetry topic. The default, a demo- project, only exists on the local emulator.',
    }),
    topic: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "Pub/Sub topic (short name) receiving the CBOR telemetry batches. Derived from the gateway id (edgeflow-telemetry-<gatewayId>) when absent; any other topic is refused, because the cloud takes the gateway's identity from the topic.",
      }),
    ),
    keyFilename: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Service-account key file; when absent, Application Default Credentials are used. PUBSUB_EMULATOR_HOST, when set, wins over both.',
      }),
    ),
    lingerMs: Type.Integer({
      minimum: 0,
      default: 60_000,
      description:
        'How long readings may wait for a fuller batch. Long by default because Firestore bills per document and the cloud writes one document per (device, metric) per batch: ~50+ readings per series per batch keep writes <= 0.02 per reading. Alerts skip the linger.',
    }),
    maxBatchReadings: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 20_000,
      description: 'A batch is sent once it holds this many readings.',
    }),
    maxBatchBytes: Type.Integer({
      minimum: 1024,
      maximum: 9 * MiB,
      default: MiB,
      description:
        'A batch is sent once its readings take this many bytes in the outbox (an upper bound of the encoded size); Pub/Sub allows 10 MB per message.',
    }),
    maxInFlightBatches: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 4,
      description: 'Telemetry batches published but not yet acknowledged; bounds memory during outages.',
    }),
    publishTimeoutMs: Type.Integer({
      minimum: 100,
      default: 30_000,
      description: 'A publish not acknowledged within this time counts as failed and is retried.',
    }),
    stopTimeoutMs: Type.Integer({
      minimum: 0,
      default: 5_000,
      description: 'On shutdown, how long to keep trying to flush pending readings.',
    }),
    backoff: Type.Object(
      {
        initialMs: Type.Integer({ minimum: 1, default: 250 }),
        maxMs: Type.Integer({ minimum: 1, default: 30_000 }),
        multiplier: Type.Number({ minimum: 1, default: 2 }),
        jitter: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.2,
          description: 'Each delay is scaled by a uniform factor in [1 - jitter, 1 + jitter].',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
/** The section once its topic is resolved (see `resolveForwarderTopic`). */
export type ForwarderConfig = Static<typeof ForwarderConfigSchema> & { readonly topic: string };

/**
 * The gateway's own telemetry topic, or the problem with the configured one. Only this
 * gateway may publish to its topic and the cloud checks every batch against the topic it
 * arrived on, so a topic of another gateway would only get every batch dead-lettered.
 */
export function resolveForwarderTopic(
  gatewayId: string,
  configured: string | undefined,
): { readonly topic: string } | { readonly problem: Problem } {
  const own = telemetryTopicName(gatewayId);
  if (configured === undefined || configured === own) return { topic: own };
  return {
    problem: {
      path: '/forwarder/topic',
      message: `must be this gateway's own telemetry topic ${own} (or absent), not ${configured}`,
    },
  };
}
