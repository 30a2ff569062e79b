/**
 * Cloud Monitoring: a notification channel per configured target and three alert policies
 * that cover the ways the pipeline degrades without anyone noticing: messages being given up
 * on (dead-lettered), telemetry backing up, and functions failing.
 */
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { AlertChannelConfig } from '../config.ts';
import { childOptions } from './options.ts';

export interface MonitoringArgs {
  readonly project: string;
  readonly channels: readonly AlertChannelConfig[];
  readonly deadLetterTopics: readonly string[];
  /** Subscriptions that dead-letter, for the per-subscription dead-letter count. */
  readonly deadLetteringSubscriptions: readonly string[];
  /** One per gateway; with none, there is no telemetry to back up and no backlog policy. */
  readonly telemetrySubscriptions: readonly string[];
  readonly oldestUnackedAgeSeconds: number;
  /** Cloud Run service names of the functions. */
  readonly functionServices: readonly string[];
  readonly functionErrorRatio: number;
}

const oneOf = (values: readonly string[]): string =>
  `one_of(${values.map((v) => JSON.stringify(v)).join(', ')})`;

export class Monitoring extends pulumi.ComponentResource {
  readonly channels: readonly gcp.monitoring.NotificationChannel[];
  readonly deadLetterPolicy: gcp.monitoring.AlertPolicy;
  readonly backlogPolicy: gcp.monitoring.AlertPolicy | undefined;
  readonly functionErrorPolicy: gcp.monitoring.AlertPolicy;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('edgeflow:infra:Monitoring', name, {}, opts);
    const child = childOptions(this, opts);
    this.channels = args.channels.map(
      (ch, i) =>
        new gcp.monitoring.NotificationChannel(
          `${name}-channel-${i}`,
          ch.type === 'email'
            ? {
                project: args.project,
                type: 'email',
                displayName: `edgeflow ${ch.emailAddress}`,
                labels: { email_address: ch.emailAddress ?? '' },
              }
            : {
                project: args.project,
                type: 'webhook_tokenauth',
                displayName: 'edgeflow webhook',
                labels: { url: ch.url ?? '' },
              },
          child,
        ),
    );
    const common = {
      project: args.project,
      combiner: 'OR',
      notificationChannels: this.channels.map((c) => c.name),
      alertStrategy: { autoClose: '1800s' },
    };

    this.deadLetterPolicy = new gcp.monitoring.AlertPolicy(
      `${name}-dead-letters`,
      {
        ...common,
        displayName: 'edgeflow: messages dead-lettered',
        severity: 'ERROR',
        documentation: {
          mimeType: 'text/markdown',
          content:
            'Pub/Sub gave up on messages after their max delivery attempts. Inspect and replay with `npm run dlq -- list`.',
        },
        conditions: [
          {
            displayName: 'dead-letter topic received messages',
            conditionThreshold: {
              filter: `resource.type = "pubsub_topic" AND resource.labels.topic_id = ${oneOf(args.deadLetterTopics)} AND metric.type = "pubsub.googleapis.com/topic/send_message_operation_count"`,
              aggregations: [
                {
                  alignmentPeriod: '60s',
                  perSeriesAligner: 'ALIGN_SUM',
                  crossSeriesReducer: 'REDUCE_SUM',
                  groupByFields: ['resource.label.topic_id'],
                },
              ],
              comparison: 'COMPARISON_GT',
              thresholdValue: 0,
              duration: '0s',
            },
          },
          {
            displayName: 'subscription forwarded messages to its dead-letter topic',
            conditionThreshold: {
              filter: `resource.type = "pubsub_subscription" AND resource.labels.subscription_id = ${oneOf(args.deadLetteringSubscriptions)} AND metric.type = "pubsub.googleapis.com/subscription/dead_letter_message_count"`,
              aggregations: [
                {
                  alignmentPeriod: '60s',
                  perSeriesAligner: 'ALIGN_SUM',
                  crossSeriesReducer: 'REDUCE_SUM',
                  groupByFields: ['resource.label.subscription_id'],
                },
              ],
              comparison: 'COMPARISON_GT',
              thresholdValue: 0,
              duration: '0s',
            },
          },
        ],
      },
      child,
    );

    const telemetry = args.telemetrySubscriptions;
    this.backlogPolicy =
      telemetry.length === 0
        ? undefined
        : new gcp.monitoring.AlertPolicy(
            `${name}-telemetry-backlog`,
            {
              ...common,
              displayName: 'edgeflow: telemetry backing up',
              severity: 'WARNING',
              documentation: {
                mimeType: 'text/markdown',
                content: `The oldest unacknowledged telemetry batch on a gateway's subscription is older than ${args.oldestUnackedAgeSeconds} s: ingest is failing or cannot keep up (the incident names the subscription, edgeflow-telemetry-<gateway>-ingest).`,
              },
              conditions: [
                {
                  displayName: 'oldest unacked telemetry message age',
                  conditionThreshold: {
                    filter: `resource.type = "pubsub_subscription" AND resource.labels.subscription_id = ${oneOf(telemetry)} AND metric.type = "pubsub.googleapis.com/subscription/oldest_unacked_message_age"`,
                    aggregations: [{ alignmentPeriod: '60s', perSeriesAligner: 'ALIGN_MAX' }],
                    comparison: 'COMPARISON_GT',
                    thresholdValue: args.oldestUnackedAgeSeconds,
                    duration: '300s',
                  },
                },
              ],
            },
            child,
          );

    // 2nd gen functions report requests as their Cloud Run service; a thrown error is a 5xx
    // (and a redelivery), so the 5xx share is the function error rate.
    const requests = `resource.type = "cloud_run_revision" AND resource.labels.service_name = ${oneOf(args.functionServices)} AND metric.type = "run.googleapis.com/request_count"`;
    const perService = [
      {
        alignmentPeriod: '300s',
        perSeriesAligner: 'ALIGN_RATE',
        crossSeriesReducer: 'REDUCE_SUM',
        groupByFields: ['resource.label.service_name'],
      },
    ];
    this.functionErrorPolicy = new gcp.monitoring.AlertPolicy(
      `${name}-function-errors`,
      {
        ...common,
        displayName: 'edgeflow: function error rate',
        severity: 'ERROR',
        documentation: {
          mimeType: 'text/markdown',
          content: `More than ${args.functionErrorRatio * 100}% of a function's requests failed over 5 minutes. Failing pushes are redelivered and eventually dead-lettered.`,
        },
        conditions: [
          {
            displayName: '5xx share of function requests',
            conditionThreshold: {
              filter: `${requests} AND metric.labels.response_code_class = "5xx"`,
              aggregations: perService,
              denominatorFilter: requests,
              denominatorAggregations: perService,
              comparison: 'COMPARISON_GT',
              thresholdValue: args.functionErrorRatio,
              duration: '0s',
            },
          },
        ],
      },
      child,
    );
    this.registerOutputs({});
  }
}
