/**
 * The deployable gateway bundle: one file that starts without the TypeScript sources, with
 * the V8 flags in its shebang, and a manifest pinning exactly the packages it keeps external.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, GATEWAY_NODE_FLAGS, type GatewayBuild } from '../../scripts/build.ts';

const run = promisify(execFile);
let dir: string;
let build: GatewayBuild;

beforeAll(async () => {
  // Inside the repo (gitignored), so the bundle finds its external packages in node_modules.
  const scratch = fileURLToPath(new URL('../../.build/', import.meta.url));
  await mkdir(scratch, { recursive: true });
  dir = await mkdtemp(join(scratch, 'build-test-'));
  build = buildGateway(join(dir, 'dist'));
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('buildGateway', () => {
  it('writes an executable bundle whose shebang carries the gateway V8 flags', async () => {
    const text = await readFile(build.entry, 'utf8');
    expect(text.split('\n', 1)[0]).toBe(`#!/usr/bin/env -S node ${GATEWAY_NODE_FLAGS.join(' ')}`);
    expect(text.match(/^#!/gm)).toHaveLength(1);
    expect(text).not.toMatch(/from ["']@edgeflow\/shared["']/); // inlined
    expect(build.nodeArgs).toEqual([...GATEWAY_NODE_FLAGS, build.entry]);
  });

  it('runs: --help prints the CLI usage, a bad config fails with the coded error', async () => {
    const help = await run(process.execPath, [...build.nodeArgs, '--help']);
    expect(help.stdout).toContain('Usage: edgeflow-gateway');
    const bad = await run(process.execPath, [...build.nodeArgs, '--config', join(dir, 'missing.yaml')]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toMatch(/gateway failed to start: EDGEFLOW_\w+/);
  }, 30_000);

  it('pins the external packages to the installed versions', async () => {
    const manifest = JSON.parse(await readFile(join(dir, 'dist/package.json'), 'utf8'));
    const installed = JSON.parse(
      await readFile(fileURLToPath(import.meta.resolve('@google-cloud/pubsub/package.json')), 'utf8'),
    );
    expect(manifest.dependencies).toEqual({ '@google-cloud/pubsub': installed.version });
    expect(Object.keys(manifest.optionalDependencies)).toEqual(['cbor-extract']);
    expect(manifest.scripts.start).toBe(`node ${GATEWAY_NODE_FLAGS.join(' ')} gateway.mjs`);
  });
});
