/**
 * Who is who: one runtime service account per function, one push invoker per function, the
 * function build account, one account (and key) per gateway, and the Pub/Sub service agent.
 * Only roles that have no narrower resource to bind on are granted here at project level,
 * each with an IAM condition where the service supports one; every other grant is made on
 * the resource itself by the component that owns it (topics, subscriptions, secrets,
 * function services), so each account holds exactly what its job needs. No account made
 * here but a gateway's may publish telemetry: nothing at project level carries
 * `pubsub.topics.publish` (the build account's documented `cloudbuild.builds.builder` does,
 * so it gets the narrower roles below instead).
 */
import type { FunctionName } from '@edgeflow/shared';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { ACCOUNT_IDS, FUNCTION_NAMES, gatewayAccountId, sourceBucketName } from '../names.ts';
import { childOptions } from './options.ts';
import { FIRESTORE_DATABASE } from './storage.ts';

export interface ProjectGrant {
  readonly role: string;
  readonly condition?: { readonly title: string; readonly description: string; readonly expression: string };
}

/**
 * Firestore has no per-collection IAM: `datastore.user` reads and writes every collection
 * of a database. The condition at least pins it to edgeflow's database, so any other
 * database in the project stays out of reach (Firestore evaluates IAM conditions on the
 * database's resource name).
 */
function firestoreGrant(project: string): ProjectGrant {
  return {
    role: 'roles/datastore.user',
    condition: {
      title: 'edgeflow database only',
      description: 'Read and write the edgeflow Firestore database, no other database of the project.',
      expression: `resource.name == "projects/${project}/databases/${FIRESTORE_DATABASE}"`,
    },
  };
}

/**
 * Project-level grants per account. The build account gets what a custom Cloud Run
 * functions build account needs (build logs, build images, the function source), storage
 * limited to the functions' source buckets: our upload bucket and the service's own
 * `gcf-v2-*` source buckets.
 */
export function projectGrants(
  project: string,
): Readonly<Record<FunctionName | 'build', readonly ProjectGrant[]>> {
  return {
    ingest: [firestoreGrant(project)],
    notify: [firestoreGrant(project)],
    triage: [firestoreGrant(project)],
    build: [
      { role: 'roles/logging.logWriter' },
      { role: 'roles/artifactregistry.writer' },
      {
        role: 'roles/storage.objectAdmin',
        condition: {
          title: 'function source buckets only',
          description: 'The edgeflow source bucket and the Cloud Run functions source buckets.',
          expression: bucketCondition(sourceBucketName(project)),
        },
      },
    ],
  };
}

/** Our bucket exactly (and its objects), or any bucket of the Cloud Run functions service. */
function bucketCondition(bucket: string): string {
  const ours = `projects/_/buckets/${bucket}`;
  return [
    `resource.name == "${ours}"`,
    `resource.name.startsWith("${ours}/")`,
    'resource.name.startsWith("projects/_/buckets/gcf-v2-")',
  ].join(' || ');
}

export interface IdentityArgs {
  readonly project: string;
  readonly gatewayIds: readonly string[];
  /** False for keyless (Workload Identity Federation) gateways. */
  readonly gatewayKeys: boolean;
}

export interface GatewayIdentity {
  readonly gatewayId: string;
  readonly account: gcp.serviceaccount.Account;
  readonly key: gcp.serviceaccount.Key | undefined;
}

export class Identity extends pulumi.ComponentResource {
  readonly runtime: Readonly<Record<FunctionName, gcp.serviceaccount.Account>>;
  /**
   * Per function: signs the OIDC tokens Pub/Sub attaches to pushes to that function, and may
   * invoke that function only.
   */
  readonly invokers: Readonly<Record<FunctionName, gcp.serviceaccount.Account>>;
  /** Runs the functions' Cloud Build builds instead of the project's default compute account. */
  readonly build: gcp.serviceaccount.Account;
  readonly gateways: readonly GatewayIdentity[];
  /** `service-<project number>@gcp-sa-pubsub.iam.gserviceaccount.com`, created if missing. */
  readonly pubsubAgent: gcp.projects.ServiceIdentity;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super('edgeflow:infra:Identity', name, {}, opts);
    const child = childOptions(this, opts);
    const account = (resName: string, accountId: string, description: string) =>
      new gcp.serviceaccount.Account(
        resName,
        { project: args.project, accountId, displayName: accountId, description },
        child,
      );

    const runtime = {} as Record<FunctionName, gcp.serviceaccount.Account>;
    for (const fn of FUNCTION_NAMES) {
      runtime[fn] = account(`${name}-${fn}`, ACCOUNT_IDS.runtime(fn), `edgeflow ${fn} function runtime`);
    }
    this.runtime = runtime;
    const invokers = {} as Record<FunctionName, gcp.serviceaccount.Account>;
    for (const fn of FUNCTION_NAMES) {
      invokers[fn] = account(
        `${name}-invoker-${fn}`,
        ACCOUNT_IDS.invoker(fn),
        `edgeflow Pub/Sub push -> ${fn} (OIDC)`,
      );
    }
    this.invokers = invokers;
    this.build = account(`${name}-build`, ACCOUNT_IDS.build, 'edgeflow function builds');

    const grants = projectGrants(args.project);
    const grant = (who: string, sa: gcp.serviceaccount.Account, g: ProjectGrant) =>
      new gcp.projects.IAMMember(
        `${name}-${who}-${g.role.replace(/^roles\//, '').replace(/\./g, '-')}`,
        {
          project: args.project,
          role: g.role,
          member: sa.member,
          ...(g.condition ? { condition: g.condition } : {}),
        },
        child,
      );
    for (const fn of FUNCTION_NAMES) for (const g of grants[fn]) grant(fn, runtime[fn], g);
    for (const g of grants.build) grant('build', this.build, g);

    this.pubsubAgent = new gcp.projects.ServiceIdentity(
      `${name}-pubsub-agent`,
      { project: args.project, service: 'pubsub.googleapis.com' },
      child,
    );
    // Projects created before April 2021 need this for Pub/Sub to mint push OIDC tokens; it is
    // granted on the invoker accounts alone, never project-wide.
    for (const fn of FUNCTION_NAMES) {
      new gcp.serviceaccount.IAMMember(
        `${name}-invoker-${fn}-token-creator`,
        {
          serviceAccountId: invokers[fn].name,
          role: 'roles/iam.serviceAccountTokenCreator',
          member: this.pubsubAgent.member,
        },
        child,
      );
    }

    this.gateways = args.gatewayIds.map((gatewayId) => {
      const sa = account(
        `${name}-gw-${gatewayId}`,
        gatewayAccountId(gatewayId),
        `edgeflow gateway ${gatewayId}`,
      );
      const key = args.gatewayKeys
        ? new gcp.serviceaccount.Key(`${name}-gw-${gatewayId}-key`, { serviceAccountId: sa.name }, child)
        : undefined;
      return { gatewayId, account: sa, key };
    });
    this.registerOutputs({});
  }
}
