/**
 * Pulumi mocks for the program tests: every registered resource is recorded with its inputs,
 * and the outputs GCP would compute (emails, ids, URLs, keys) are filled in the way GCP forms
 * them, so wiring between resources can be asserted.
 */
import * as pulumi from '@pulumi/pulumi';

export const PROJECT_NUMBER = '123456789012';
export const PUBSUB_AGENT = `service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: resource inputs are untyped at the mock boundary
  readonly inputs: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  readonly state: Record<string, any>;
}

// biome-ignore lint/suspicious/noExplicitAny: resource inputs are untyped at the mock boundary
function computed(type: string, inputs: Record<string, any>): Record<string, unknown> {
  const project = inputs.project ?? 'mock-project';
  switch (type) {
    case 'gcp:serviceaccount/account:Account': {
      const email = `${inputs.accountId}@${project}.iam.gserviceaccount.com`;
      return {
        email,
        member: `serviceAccount:${email}`,
        name: `projects/${project}/serviceAccounts/${email}`,
      };
    }
    case 'gcp:projects/serviceIdentity:ServiceIdentity':
      return { email: PUBSUB_AGENT, member: `serviceAccount:${PUBSUB_AGENT}` };
    case 'gcp:serviceaccount/key:Key': {
      const email = String(inputs.serviceAccountId).split('/').pop();
      const keyFile = {
        type: 'service_account',
        project_id: 'mock',
        client_email: email,
        private_key: 'PEM',
      };
      return { privateKey: Buffer.from(JSON.stringify(keyFile)).toString('base64') };
    }
    case 'gcp:pubsub/topic:Topic':
      return { id: `projects/${project}/topics/${inputs.name}` };
    case 'gcp:pubsub/subscription:Subscription':
      return { id: `projects/${project}/subscriptions/${inputs.name}` };
    case 'gcp:cloudfunctionsv2/function:Function':
      return { url: `https://${inputs.name}-x7k2-ew.a.run.app` };
    case 'gcp:secretmanager/secret:Secret':
      return {
        id: `projects/${project}/secrets/${inputs.secretId}`,
        name: `projects/${PROJECT_NUMBER}/secrets/${inputs.secretId}`,
      };
    case 'gcp:monitoring/notificationChannel:NotificationChannel':
      return {
        name: `projects/${project}/notificationChannels/${Math.abs(hash(JSON.stringify(inputs.labels)))}`,
      };
    default:
      return {};
  }
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

/** Installs the mocks; call before the program module is imported. */
export function installMocks(): RecordedResource[] {
  const resources: RecordedResource[] = [];
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state = computed(args.type, args.inputs);
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
        const id = typeof state.id === 'string' ? state.id : `${args.name}-id`;
        return { id, state: { ...args.inputs, ...state } };
      },
      call(args) {
        return args.inputs;
      },
    },
    'edgeflow',
    'test',
    false,
  );
  return resources;
}

/** Resolves when every resource registration the program started has reached the mocks. */
export async function settle(): Promise<void> {
  // waitForRPCs is the runtime's own "drain the RPC queue" (used by `disconnect`); it is
  // exported at run time but kept out of the typings.
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof runtime.waitForRPCs !== 'function')
    throw new Error('@pulumi/pulumi no longer exports waitForRPCs');
  await runtime.waitForRPCs();
}

export function resolved<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}
