/**
 * The Pub/Sub topology, defined once as data. The local stack creates exactly this on the
 * emulator and the Pulumi program provisions exactly this on GCP ("local equals cloud").
 * Names are logical; deployments may add a prefix.
 *
 * Telemetry has one topic per gateway, and only that gateway's service account may publish
 * to it (topic IAM, enforced by Pub/Sub). The topic a batch arrived on is therefore the
 * gateway's transport identity: ingest reads it from the push endpoint path, which infra or
 * the local stack sets and no gateway can, and checks every batch against it. No topic is
 * shared by two gateways.
 *
 * Emulator gaps this design does not lean on: subscription filters are not applied, the
 * retry policy's minimum backoff is not honoured (both are still declared for GCP), and a
 * subscription with message ordering never dead-letters (GCP does); the tests of
 * dead-lettering after max delivery attempts run the telemetry subscription unordered.
 */
import { deepFreeze } from './config.ts';
import { EdgeflowError, ErrorCodes } from './errors.ts';
import { isGatewayId } from './ids.ts';

export type FunctionName = 'ingest' | 'notify' | 'triage';

export interface TopicSpec {
  readonly name: string;
  /** How long Pub/Sub keeps unacknowledged messages; GCP allows 10 min to 31 days. */
  readonly messageRetentionSeconds: number;
}

/** How a function is pushed to; every subscription pushing to one function shares it. */
export interface PushPolicy {
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

export interface SubscriptionSpec extends PushPolicy {
  readonly name: string;
  readonly topic: string;
}

/** The topics every deployment has, whatever its gateways. */
export interface SharedTopics {
  readonly alerts: TopicSpec;
  readonly deadLetters: TopicSpec;
  /** Where triage's own failures land; no subscription, kept by topic retention for `seek`. */
  readonly triageFailures: TopicSpec;
}

/** One gateway's telemetry: its own topic and the push subscription to ingest. */
export interface TelemetryRoute {
  readonly gatewayId: string;
  readonly topic: TopicSpec;
  readonly subscription: SubscriptionSpec;
}

export interface Topology {
  readonly topics: SharedTopics;
  /** One per gateway, in the order given to `topologyFor`. */
  readonly telemetry: readonly TelemetryRoute[];
  /** Every subscription, shared and per gateway (the telemetry ones are also in `telemetry`). */
  readonly subscriptions: readonly SubscriptionSpec[];
}

const SEVEN_DAYS_S = 7 * 24 * 3600;

export const SHARED_TOPICS: SharedTopics = deepFreeze({
  alerts: { name: 'edgeflow-alerts', messageRetentionSeconds: SEVEN_DAYS_S },
  deadLetters: { name: 'edgeflow-dead-letters', messageRetentionSeconds: SEVEN_DAYS_S },
  triageFailures: { name: 'edgeflow-triage-failures', messageRetentionSeconds: 31 * 24 * 3600 },
});

export const PUSH_POLICIES: Readonly<Record<FunctionName, PushPolicy>> = deepFreeze({
  ingest: {
    pushTo: 'ingest',
    messageOrdering: true,
    ackDeadlineSeconds: 60,
    retry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 60 },
    deadLetter: { topic: SHARED_TOPICS.deadLetters.name, maxDeliveryAttempts: 5 },
  },
  notify: {
    pushTo: 'notify',
    // notify is idempotent per transition and tolerates a clear before its raise.
    messageOrdering: false,
    ackDeadlineSeconds: 60,
    retry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 60 },
    deadLetter: { topic: SHARED_TOPICS.deadLetters.name, maxDeliveryAttempts: 10 },
  },
  triage: {
    // A dead letter that triage itself cannot store must not loop back into its own topic.
    pushTo: 'triage',
    messageOrdering: false,
    ackDeadlineSeconds: 30,
    retry: { minimumBackoffSeconds: 10, maximumBackoffSeconds: 600 },
    deadLetter: { topic: SHARED_TOPICS.triageFailures.name, maxDeliveryAttempts: 20 },
  },
});

const TELEMETRY_TOPIC_PREFIX = 'edgeflow-telemetry-';
const TELEMETRY_RETENTION_S = SEVEN_DAYS_S;
const INGEST_SUFFIX = '-ingest';

function assertGatewayId(gatewayId: string): void {
  if (!isGatewayId(gatewayId)) {
    throw new EdgeflowError(ErrorCodes.VALIDATION, `not a gateway id: ${JSON.stringify(gatewayId)}`);
  }
}

