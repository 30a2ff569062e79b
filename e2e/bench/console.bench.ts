#!/usr/bin/env node
/**
 * `npm run bench:console`: what the web console costs a browser. Bytes shipped: every file of
 * the build, raw and gzipped (target < 300 KB gzipped, nothing from a CDN: the build has no
 * external URL). First load to interactive: on the local stack with the short console
 * heatwave played, a fresh browser profile (cold cache) opens the console URL until the fleet
 * table shows its devices (the page's first data, its handlers attached); median of the rounds,
 * plus the browser's own domInteractive.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsole } from '../../console/scripts/build.ts';
import { launchChromium } from '../../console/tools/chromium.ts';
import { withConsoleStack } from '../src/console-stack.ts';

const ROUNDS = 5;
const TARGET_GZIP_BYTES = 300 * 1024;

const dist = await mkdtemp(join(tmpdir(), 'edgeflow-console-bench-'));
const built = await buildConsole(dist);
const external = (
  await Promise.all(
    built.files.map(
      async (f) => (await readFile(join(dist, f.name), 'utf8')).match(/https?:\/\/[^\s"'`)]+/g) ?? [],
    ),
  )
)
  .flat()
  // Namespace URIs in SVG/XHTML strings are identifiers, not downloads.
  .filter((u) => !u.startsWith('http://www.w3.org/'));
await rm(dist, { recursive: true, force: true });

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const rounds = await withConsoleStack(async ({ consoleUrl }) => {
  const out: { loadMs: number; domInteractiveMs: number; transferred: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      let transferred = 0;
      page.on('response', async (r) => {
        if (r.url().includes('/v1/')) return;
        transferred += Number(
          r.headers()['content-length'] ?? (await r.body().catch(() => Buffer.alloc(0))).length,
        );
      });
      const t0 = performance.now();
      await page.goto(consoleUrl);
      await page.locator('[data-testid=devices] tbody tr').first().waitFor({ timeout: 30_000 });
      const loadMs = performance.now() - t0;
      // Runs in the page, whose lib (DOM) this file does not compile against: the string form.
      const domInteractiveMs = (await page.evaluate(
        "performance.getEntriesByType('navigation')[0].domInteractive",
      )) as number;
      out.push({ loadMs, domInteractiveMs, transferred });
    } finally {
      await browser.close();
    }
  }
  return out;
});

const rows: [string, string][] = [
  ['files', built.files.map((f) => `${f.name} ${f.bytes} B (${f.gzipBytes} B gz)`).join(', ')],
  [
    'bytes shipped, gzipped',
    `${built.gzipBytes} B (${(built.gzipBytes / 1024).toFixed(1)} KiB; target < 300 KB) ${built.gzipBytes < TARGET_GZIP_BYTES ? 'ok' : 'OVER'}`,
  ],
  ['bytes shipped, raw', `${built.files.reduce((a, f) => a + f.bytes, 0)} B`],
  ['bytes as served (first load, non-API responses)', `${med(rounds.map((r) => r.transferred))} B`],
  ['external URLs in the build (CDN)', external.length ? external.join(' ') : 'none'],
  [
    'first load to interactive (fleet rows shown), median',
    `${med(rounds.map((r) => r.loadMs)).toFixed(0)} ms over ${ROUNDS} cold loads (${rounds.map((r) => r.loadMs.toFixed(0)).join(', ')})`,
  ],
  ['domInteractive, median', `${med(rounds.map((r) => r.domInteractiveMs)).toFixed(0)} ms`],
];
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(52)} ${v}\n`);
process.exitCode = built.gzipBytes < TARGET_GZIP_BYTES && external.length === 0 ? 0 : 1;
