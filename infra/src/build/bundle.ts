/**
 * Deployable Node bundles (`bundleNode`): one esbuild ESM file of an entry module next to a
 * package.json naming the packages kept external, pinned to the versions installed here.
 * The edge gateway's build (edge/scripts/build.ts) uses it too.
 *
 * `bundleFunctions` builds the functions' deployable source: one esbuild ESM bundle of `cloud/src/index.ts`
 * (our TypeScript, @edgeflow/shared and pure-JS dependencies inlined) next to a package.json
 * that names it `main` and lists the packages that must stay external, pinned to the versions
 * installed here. Cloud Build's Node buildpack runs `npm install` on that package.json, so
 * what deploys is what the tests ran against.
 *
 * Why some packages stay external:
 * - `@google-cloud/functions-framework`: the functions register in its module-level registry
 *   and the framework's own runner looks them up there; an inlined copy would be a second,
 *   empty registry.
 * - the other `@google-cloud/*` SDKs: google-gax reads its .proto files from disk relative
 *   to `__dirname`, which a bundle does not carry.
 * - `cbor-extract`: a native addon (optional for cbor-x, which falls back to pure JS).
 *
 * Runs while the Pulumi program loads, on the deployer's machine; never at resource time.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

export const DEFAULT_EXTERNAL: readonly string[] = ['@google-cloud/*', 'cbor-extract'];

/** Packages the bundle may import but runs without (cbor-x falls back to pure JS). */
const OPTIONAL_EXTERNAL = new Set(['cbor-extract']);

export interface BundleOptions {
  /** The module that imports every function module (absolute path). */
  readonly entry: string;
  /** Emptied and refilled with the bundle (`main`) and `package.json`. */
  readonly outDir: string;
  /** Package names (or `@scope/*`) kept out of the bundle; defaults to DEFAULT_EXTERNAL. */
  readonly external?: readonly string[];
}

export interface NodeBundleOptions extends BundleOptions {
  /** package.json `name`. */
  readonly name: string;
  /** File name of the bundle; package.json `main`. Default `index.mjs`. */
  readonly main?: string;
  /** First line of the bundle (a `#!` line): replaces any the entry has, and makes it executable. */
  readonly shebang?: string;
  /** More package.json fields (bin, scripts, version...). */
  readonly manifest?: Readonly<Record<string, unknown>>;
  /** Directories copied into the bundle (`to` relative to outDir), e.g. static assets. */
  readonly copyDirs?: readonly { readonly from: string; readonly to: string }[];
}

export interface NodeBundle {
  /** Directory ready to be archived and uploaded. */
  readonly dir: string;
  /** The package.json `main`. */
  readonly main: string;
  /** External packages the bundle imports, pinned to the installed versions. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** External packages the bundle runs without (npm may fail to install them without failing the build). */
  readonly optionalDependencies: Readonly<Record<string, string>>;
  /** Hex SHA-256 over every file in `dir`: changes exactly when the deployable changes. */
  readonly sha256: string;
}

export type FunctionBundle = NodeBundle;

export class BundleError extends Error {
  readonly code = 'EDGEFLOW_INFRA_BUNDLE_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BundleError';
  }
}

/** Prepended to an ESM bundle of CommonJS dependencies, which still call require() and read __dirname. */
export const CJS_INTEROP_BANNER = [
  "import { createRequire as __edgeflowCreateRequire } from 'node:module';",
  "import { fileURLToPath as __edgeflowFileURLToPath } from 'node:url';",
  "import { dirname as __edgeflowDirname } from 'node:path';",
  'const require = __edgeflowCreateRequire(import.meta.url);',
  'const __filename = __edgeflowFileURLToPath(import.meta.url);',
  'const __dirname = __edgeflowDirname(__filename);',
].join('\n');

/** The built console (console-ui's output), shipped inside the functions' source for the api function. */
export const DEFAULT_CONSOLE_DIST = resolve(
  dirname(new URL(import.meta.url).pathname),
  '../../../console/dist',
);
/** Its place in the bundle; the api function's EDGEFLOW_CONSOLE_DIR points there (components/operator-api.ts). */
export const CONSOLE_IN_BUNDLE = 'console';

