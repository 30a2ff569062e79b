/**
 * Who is who: one runtime service account per function, the push invoker, the function build
 * account, one account (and key) per gateway, and the Pub/Sub service agent. Only roles that
 * have no narrower resource to bind on are granted here at project level; every other grant
 * is made on the resource itself by the component that owns it (topics, subscriptions,
 * secrets, function services), so each account holds exactly what its job needs.
 */
import type { FunctionName } from '@edgeflow/shared';
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { ACCOUNT_IDS, FUNCTION_NAMES, gatewayAccountId } from '../names.ts';
import { childOptions } from './options.ts';

/**
 * Project-level roles per account. Firestore has no per-collection IAM, so the functions'
 * data access is `datastore.user` on the project; the build account's role is the one Cloud
 * Run functions document for a custom build service account.
 */
export const PROJECT_ROLES: Readonly<Record<FunctionName | 'build', readonly string[]>> = {
  ingest: ['roles/datastore.user'],
  notify: ['roles/datastore.user'],
  triage: ['roles/datastore.user'],
  build: ['roles/cloudbuild.builds.builder'],
};

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
  /** Signs the OIDC tokens Pub/Sub attaches to push requests; may only invoke the functions. */
  readonly invoker: gcp.serviceaccount.Account;
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
    this.invoker = account(
      `${name}-invoker`,
      ACCOUNT_IDS.invoker,
      'edgeflow Pub/Sub push -> functions (OIDC)',
    );
    this.build = account(`${name}-build`, ACCOUNT_IDS.build, 'edgeflow function builds');

    const grant = (who: string, sa: gcp.serviceaccount.Account, role: string) =>
      new gcp.projects.IAMMember(
        `${name}-${who}-${role.replace(/^roles\//, '').replace(/\./g, '-')}`,
        { project: args.project, role, member: sa.member },
        child,
      );
    for (const fn of FUNCTION_NAMES) for (const role of PROJECT_ROLES[fn]) grant(fn, runtime[fn], role);
    for (const role of PROJECT_ROLES.build) grant('build', this.build, role);

    this.pubsubAgent = new gcp.projects.ServiceIdentity(
      `${name}-pubsub-agent`,
      { project: args.project, service: 'pubsub.googleapis.com' },
      child,
    );
    // Projects created before April 2021 need this for Pub/Sub to mint push OIDC tokens; it is
    // granted on the invoker account alone, never project-wide.
    new gcp.serviceaccount.IAMMember(
      `${name}-invoker-token-creator`,
      {
        serviceAccountId: this.invoker.name,
        role: 'roles/iam.serviceAccountTokenCreator',
        member: this.pubsubAgent.member,
      },
      child,
    );

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
