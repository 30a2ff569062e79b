#!/usr/bin/env node
/**
 * `npm run build:gateway`: the deployable gateway, `edge/dist/`:
 *   gateway.mjs       one esbuild ESM bundle of the gateway CLI (our TypeScript, @edgeflow/shared
 *                     and the pure-JS dependencies), with a shebang carrying GATEWAY_NODE_FLAGS
 *   gateway.mjs.map   its source map (run with --enable-source-maps for .ts stack traces)
 *   package.json      the packages kept external, pinned to the versions installed here; on the
 *                     site box: copy dist/, `npm install --omit=dev`, `./gateway.mjs --config <file>`
 *
 * Why a bundle: running the TypeScript sources through Node's type stripping and the module
 * loader over ~300 files costs the gateway ~45 MB of RSS at idle (measured with `npm run
 * bench:edge`, which runs this build); the bundle loads as one file. Kept external:
 * `@google-cloud/*` (google-gax reads its .proto files relative to its own directory) and
 * `cbor-extract` (a native addon; cbor-x runs without it, slower).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CJS_INTEROP_BANNER } from '@edgeflow/infra/build';
import { Command } from 'commander';
import { buildSync } from 'esbuild';

const EDGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_OUT_DIR = join(EDGE_DIR, 'dist');

/**
 * V8 flags the gateway runs with, pinned so a small box (where V8 would size the young
 * generation down) behaves like the measurement. Measured with bench:edge (2 cores, 10k
 * readings/s steady, then full speed), young generation semi-space:
 *   1 MiB:  RSS ~143 MB, alert p99 ~23 ms, throughput 0.83 of raw aedes (readings held for
 *           the forwarder's linger get promoted, and old-generation GCs stall the loop)
 *   16 MiB: RSS ~205 MB, alert p99 ~5-7 ms, throughput 0.93 of raw aedes
 * Local alerting and ingest come first on a gateway, so 16. Not --enable-source-maps: it
 * holds the parsed map (+33 MB); add it when debugging.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];

const EXTERNAL = ['@google-cloud/pubsub', 'cbor-extract'] as const;
const OPTIONAL = new Set<string>(['cbor-extract']);

const SHEBANG = `#!/usr/bin/env -S node ${GATEWAY_NODE_FLAGS.join(' ')}`;

export interface GatewayBuild {
  /** Absolute path of the bundle. */
  readonly entry: string;
  readonly bytes: number;
  /** The node arguments to run it with (flags, then the bundle). */
  readonly nodeArgs: readonly string[];
}

export function buildGateway(outDir: string = DEFAULT_OUT_DIR): GatewayBuild {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const entry = join(outDir, 'gateway.mjs');
  buildSync({
    entryPoints: [join(EDGE_DIR, 'src/cli/gateway.ts')],
    outfile: entry,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: ['@google-cloud/*', 'cbor-extract'],
    banner: { js: CJS_INTEROP_BANNER },
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  // esbuild keeps the entry's own `#!/usr/bin/env node`; the one with the flags replaces it.
  const text = `${SHEBANG}\n${readFileSync(entry, 'utf8').replace(/^(#![^\n]*\n)+/, '')}`;
  writeFileSync(entry, text, { mode: 0o755 });

  const require = createRequire(join(EDGE_DIR, 'package.json'));
  const versionOf = (name: string): string =>
    (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string })
      .version;
  const pinned = (optional: boolean) =>
    Object.fromEntries(EXTERNAL.filter((n) => OPTIONAL.has(n) === optional).map((n) => [n, versionOf(n)]));
  const manifest = {
    name: 'edgeflow-gateway',
    version: (JSON.parse(readFileSync(join(EDGE_DIR, 'package.json'), 'utf8')) as { version: string })
      .version,
    private: true,
    type: 'module',
    bin: { 'edgeflow-gateway': 'gateway.mjs' },
    scripts: { start: `node ${GATEWAY_NODE_FLAGS.join(' ')} gateway.mjs` },
    engines: { node: '>=24' },
    dependencies: pinned(false),
    optionalDependencies: pinned(true),
  };
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { entry, bytes: text.length, nodeArgs: [...GATEWAY_NODE_FLAGS, entry] };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const program = new Command()
    .name('build-gateway')
    .description('Bundles the edge gateway into a deployable directory (gateway.mjs + package.json).')
    .option('-o, --out-dir <dir>', 'output directory (emptied first)', DEFAULT_OUT_DIR)
    .action((options: { outDir: string }) => {
      const build = buildGateway(options.outDir);
      process.stdout.write(
        `gateway bundle ${build.entry} (${(build.bytes / 2 ** 20).toFixed(1)} MiB); run: node ${build.nodeArgs.join(' ')} --config <file>\n`,
      );
    });
  program.parse(process.argv);
}
