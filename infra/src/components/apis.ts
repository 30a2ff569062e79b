/**
 * The Google APIs the stack uses, enabled before anything that needs them. Disabling on
 * destroy is off: other workloads in the project may use the same APIs.
 */
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

export const REQUIRED_APIS: readonly string[] = [
  'artifactregistry.googleapis.com', // function images
  'cloudbuild.googleapis.com', // function builds
  'cloudfunctions.googleapis.com',
  'cloudresourcemanager.googleapis.com', // project number lookup, project IAM
  'firestore.googleapis.com',
  'iam.googleapis.com', // service accounts and keys
  'iamcredentials.googleapis.com', // OIDC tokens for push
  'logging.googleapis.com',
  'monitoring.googleapis.com',
  'pubsub.googleapis.com',
  'run.googleapis.com', // 2nd gen functions run on Cloud Run
  'secretmanager.googleapis.com',
  'storage.googleapis.com', // function source bucket
];

export interface ApisArgs {
  readonly project: string;
}

export class Apis extends pulumi.ComponentResource {
  readonly services: readonly gcp.projects.Service[];

  constructor(name: string, args: ApisArgs, opts?: pulumi.ComponentResourceOptions) {
    super('edgeflow:infra:Apis', name, {}, opts);
    this.services = REQUIRED_APIS.map(
      (service) =>
        new gcp.projects.Service(
          `${name}-${service.split('.')[0]}`,
          { project: args.project, service, disableOnDestroy: false, disableDependentServices: false },
          { parent: this },
        ),
    );
    this.registerOutputs({});
  }
}
