/**
 * The Pulumi program (Pulumi.yaml `main`). Node 24 runs this TypeScript directly (type
 * stripping), so the runtime's own TypeScript support is off; see README "How it runs".
 * Named exports are the stack outputs.
 */
import { fileURLToPath } from 'node:url';
import { TOPOLOGY } from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';
import { bundleFunctions } from './build/bundle.ts';
import { loadConfig } from './config.ts';
import { createEdgeflow } from './program.ts';

const config = loadConfig();
const bundle = bundleFunctions({
  entry: fileURLToPath(new URL('../../cloud/src/index.ts', import.meta.url)),
  outDir: fileURLToPath(new URL('../.build/functions', import.meta.url)),
});
const stack = createEdgeflow({
  config,
  topology: TOPOLOGY,
  source: { archive: new pulumi.asset.FileArchive(bundle.dir), sha256: bundle.sha256 },
});

export const {
  projectId,
  region,
  topics,
  subscriptions,
  functionUrls,
  apiUrl,
  serviceAccounts,
  firestoreDatabase,
  functionSourceObject,
  gateways,
} = stack.outputs;
