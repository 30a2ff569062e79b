import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getFunction } from '@google-cloud/functions-framework/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BundleError, bundleFunctions } from '../../src/build/bundle.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '..', 'fixtures', 'functions', 'index.ts');
// Inside the repository so the bundle resolves its external packages from node_modules.
const scratchRoot = join(here, '..', '..', '.build');
mkdirSync(scratchRoot, { recursive: true });
const scratch = mkdtempSync(join(scratchRoot, 'bundle-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const installedVersion = (pkg: string): string =>
  (
    JSON.parse(readFileSync(join(here, '..', '..', '..', 'node_modules', pkg, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

describe('bundleFunctions', () => {
  it('writes an ESM bundle and a package.json pinning the packages left external', () => {
    const out = bundleFunctions({ entry: fixture, outDir: join(scratch, 'a') });
    const manifest = JSON.parse(readFileSync(join(out.dir, 'package.json'), 'utf8'));
    expect(manifest.main).toBe('index.mjs');
    expect(manifest.type).toBe('module');
    // The framework (shared registry) and cbor-extract (native, pulled in by the shared
    // codec's cbor-x) stay external, pinned to what is installed here.
    expect(manifest.dependencies).toEqual({
      '@google-cloud/functions-framework': installedVersion('@google-cloud/functions-framework'),
    });
    // cbor-x runs without its native helper, so a failed native install must not fail the build.
    expect(manifest.optionalDependencies).toEqual({ 'cbor-extract': installedVersion('cbor-extract') });
    expect(out.dependencies).toEqual(manifest.dependencies);
    expect(out.optionalDependencies).toEqual(manifest.optionalDependencies);
    const code = readFileSync(join(out.dir, out.main), 'utf8');
    // Our TypeScript and the shared core are inlined; only the framework is imported.
    expect(code).not.toMatch(/from ["']@edgeflow\/shared["']/);
    expect(code).toContain('edgeflow-telemetry-ingest');
    expect(code).toMatch(/from ["']@google-cloud\/functions-framework["']/);
  });

  it('registers the entry points in the same functions-framework registry the runner uses', async () => {
    const out = bundleFunctions({ entry: fixture, outDir: join(scratch, 'run') });
    await import(pathToFileURL(join(out.dir, out.main)).href);
    for (const fn of ['ingest', 'notify', 'triage']) {
      const handler = getFunction(fn) as ((req: unknown, res: unknown) => void) | undefined;
      expect(handler, fn).toBeTypeOf('function');
      let sent: unknown;
      const res = { status: () => res, send: (body: unknown) => (sent = body) };
      handler?.({}, res);
      expect(sent).toMatch(new RegExp(`^${fn} <- edgeflow-`));
    }
  });

  it('hashes the content: same source same hash, changed source new hash', () => {
    const src = join(scratch, 'src');
    mkdirSync(src, { recursive: true });
    const entry = join(src, 'index.ts');
    writeFileSync(entry, 'export const answer: number = 42;\n');
    const first = bundleFunctions({ entry, outDir: join(scratch, 'h1') });
    const again = bundleFunctions({ entry, outDir: join(scratch, 'h2') });
    writeFileSync(entry, 'export const answer: number = 43;\n');
    const changed = bundleFunctions({ entry, outDir: join(scratch, 'h3') });
    expect(again.sha256).toBe(first.sha256);
    expect(changed.sha256).not.toBe(first.sha256);
    expect(first.dependencies).toEqual({});
  });

  it('fails with a coded error naming a missing entry', () => {
    const missing = join(scratch, 'nope', 'index.ts');
    expect(() => bundleFunctions({ entry: missing, outDir: join(scratch, 'x') })).toThrow(BundleError);
    expect(() => bundleFunctions({ entry: missing, outDir: join(scratch, 'x') })).toThrow(missing);
    expect(existsSync(join(scratch, 'x'))).toBe(false);
  });

  it('fails with a coded error when the source does not compile', () => {
    const entry = join(scratch, 'broken.ts');
    writeFileSync(entry, "import { nothing } from './does-not-exist.ts';\nconsole.log(nothing);\n");
    try {
      bundleFunctions({ entry, outDir: join(scratch, 'broken') });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BundleError);
      expect((err as BundleError).code).toBe('EDGEFLOW_INFRA_BUNDLE_FAILED');
      expect((err as Error).message).toContain('does-not-exist');
    }
  });
});

describe('bundleFunctions with the console', () => {
  it('ships the built console inside the source, and deploys without one', () => {
    const dist = join(scratch, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html>');
    writeFileSync(join(dist, 'assets', 'app-12345678.js'), 'x');
    const withConsole = bundleFunctions({ entry: fixture, outDir: join(scratch, 'c'), consoleDist: dist });
    expect(readFileSync(join(withConsole.dir, 'console', 'assets', 'app-12345678.js'), 'utf8')).toBe('x');
    const without = bundleFunctions({
      entry: fixture,
      outDir: join(scratch, 'd'),
      consoleDist: join(scratch, 'none'),
    });
    expect(existsSync(join(without.dir, 'console'))).toBe(false);
    expect(without.sha256).not.toBe(withConsole.sha256);
  });
});
