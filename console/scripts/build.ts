#!/usr/bin/env node
/**
 * Builds the console into `console/dist/`: index.html plus content-hashed JS and CSS (so the
 * API can serve them with a long cache lifetime and index.html with none). Runs in the root
 * `postinstall`, so a clone needs no build step of its own; `npm run build -w console` reruns it.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CONSOLE_ROOT = resolve(HERE, '..');
export const DEFAULT_DIST = join(CONSOLE_ROOT, 'dist');

export interface BuiltConsole {
  readonly outDir: string;
  /** Every shipped file with its raw and gzipped size. */
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly gzipBytes: number }[];
  readonly gzipBytes: number;
}

export async function buildConsole(outDir: string = DEFAULT_DIST): Promise<BuiltConsole> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: [join(CONSOLE_ROOT, 'src', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    outdir: join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  if (!js || !css) throw new Error(`console build produced no JS or CSS: ${outputs.join(', ')}`);
  await writeFile(
    join(outDir, 'index.html'),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgeflow console</title>
<link rel="stylesheet" href="assets/${css}">
<script type="module" src="assets/${js}"></script>
</head>
<body><noscript>The edgeflow console needs JavaScript.</noscript></body>
</html>
`,
  );
  return { outDir, ...(await measure(outDir)) };
}

/** What a browser downloads for a first load: every file under `dir`, raw and gzipped. */
export async function measure(dir: string): Promise<Omit<BuiltConsole, 'outDir'>> {
  const files: { name: string; bytes: number; gzipBytes: number }[] = [];
  const walk = async (sub: string): Promise<void> => {
    for (const entry of await readdir(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else {
        const data = await readFile(join(dir, rel));
        files.push({ name: rel, bytes: (await stat(join(dir, rel))).size, gzipBytes: gzipSync(data).length });
      }
    }
  };
  await walk('');
  return { files, gzipBytes: files.reduce((a, f) => a + f.gzipBytes, 0) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildConsole(process.argv[2] ? resolve(process.argv[2]) : DEFAULT_DIST);
  process.stdout.write(
    `console built in ${out.outDir}: ${out.files.map((f) => `${f.name} ${f.gzipBytes} B gz`).join(', ')}; total ${out.gzipBytes} B gzipped\n`,
  );
}