/** The telemetry topic only this gateway may publish to. */
export function telemetryTopicName(gatewayId: string): string {
  assertGatewayId(gatewayId);
  return `${TELEMETRY_TOPIC_PREFIX}${gatewayId}`;
}

/** The push subscription from this gateway's telemetry topic to ingest. */
export function telemetrySubscriptionName(gatewayId: string): string {
  return `${telemetryTopicName(gatewayId)}${INGEST_SUFFIX}`;
}

/**
 * The gateway whose telemetry topic this is, or undefined when the name is not exactly
 * `telemetryTopicName(id)` for a valid gateway id. Ingest trusts nothing else about a batch's
 * origin, so this accepts no prefix, suffix or path.
 */
export function gatewayOfTelemetryTopic(topicName: string): string | undefined {
  if (typeof topicName !== 'string' || !topicName.startsWith(TELEMETRY_TOPIC_PREFIX)) return undefined;
  const gatewayId = topicName.slice(TELEMETRY_TOPIC_PREFIX.length);
  return isGatewayId(gatewayId) ? gatewayId : undefined;
}

/**
 * The topic a subscription of `topology` reads; a gateway's telemetry subscription is
 * recognised by its name alone, so a function that does not know the fleet (triage) still
 * finds the topic to replay to.
 */
export function topicOfSubscription(subscriptionName: string, topology: Topology): string | undefined {
  const known = topology.subscriptions.find((s) => s.name === subscriptionName)?.topic;
  if (known !== undefined) return known;
  if (!subscriptionName.endsWith(INGEST_SUFFIX)) return undefined;
  const topic = subscriptionName.slice(0, -INGEST_SUFFIX.length);
  return gatewayOfTelemetryTopic(topic) === undefined ? undefined : topic;
}

/** The full topology for these gateways: shared topics plus one telemetry route per gateway. */
export function topologyFor(gatewayIds: readonly string[]): Topology {
  const seen = new Set<string>();
  for (const id of gatewayIds) {
    assertGatewayId(id);
    if (seen.has(id)) throw new EdgeflowError(ErrorCodes.VALIDATION, `gateway ${id} is listed twice`);
    seen.add(id);
  }
  const telemetry = gatewayIds.map((gatewayId) => telemetryRoute(gatewayId));
  return deepFreeze({
    topics: SHARED_TOPICS,
    telemetry,
    subscriptions: [
      ...telemetry.map((t) => t.subscription),
      sharedSubscription('edgeflow-alerts-notify', SHARED_TOPICS.alerts, PUSH_POLICIES.notify),
      sharedSubscription('edgeflow-dead-letters-triage', SHARED_TOPICS.deadLetters, PUSH_POLICIES.triage),
    ],
  });
}

/** One gateway's topic and subscription, e.g. to add a gateway to a running stack. */
export function telemetryRoute(gatewayId: string): TelemetryRoute {
  const topic = telemetryTopicName(gatewayId);
  return deepFreeze({
    gatewayId,
    topic: { name: topic, messageRetentionSeconds: TELEMETRY_RETENTION_S },
    subscription: { name: telemetrySubscriptionName(gatewayId), topic, ...PUSH_POLICIES.ingest },
  });
}

function sharedSubscription(name: string, topic: TopicSpec, policy: PushPolicy): SubscriptionSpec {
  return { name, topic: topic.name, ...policy };
}

/** Every topic the topology declares: the shared ones, then each gateway's. */
export function topicsOf(topology: Topology): readonly TopicSpec[] {
  return [...Object.values(topology.topics), ...topology.telemetry.map((t) => t.topic)];
}

/** Message attributes on telemetry batches, set by the gateway forwarder. */
export const TelemetryAttributes = {
  schema: 'edgeflow.telemetry',
  encoding: 'cbor',
} as const;

/**
 * The one subscription pushing to `fn`. Ingest has one per gateway: read
 * `topology.telemetry` for those and `PUSH_POLICIES.ingest` for their shared policy.
 */
export function subscriptionFor(fn: FunctionName, topology: Topology): SubscriptionSpec {
  const subs = topology.subscriptions.filter((s) => s.pushTo === fn);
  const [sub] = subs;
  if (!sub) throw new Error(`topology has no subscription pushing to ${fn}`);
  if (subs.length > 1)
    throw new Error(`topology has ${subs.length} subscriptions pushing to ${fn}; pick one`);
  return sub;
}
