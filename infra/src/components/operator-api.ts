/**
 * The operator API and console: the `api` function (Cloud Functions 2nd gen, HTTP; Cloud
 * Run underneath, so SSE streams last up to the request timeout), its own service account,
 * and the Firestore indexes its queries need.
 *
 * Access: private. No `allUsers` / `allAuthenticatedUsers` binding exists; the operators
 * named in config (`edgeflow:operators`) get `roles/run.invoker` on this function only and
 * call it with an ID token (`gcloud auth print-identity-token`, see infra/README.md). Google's
 * front end verifies the token before a request reaches the function, so the function trusts
 * the identity it carries (EDGEFLOW_API_TRUST_GOOGLE_IDENTITY=1) for the alert history.
 *
 * Least privilege, stated: `roles/datastore.user` (Firestore read, plus the writes ack,
 * resolve and replay need: Firestore has no narrower predefined role that can write), and
 * `roles/pubsub.publisher` on the two topics a dead letter can be replayed to (telemetry,
 * alerts) and nothing else.
 */
import type { Topology } from '@edgeflow/shared';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from '../config.ts';
import { COLLECTIONS } from '../names.ts';
import { FUNCTION_RUNTIME } from './functions.ts';
import { childOptions } from './options.ts';

export const API_FUNCTION_NAME = 'edgeflow-api';
export const API_ACCOUNT_ID = 'edgeflow-fn-api';
/** Where bundle.ts puts the built console inside the function's source. */
export const CONSOLE_BUNDLE_DIR = 'console';
/** Cloud Functions 2nd gen unpacks the source here. */
const WORKSPACE = '/workspace';
/** The longest a request (an SSE stream) may last; the console's EventSource reconnects. */
export const API_TIMEOUT_SECONDS = 3600;

/** Composite indexes of the API's queries (alerts by device / severity, newest first; a series' buckets). */
export const API_INDEXES: readonly {
  readonly collection: string;
  readonly fields: readonly { readonly fieldPath: string; readonly order: 'ASCENDING' | 'DESCENDING' }[];
}[] = [
  {
    collection: COLLECTIONS.alerts,
    fields: [
      { fieldPath: 'deviceId', order: 'ASCENDING' },
      { fieldPath: 'raisedAt', order: 'DESCENDING' },
    ],
  },
  {
    collection: COLLECTIONS.alerts,
    fields: [
      { fieldPath: 'severity', order: 'ASCENDING' },
      { fieldPath: 'raisedAt', order: 'DESCENDING' },
    ],
  },
  {
    collection: COLLECTIONS.readings,
    fields: [
      { fieldPath: 'deviceId', order: 'ASCENDING' },
      { fieldPath: 'metric', order: 'ASCENDING' },
      { fieldPath: 'windowStartMs', order: 'ASCENDING' },
    ],
  },
];

export interface OperatorApiArgs {
  readonly project: string;
  readonly region: string;
  readonly topology: Topology;
  readonly sourceBucket: gcp.storage.Bucket;
  readonly sourceObject: gcp.storage.BucketObject;
  readonly buildAccount: gcp.serviceaccount.Account;
  readonly database: gcp.firestore.Database;
  readonly operators: InfraConfig['operators'];
  readonly sizing: InfraConfig['apiFunction'];
}

export class OperatorApi extends pulumi.ComponentResource {
  readonly account: gcp.serviceaccount.Account;
  readonly function: gcp.cloudfunctionsv2.Function;
  readonly invokers: readonly gcp.cloudrunv2.ServiceIamMember[];
  readonly indexes: readonly gcp.firestore.Index[];

  constructor(name: string, args: OperatorApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super('edgeflow:infra:OperatorApi', name, {}, opts);
    const child = childOptions(this, opts);

    this.account = new gcp.serviceaccount.Account(
      `${name}-account`,
      {
        project: args.project,
        accountId: API_ACCOUNT_ID,
        displayName: 'edgeflow operator API (Firestore read + ack/resolve/replay writes, replay publish)',
      },
      child,
    );
    const firestoreRole = new gcp.projects.IAMMember(
      `${name}-firestore`,
      { project: args.project, role: 'roles/datastore.user', member: this.account.member },
      child,
    );
    const replayTopics = [args.topology.topics.telemetry.name, args.topology.topics.alerts.name];
    const publishers = replayTopics.map(
      (topic) =>
        new gcp.pubsub.TopicIAMMember(
          `${name}-replay-${topic}`,
          { project: args.project, topic, role: 'roles/pubsub.publisher', member: this.account.member },
          child,
        ),
    );

    this.indexes = API_INDEXES.map(
      (index) =>
        new gcp.firestore.Index(
          `${name}-index-${index.collection}-${index.fields.map((f) => f.fieldPath).join('-')}`,
          {
            project: args.project,
            database: args.database.name,
            collection: index.collection,
            queryScope: 'COLLECTION',
            fields: index.fields.map((f) => ({ ...f })),
          },
          child,
        ),
    );

    this.function = new gcp.cloudfunctionsv2.Function(
      `${name}-function`,
      {
        project: args.project,
        location: args.region,
        name: API_FUNCTION_NAME,
        description: 'edgeflow operator API (/v1) and console (/); private, IAM invoker only',
        buildConfig: {
          runtime: FUNCTION_RUNTIME,
          entryPoint: 'api',
          serviceAccount: args.buildAccount.name,
          source: { storageSource: { bucket: args.sourceBucket.name, object: args.sourceObject.name } },
        },
        serviceConfig: {
          serviceAccountEmail: this.account.email,
          // Operators reach it from their browsers and CLIs; IAM (not the network) keeps everyone else out.
          ingressSettings: 'ALLOW_ALL',
          allTrafficOnLatestRevision: true,
          minInstanceCount: args.sizing.minInstances,
          maxInstanceCount: args.sizing.maxInstances,
          availableMemory: `${args.sizing.memoryMb}Mi`,
          timeoutSeconds: API_TIMEOUT_SECONDS,
          environmentVariables: {
            EDGEFLOW_PROJECT_ID: args.project,
            EDGEFLOW_CONSOLE_DIR: `${WORKSPACE}/${CONSOLE_BUNDLE_DIR}`,
            EDGEFLOW_API_TRUST_GOOGLE_IDENTITY: 'true',
            EDGEFLOW_TELEMETRY_TOPIC: args.topology.topics.telemetry.name,
            EDGEFLOW_ALERTS_TOPIC: args.topology.topics.alerts.name,
          },
        },
      },
      childOptions(this, opts, firestoreRole, ...publishers),
    );

    this.invokers = args.operators.map(
      (member) =>
        new gcp.cloudrunv2.ServiceIamMember(
          `${name}-invoker-${member.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`,
          {
            project: args.project,
            location: args.region,
            name: this.function.name,
            role: 'roles/run.invoker',
            member,
          },
          child,
        ),
    );
    this.registerOutputs({});
  }
}
