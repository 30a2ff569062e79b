/**
 * The entry module as `pulumi up` loads it: stack config through pulumi.Config, the function
 * bundle (mocked here to the fixture, so this test does not depend on cloud/ building), the
 * whole stack, and the named exports that become stack outputs.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it, vi } from 'vitest';
import { installMocks, resolved, settle } from './mocks.ts';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'functions');
const bundleCalls = vi.hoisted(() => [] as { entry: string; outDir: string }[]);
vi.mock('../src/build/bundle.ts', () => ({
  bundleFunctions: (options: { entry: string; outDir: string }) => {
    bundleCalls.push(options);
    return {
      dir: fixture,
      main: 'index.ts',
      dependencies: {},
      optionalDependencies: {},
      sha256: 'ab'.repeat(32),
    };
  },
}));

const recorded = installMocks();
pulumi.runtime.setAllConfig({
  'gcp:project': 'acme-iot-prod',
  'gcp:region': 'europe-west1',
  'edgeflow:alertChannels': '[{"type":"email","emailAddress":"ops@acme.example"}]',
  'edgeflow:gateways': '["site-a"]',
});
const entry = await import('../src/index.ts');
await settle();

describe('src/index.ts', () => {
  it('bundles cloud/src/index.ts into infra/.build/functions', () => {
    expect(bundleCalls).toHaveLength(1);
    expect(bundleCalls[0]?.entry).toMatch(/\/cloud\/src\/index\.ts$/);
    expect(bundleCalls[0]?.outDir).toMatch(/\/infra\/\.build\/functions$/);
    const object = recorded.find((r) => r.type === 'gcp:storage/bucketObject:BucketObject');
    expect(object?.inputs.name).toBe(`functions-${'ab'.repeat(8)}.zip`);
  });

  it('exports the stack outputs', async () => {
    expect(Object.keys(entry).sort()).toEqual([
      'apiUrl',
      'firestoreDatabase',
      'functionSourceObject',
      'functionUrls',
      'gateways',
      'projectId',
      'region',
      'serviceAccounts',
      'subscriptions',
      'topics',
    ]);
    expect(entry.projectId).toBe('acme-iot-prod');
    expect(await resolved(entry.topics['edgeflow-telemetry'] as pulumi.Output<string>)).toBe(
      'projects/acme-iot-prod/topics/edgeflow-telemetry',
    );
    expect(await resolved(entry.functionUrls.ingest)).toBe('https://edgeflow-ingest-x7k2-ew.a.run.app');
    expect(await resolved(entry.serviceAccounts.ingest as pulumi.Output<string>)).toBe(
      'edgeflow-fn-ingest@acme-iot-prod.iam.gserviceaccount.com',
    );
    expect(await pulumi.isSecret(entry.gateways)).toBe(true);
    expect(Object.keys(await resolved(entry.gateways))).toEqual(['site-a']);
  });
});
