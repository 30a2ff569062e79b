#!/usr/bin/env node
/**
 * `npm run docs:screenshot`: regenerates docs/console-device.png, the README's picture of the
 * device page, from the real thing: the local pipeline plays the short console heatwave, then
 * Debian's chromium opens the alerting device's page over the run and takes the shot.
 */
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../console/tools/chromium.ts';
import { withConsoleStack } from '../src/console-stack.ts';

const OUT = fileURLToPath(new URL('../../docs/console-device.png', import.meta.url));
const WAIT_MS = 30_000;

await withConsoleStack(
  async ({ consoleUrl, fleetStartedAtMs }) => {
    const res = await fetch(`${consoleUrl}v1/alerts?limit=1`, { signal: AbortSignal.timeout(WAIT_MS) });
    const alert = ((await res.json()) as { items: { deviceId: string }[] }).items[0];
    if (!alert) throw new Error('the scenario raised no alert to show');
    const browser = await launchChromium({ viewport: { width: 1200, height: 760 } });
    try {
      const page = await browser.newPage();
      const start = fleetStartedAtMs - 10_000;
      const end = Date.now() + 5_000;
      await page.goto(
        `${consoleUrl}#/devices/${encodeURIComponent(alert.deviceId)}?range=custom&start=${start}&end=${end}`,
      );
      const chart = page.locator('figure.chart[data-metric=temperature]');
      await chart.locator('canvas').waitFor({ timeout: WAIT_MS });
      await page.screenshot({ path: OUT });
      process.stdout.write(`wrote ${OUT} (device ${alert.deviceId})\n`);
    } finally {
      await browser.close();
    }
  },
  (phase) => process.stderr.write(`${phase}\n`),
);
