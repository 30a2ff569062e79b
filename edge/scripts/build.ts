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
 * bench:edge`, which runs this build); the bundle loads as one file. Built by the same
 * bundler as the functions (infra's bundleNode), with the same packages kept external:
 * `@google-cloud/*` (google-gax reads its .proto files relative to its own directory) and
 * `cbor-extract` (a native addon; cbor-x runs without it, slower).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNode } from '@edgeflow/infra/build';
import { Command } from 'commander';

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

const SHEBANG = `#!/usr/bin/env -S node ${GATEWAY_NODE_FLAGS.join(' ')}`;

export interface GatewayBuild {
  /** Absolute path of the bundle. */
  readonly entry: string;
  readonly bytes: number;
  /** The node arguments to run it with (flags, then the bundle). */
  readonly nodeArgs: readonly string[];
}

export function buildGateway(outDir: string = DEFAULT_OUT_DIR): GatewayBuild {
  const main = 'gateway.mjs';
  const { version } = JSON.parse(readFileSync(join(EDGE_DIR, 'package.json'), 'utf8')) as { version: string };
  bundleNode({
    entry: join(EDGE_DIR, 'src/cli/gateway.ts'),
    outDir,
    name: 'edgeflow-gateway',
    main,
    shebang: SHEBANG,
    manifest: {
      version,
      bin: { 'edgeflow-gateway': main },
      scripts: { start: `node ${GATEWAY_NODE_FLAGS.join(' ')} ${main}` },
    },
  });
  const entry = join(outDir, main);
  return { entry, bytes: statSync(entry).size, nodeArgs: [...GATEWAY_NODE_FLAGS, entry] };
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
