/**
 * The Pub/Sub topology, defined once as data. The local stack creates exactly this on the
 * emulator and the Pulumi program provisions exactly this on GCP ("local equals cloud").
 * Names are logical; deployments may add a prefix.
 *
 * Emulator gaps this design does not lean on: subscription filters are not applied, the
 * retry policy's minimum backoff is not honoured (both are still declared for GCP), and a
 * subscription with message ordering never dead-letters (GCP does); the tests of
 * dead-lettering after max delivery attempts run the telemetry subscription unordered.
 */
import { deepFreeze } from './config.ts';

export type FunctionName = 'ingest' | 'notify' | 'triage';

export interface TopicSpec {
  readonly name: string;
  /** How long Pub/Sub keeps unacknowledged messages; GCP allows 10 min to 31 days. */
  readonly messageRetentionSeconds: number;
}

export interface SubscriptionSpec {
  readonly name: string;
  readonly topic: string;
  /** Push target: the function that consumes this subscription. */
  readonly pushTo: FunctionName;
  /**
   * Deliver messages with the same ordering key (the gateway id) one at a time, in publish
   * order. Cloud-side rules then see each gateway's readings in sequence, as the gateway
   * did, and derive the same alert ids; a batch redelivered after a failure holds back the
   * ones after it instead of being overtaken.
   */
  readonly messageOrdering: boolean;
  /** Seconds Pub/Sub waits for the push to return 2xx before redelivering (10-600). */
  readonly ackDeadlineSeconds: number;
  readonly retry: { readonly minimumBackoffSeconds: number; readonly maximumBackoffSeconds: number };
  /** After this many delivery attempts (5-100) the message goes to the dead-letter topic. */
  readonly deadLetter?: { readonly topic: string; readonly maxDeliveryAttempts: number };
}

export interface Topology {
  readonly topics: {
    readonly telemetry: TopicSpec;
    readonly alerts: TopicSpec;
    readonly deadLetters: TopicSpec;
    /** Where triage's own failures land; no subscription, kept by topic retention for `seek`. */
    readonly triageFailures: TopicSpec;
  };
  readonly subscriptions: readonly SubscriptionSpec[];
}

const SEVEN_DAYS_S = 7 * 24 * 3600;

export const TOPOLOGY: Topology = deepFreeze({
  topics: {
    telemetry: { name: 'edgeflow-telemetry', messageRetentionSeconds: SEVEN_DAYS_S },
    alerts: { name: 'edgeflow-alerts', messageRetentionSeconds: SEVEN_DAYS_S },
    deadLetters: { name: 'edgeflow-dead-letters', messageRetentionSeconds: SEVEN_DAYS_S },
    triageFailures: { name: 'edgeflow-triage-failures', messageRetentionSeconds: 31 * 24 * 3600 },
  },
  subscriptions: [
    {
      name: 'edgeflow-telemetry-ingest',
      topic: 'edgeflow-telemetry',
      pushTo: 'ingest',
      messageOrdering: true,
      ackDeadlineSeconds: 60,
      retry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 60 },
      deadLetter: { topic: 'edgeflow-dead-letters', maxDeliveryAttempts: 5 },
    },
    {
      name: 'edgeflow-alerts-notify',
      topic: 'edgeflow-alerts',
      pushTo: 'notify',
      // notify is idempotent per transition and tolerates a clear before its raise.
      messageOrdering: false,
      ackDeadlineSeconds: 60,
      retry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 60 },
      deadLetter: { topic: 'edgeflow-dead-letters', maxDeliveryAttempts: 10 },
    },
    {
      // A dead letter that triage itself cannot store must not loop back into its own topic.
      name: 'edgeflow-dead-letters-triage',
      topic: 'edgeflow-dead-letters',
      pushTo: 'triage',
      messageOrdering: false,
      ackDeadlineSeconds: 30,
      retry: { minimumBackoffSeconds: 10, maximumBackoffSeconds: 600 },
      deadLetter: { topic: 'edgeflow-triage-failures', maxDeliveryAttempts: 20 },
    },
  ],
});

/** Message attributes on telemetry batches, set by the gateway forwarder. */
export const TelemetryAttributes = {
  schema: 'edgeflow.telemetry',
  encoding: 'cbor',
} as const;

export function subscriptionFor(fn: FunctionName, topology: Topology = TOPOLOGY): SubscriptionSpec {
  const sub = topology.subscriptions.find((s) => s.pushTo === fn);
  if (!sub) throw new Error(`topology has no subscription pushing to ${fn}`);
  return sub;
}
