/**
 * The three Cloud Run functions (2nd gen), built by Cloud Build from the bundled source
 * archive, each running as its own service account behind internal-only ingress and invokable
 * only by its own push invoker account; plus the notify function's secrets.
 */
import { type FunctionName, PUSH_POLICIES, type Topology } from '@edgeflow/shared';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from '../config.ts';
import { functionEnvironment, type SecretEnv } from '../env.ts';
import { FUNCTION_NAMES, functionName } from '../names.ts';
import { childOptions } from './options.ts';

export const FUNCTION_RUNTIME = 'nodejs24';

export interface FunctionSource {
  /** The bundle directory (see build/bundle.ts) or any archive of it. */
  readonly archive: pulumi.asset.Archive;
  /** Content hash: names the uploaded object, so a changed bundle redeploys and an unchanged one does not. */
  readonly sha256: string;
}

export interface FunctionsArgs {
  readonly project: string;
  readonly region: string;
  readonly topology: Topology;
  readonly source: FunctionSource;
  readonly sourceBucket: gcp.storage.Bucket;
  readonly runtimeAccounts: Readonly<Record<FunctionName, gcp.serviceaccount.Account>>;
  readonly buildAccount: gcp.serviceaccount.Account;
  /** Per function, the one account its push subscriptions sign tokens as. */
  readonly invokers: Readonly<Record<FunctionName, gcp.serviceaccount.Account>>;
  readonly sizing: InfraConfig['functions'];
  readonly retentionDays: number;
  readonly mailFrom: string | undefined;
  readonly webhookAllowedHosts: readonly string[];
  /** The notify function's secrets (see env.ts notifySecrets). */
  readonly notifySecrets: readonly SecretEnv[];
}

export class Functions extends pulumi.ComponentResource {
  readonly functions: Readonly<Record<FunctionName, gcp.cloudfunctionsv2.Function>>;
  readonly sourceObject: gcp.storage.BucketObject;
  readonly secrets: readonly gcp.secretmanager.Secret[];

  constructor(name: string, args: FunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('edgeflow:infra:Functions', name, {}, opts);
    const child = childOptions(this, opts);

    this.sourceObject = new gcp.storage.BucketObject(
      `${name}-source`,
      {
        bucket: args.sourceBucket.name,
        name: `functions-${args.source.sha256.slice(0, 16)}.zip`,
        source: args.source.archive,
      },
      child,
    );

    // Secrets: one Secret Manager secret per configured value, readable by notify alone.
    const secretEnv: gcp.types.input.cloudfunctionsv2.FunctionServiceConfigSecretEnvironmentVariable[] = [];
    const secretDeps: pulumi.Resource[] = [];
    const secrets: gcp.secretmanager.Secret[] = [];
    for (const spec of args.notifySecrets) {
      const secret = new gcp.secretmanager.Secret(
        `${name}-${spec.secretId}`,
        { project: args.project, secretId: spec.secretId, replication: { auto: {} } },
        child,
      );
      const version = new gcp.secretmanager.SecretVersion(
        `${name}-${spec.secretId}-version`,
        { secret: secret.id, secretData: pulumi.secret(spec.value) },
        child,
      );
      const access = new gcp.secretmanager.SecretIamMember(
        `${name}-${spec.secretId}-notify-accessor`,
        {
          project: args.project,
          secretId: secret.secretId,
          role: 'roles/secretmanager.secretAccessor',
          member: args.runtimeAccounts.notify.member,
        },
        child,
      );
      secrets.push(secret);
      secretDeps.push(version, access);
      secretEnv.push({
        key: spec.envVar,
        projectId: args.project,
        secret: secret.secretId,
        version: 'latest',
      });
    }
    this.secrets = secrets;

    const functions = {} as Record<FunctionName, gcp.cloudfunctionsv2.Function>;
    for (const fn of FUNCTION_NAMES) {
      const sizing = args.sizing[fn];
      const usesSecrets = fn === 'notify' && secretEnv.length > 0;
      functions[fn] = new gcp.cloudfunctionsv2.Function(
        `${name}-${fn}`,
        {
          project: args.project,
          location: args.region,
          name: functionName(fn),
          description: `edgeflow ${fn} (push from ${pushSources(fn, args.topology)})`,
          buildConfig: {
            runtime: FUNCTION_RUNTIME,
            entryPoint: fn,
            serviceAccount: args.buildAccount.name,
            source: {
              storageSource: { bucket: args.sourceBucket.name, object: this.sourceObject.name },
            },
          },
          serviceConfig: {
            serviceAccountEmail: args.runtimeAccounts[fn].email,
            // Pub/Sub push counts as internal traffic; nothing else needs to reach these.
            ingressSettings: 'ALLOW_INTERNAL_ONLY',
            allTrafficOnLatestRevision: true,
            minInstanceCount: sizing.minInstances,
            maxInstanceCount: sizing.maxInstances,
            availableMemory: `${sizing.memoryMb}Mi`,
            // Past the subscription's ack deadline Pub/Sub redelivers anyway; running longer
            // would only do the same work twice.
            timeoutSeconds: PUSH_POLICIES[fn].ackDeadlineSeconds,
            environmentVariables: functionEnvironment(fn, {
              project: args.project,
              topology: args.topology,
              retentionDays: args.retentionDays,
              mailFrom: args.mailFrom,
              webhookAllowedHosts: args.webhookAllowedHosts,
            }),
            ...(usesSecrets ? { secretEnvironmentVariables: secretEnv } : {}),
          },
        },
        usesSecrets ? childOptions(this, opts, ...secretDeps) : child,
      );
      // A 2nd gen function's Cloud Run service carries the function's name.
      new gcp.cloudrunv2.ServiceIamMember(
        `${name}-${fn}-invoker`,
        {
          project: args.project,
          location: args.region,
          name: functions[fn].name,
          role: 'roles/run.invoker',
          member: args.invokers[fn].member,
        },
        child,
      );
    }
    this.functions = functions;
    this.registerOutputs({});
  }
}

/** What pushes to `fn`: ingest has a subscription per gateway, so it names the pattern. */
function pushSources(fn: FunctionName, topology: Topology): string {
  if (fn === 'ingest') return 'edgeflow-telemetry-<gateway>-ingest';
  return topology.subscriptions.find((s) => s.pushTo === fn)?.name ?? 'nothing';
}
