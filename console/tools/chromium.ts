/**
 * Debian's chromium driven by playwright-core: no browser download, a fresh profile per
 * launch, and nothing that reaches past this machine (no sync, updates, QUIC or first-run
 * probes). Shared by the browser tests, the screenshot script and the console benchmark.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.EDGEFLOW_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw Object.assign(
      new Error(
        `no chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install -y --no-install-recommends chromium) or set EDGEFLOW_CHROMIUM`,
      ),
      { code: 'EDGEFLOW_CONSOLE_NO_CHROMIUM' },
    );
  }
  const profile = await mkdtemp(join(tmpdir(), 'edgeflow-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      viewport: options.viewport ?? { width: 1280, height: 900 },
      timeout: 30_000,
    });
    return {
      context,
      newPage: () => context.newPage(),
      async close() {
        await context.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}
