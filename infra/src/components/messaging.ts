/**
 * Pub/Sub exactly as the shared topology declares it ("local equals cloud"): topics,
 * push subscriptions to the functions with OIDC tokens, retry and dead-letter policies, and
 * every Pub/Sub IAM grant, each on the topic or subscription itself.
 */
import { type FunctionName, type Topology, topicsOf } from '@edgeflow/shared';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { childOptions } from './options.ts';

export interface TopicPublisher {
  /** Short label for the resource name. */
  readonly who: string;
  /** Topic name from the topology. */
  readonly topic: string;
  readonly member: pulumi.Input<string>;
}

export interface MessagingArgs {
  readonly project: string;
  readonly topology: Topology;
  /** Base URL of each function (its Cloud Run service URL). */
  readonly pushUrls: Readonly<Record<FunctionName, pulumi.Input<string>>>;
  /** Per function, the account whose OIDC token its pushes carry (may invoke it alone). */
  readonly invokerEmails: Readonly<Record<FunctionName, pulumi.Input<string>>>;
  /** `serviceAccount:service-<number>@gcp-sa-pubsub.iam.gserviceaccount.com`. */
  readonly pubsubAgentMember: pulumi.Input<string>;
  readonly publishers: readonly TopicPublisher[];
}

export class Messaging extends pulumi.ComponentResource {
  /** By topology topic name. */
  readonly topics: ReadonlyMap<string, gcp.pubsub.Topic>;
  /** By topology subscription name. */
  readonly subscriptions: ReadonlyMap<string, gcp.pubsub.Subscription>;

  constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('edgeflow:infra:Messaging', name, {}, opts);
    const child = childOptions(this, opts);
    const { topology } = args;

    const topics = new Map<string, gcp.pubsub.Topic>();
    for (const spec of topicsOf(topology)) {
      topics.set(
        spec.name,
        new gcp.pubsub.Topic(
          `${name}-${spec.name}`,
          {
            project: args.project,
            name: spec.name,
            messageRetentionDuration: `${spec.messageRetentionSeconds}s`,
          },
          child,
        ),
      );
    }
    const topic = (topicName: string): gcp.pubsub.Topic => {
      const t = topics.get(topicName);
      if (!t) throw new Error(`topology references topic ${topicName}, which it does not declare`);
      return t;
    };

    const subscriptions = new Map<string, gcp.pubsub.Subscription>();
    const deadLetterTopics = new Set<string>();
    for (const spec of topology.subscriptions) {
      const url = args.pushUrls[spec.pushTo];
      const deadLetter = spec.deadLetter;
      if (deadLetter) deadLetterTopics.add(deadLetter.topic);
      const subscription = new gcp.pubsub.Subscription(
        `${name}-${spec.name}`,
        {
          project: args.project,
          name: spec.name,
          topic: topic(spec.topic).id,
          ackDeadlineSeconds: spec.ackDeadlineSeconds,
          enableMessageOrdering: spec.messageOrdering,
          retryPolicy: {
            minimumBackoff: `${spec.retry.minimumBackoffSeconds}s`,
            maximumBackoff: `${spec.retry.maximumBackoffSeconds}s`,
          },
          ...(deadLetter
            ? {
                deadLetterPolicy: {
                  deadLetterTopic: topic(deadLetter.topic).id,
                  maxDeliveryAttempts: deadLetter.maxDeliveryAttempts,
                },
              }
            : {}),
          pushConfig: {
            // functions-framework turns a raw push body into a CloudEvent and takes the
            // topic from this path.
            pushEndpoint: pulumi.interpolate`${url}/projects/${args.project}/topics/${spec.topic}`,
            // Cloud Run checks the audience against the service URL, not the full endpoint.
            oidcToken: { serviceAccountEmail: args.invokerEmails[spec.pushTo], audience: url },
          },
          // The default expires a subscription after 31 idle days: a quiet fleet would lose it.
          expirationPolicy: { ttl: '' },
        },
        child,
      );
      subscriptions.set(spec.name, subscription);
      if (deadLetter) {
        // Dead-lettering acks the message on the source subscription as the service agent.
        new gcp.pubsub.SubscriptionIAMMember(
          `${name}-${spec.name}-agent-subscriber`,
          {
            project: args.project,
            subscription: subscription.name,
            role: 'roles/pubsub.subscriber',
            member: args.pubsubAgentMember,
          },
          child,
        );
      }
    }
    for (const topicName of deadLetterTopics) {
      new gcp.pubsub.TopicIAMMember(
        `${name}-${topicName}-agent-publisher`,
        {
          project: args.project,
          topic: topic(topicName).name,
          role: 'roles/pubsub.publisher',
          member: args.pubsubAgentMember,
        },
        child,
      );
    }
    for (const p of args.publishers) {
      new gcp.pubsub.TopicIAMMember(
        `${name}-${p.topic}-${p.who}-publisher`,
        {
          project: args.project,
          topic: topic(p.topic).name,
          role: 'roles/pubsub.publisher',
          member: p.member,
        },
        child,
      );
    }
    this.topics = topics;
    this.subscriptions = subscriptions;
    this.registerOutputs({});
  }
}