export function bundleFunctions(options: BundleOptions & { readonly consoleDist?: string }): FunctionBundle {
  const consoleDist = options.consoleDist ?? DEFAULT_CONSOLE_DIST;
  // Without a built console the API still deploys; `/` then answers its "not built" 404.
  const dirs = existsSync(join(consoleDist, 'index.html'))
    ? [{ from: consoleDist, to: CONSOLE_IN_BUNDLE }]
    : [];
  return bundleNode({ ...options, name: 'edgeflow-functions', copyDirs: dirs });
}

export function bundleNode(options: NodeBundleOptions): NodeBundle {
  const entry = resolve(options.entry);
  const outDir = resolve(options.outDir);
  const main = options.main ?? 'index.mjs';
  const external = [...(options.external ?? DEFAULT_EXTERNAL)];
  if (!existsSync(entry)) {
    throw new BundleError(`bundle entry ${entry} does not exist`);
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  let result: ReturnType<typeof buildSync>;
  try {
    result = buildSync({
      entryPoints: [entry],
      outfile: join(outDir, main),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      external,
      banner: { js: CJS_INTEROP_BANNER },
      metafile: true,
      sourcemap: 'linked',
      // Reproducible output: the object name is derived from the content hash.
      legalComments: 'none',
      logLevel: 'silent',
    });
  } catch (err) {
    throw new BundleError(`bundling ${entry} failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }

  // Only what we kept out on purpose: esbuild also leaves external a require() it cannot
  // resolve inside a try (e.g. debug's optional supports-color), which runs without it.
  const keptOut = (name: string) =>
    external.some((p) => (p.endsWith('/*') ? name.startsWith(p.slice(0, -1)) : name === p));
  const imported = new Set<string>();
  for (const output of Object.values(result.metafile?.outputs ?? {})) {
    for (const imp of output.imports) {
      if (!imp.external || isBuiltin(imp.path)) continue;
      const name = packageName(imp.path);
      if (keptOut(name)) imported.add(name);
    }
  }
  const dependencies: Record<string, string> = {};
  const optionalDependencies: Record<string, string> = {};
  for (const name of [...imported].sort()) {
    const version = installedVersion(name, dirname(entry));
    if (version === undefined) continue;
    if (OPTIONAL_EXTERNAL.has(name)) optionalDependencies[name] = version;
    else dependencies[name] = version;
  }
  if (options.shebang !== undefined) {
    // esbuild keeps the entry's own `#!` line; the given one replaces it.
    const file = join(outDir, main);
    const code = readFileSync(file, 'utf8').replace(/^(#![^\n]*\n)+/, '');
    writeFileSync(file, `${options.shebang}\n${code}`, { mode: 0o755 });
  }
  const manifest = {
    name: options.name,
    version: '0.0.0',
    private: true,
    type: 'module',
    main,
    engines: { node: '>=24' },
    ...options.manifest,
    dependencies,
    optionalDependencies,
  };
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const d of options.copyDirs ?? []) cpSync(d.from, join(outDir, d.to), { recursive: true });
  return { dir: outDir, main, dependencies, optionalDependencies, sha256: hashDir(outDir) };
}

/** `@scope/pkg/sub/path` -> `@scope/pkg`; `pkg/sub` -> `pkg`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Node's lookup order, by hand: package.json is often not in a package's `exports`. */
function installedVersion(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) {
      const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version;
      if (typeof version === 'string') return version;
    }
    if (dirname(dir) === dir) break;
  }
  if (OPTIONAL_EXTERNAL.has(name)) return undefined;
  throw new BundleError(`external package ${name} is imported by the bundle but not installed (npm install)`);
}

function hashDir(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(relative(dir, path)).update('\u0000').update(readFileSync(path)).update('\u0000');
    }
  };
  walk(dir);
  return hash.digest('hex');
}
