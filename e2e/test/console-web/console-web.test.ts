/**
 * The acceptance path in a real browser on the real local stack: `npm start` (as a user runs
 * it, keeping the pipeline up after the scenario) with a short heatwave, Debian's chromium on
 * the console URL it prints, the api function behind it. The fleet page lists the devices, an
 * alert raised by the scenario appears on the open alerts page without a reload, Acknowledge
 * changes the record in Firestore, on the page, in the terminal view and in the alerts CLI, the device page's
 * chart has the points the API serves and the threshold of the rule in force drawn, and Ctrl-C
 * then stops everything cleanly.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Firestore } from '@google-cloud/firestore';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceDetail, Series } from '../../../cloud/src/api/contract.ts';
import { lineColourAt } from '../../../console/test/support/canvas.ts';
import { type Browser, launchChromium } from '../../../console/tools/chromium.ts';
import { type Child, runNode, spawnNode } from '../../src/child.ts';

const E2E = fileURLToPath(new URL('../..', import.meta.url));
const START = join(E2E, 'src', 'start.ts');
const SCENARIO = join(E2E, 'scenarios', 'console-heatwave.yaml');
const ALERTS_CLI = join(E2E, '..', 'cloud', 'src', 'cli', 'alerts.ts');
const ARTIFACTS = join(E2E, '..', 'test-artifacts', 'console-web');
const READY_MS = 180_000;
const WAIT_MS = 60_000;
/** From the console being ready to the scenario's first alert: gateway start, fleet start, ~12 s of heatwave. */
const ALERT_MS = 150_000;
/** The rest of the 60 s scenario, the drain and the verdict. */
const OVER_MS = 150_000;

let app: Child;
const output: string[] = [];
let consoleUrl: string;
let firestoreHost: string;
let projectId: string;
let db: Firestore;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** API answers other than 2xx, for the failure message of a test that waited for one in vain. */
const apiFailures: string[] = [];

beforeAll(async () => {
  app = spawnNode(START, ['--scenario', SCENARIO, '--linger', '1s', '--seed', '7'], {
    onLine: (line) => output.push(line),
  });
  const ready = await app.waitForLine(
    /^console: (http:\/\/127\.0\.0\.1:\d+\/) {2}\(Firestore emulator (\S+), project (\S+)\)/,
    READY_MS,
  );
  consoleUrl = ready[1]!;
  firestoreHost = ready[2]!;
  projectId = ready[3]!;
  // The SDK's documented switch to emulator mode (no credentials) is this variable.
  process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  db = new Firestore({ projectId, ignoreUndefinedProperties: true });
  browser = await launchChromium();
  page = await browser.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('response', (r) => {
    if (r.url().includes('/v1/') && r.status() >= 300 && apiFailures.length < 50)
      apiFailures.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    if (apiFailures.length < 50) apiFailures.push(`failed ${r.failure()?.errorText} ${r.url()}`);
  });
}, READY_MS + 30_000);

afterAll(async () => {
  await browser?.close();
  await db?.terminate();
  if (app) {
    app.process.kill('SIGINT');
    await Promise.race([app.exited, new Promise((r) => setTimeout(r, 60_000))]);
    await app.stop(5000);
  }
}, 90_000);

const KEEP_RUNNING = 'keep running; Ctrl-C stops everything';
/** The scenario played out, judged, and the pipeline held up for the console. */
async function scenarioOver(): Promise<void> {
  if (output.some((l) => l.includes(KEEP_RUNNING))) return;
  await app.waitForLine(new RegExp(KEEP_RUNNING), OVER_MS);
}

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });

describe('console on the local stack (npm start)', () => {
  let alertId: string;
  it(
    'an alert raised by the scenario appears on the open alerts page without a reload',
    async () => {
      // Opened as soon as the console is up, which is before the gateway and the fleet start and
      // ~12 s of heatwave more before the first raise: the list loads empty, and the alert can
      // only arrive on the stream.
      await page.goto(`${consoleUrl}#/alerts?state=open`);
      await expect
        .poll(() => page.locator('[data-testid=alerts-status]').textContent(), { timeout: WAIT_MS })
        .toBe('0 alert(s)');
      // A mark on the document: still there at the end means the page never reloaded.
      await page.evaluate('window.loadedOnce = true');
      const row = page.locator('[data-testid=alerts] tbody tr[data-state=open]').first();
      await row.waitFor({ timeout: ALERT_MS });
      alertId = (await row.getAttribute('data-alert')) as string;
      expect(alertId).toBeTruthy();
      expect(await page.evaluate('window.loadedOnce')).toBe(true);
      await shot('alerts.png');
    },
    ALERT_MS + 10_000,
  );

  it(
    'Acknowledge changes the record in Firestore, on the page, in the terminal view and in the alerts CLI',
    async () => {
      const row = page.locator(`tr[data-alert="${alertId}"]`);
      await row.getByRole('button', { name: `Acknowledge ${alertId}` }).click();
      await expect.poll(() => row.getAttribute('data-state'), { timeout: WAIT_MS }).toBe('acknowledged');
      const record = (await db.collection('alerts').doc(alertId).get()).data();
      expect(record?.state).toBe('acknowledged');
      // The alerts CLI reads the same record.
      const listed = await runNode(ALERTS_CLI, ['list', '--json'], {
        ...process.env,
        FIRESTORE_EMULATOR_HOST: firestoreHost,
        EDGEFLOW_PROJECT_ID: projectId,
      });
      const mine = listed
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { alertId: string; state: string })
        .find((r) => r.alertId === alertId);
      expect(mine?.state).toBe('acknowledged');
      await expect
        .poll(() => output.some((l) => l.includes('ACKED') && l.includes(record?.deviceId)), {
          timeout: WAIT_MS,
          interval: 500,
        })
        .toBe(true);
      await page.goto(`${consoleUrl}#/alerts/${encodeURIComponent(alertId)}`);
      await expect
        .poll(() => page.locator('[data-testid=history] li').allTextContents(), { timeout: WAIT_MS })
        .toContainEqual(expect.stringContaining('ack'));
      await shot('alert.png');
    },
    WAIT_MS + 30_000,
  );

  it(
    'fleet page lists every device of the scenario',
    async () => {
      await page.goto(`${consoleUrl}#/fleet`);
      const rows = page.locator('[data-testid=devices] tbody tr');
      await expect.poll(() => rows.count(), { timeout: WAIT_MS, interval: 500 }).toBe(6);
      expect(await page.locator('[data-testid=sites] tbody').textContent()).toContain('demo-site');
      await shot('fleet.png');
    },
    WAIT_MS + 10_000,
  );

  it(
    'dead letters page renders',
    async () => {
      await page.goto(`${consoleUrl}#/dead-letters`);
      await page.locator('main h1').waitFor();
      await expect
        .poll(() => page.locator('main').textContent(), { timeout: WAIT_MS })
        .not.toContain('Loading');
      await shot('dead-letters.png');
      expect(pageErrors).toEqual([]);
    },
    WAIT_MS + 10_000,
  );

  it(
    "device page: the alerting device's chart has the points the API serves, with its episode, after the scenario",
    async () => {
      // After the scenario: the whole episode, raise to clear, is on the chart.
      await scenarioOver();
      const deviceId = (await db.collection('alerts').doc(alertId).get()).data()?.deviceId as string;
      const response = page.waitForResponse(
        (r) => r.url().includes('/series/temperature') && r.status() === 200,
      );
      await page.goto(`${consoleUrl}#/devices/${encodeURIComponent(deviceId)}?range=15m`);
      const res = await response.catch((err: Error) => {
        throw new Error(`${err.message}; API failures so far: ${JSON.stringify(apiFailures)}`);
      });
      const served = (await res.json()) as Series;
      const chart = page.locator('figure.chart[data-metric=temperature]');
      await expect
        .poll(() => chart.getAttribute('data-points'), { timeout: WAIT_MS })
        .toBe(String(served.points.t.length));
      expect(served.points.t.length).toBeGreaterThan(0);
      expect(Number(await chart.getAttribute('data-readings'))).toBe(served.readings);
      expect(Number(await chart.getAttribute('data-episodes'))).toBeGreaterThanOrEqual(1);
      // The same request again from outside the browser: the chart showed what the API holds.
      const again = (await (await fetch(res.url())).json()) as Series;
      expect(again.points.t).toEqual(served.points.t);
      expect(again.points.v).toEqual(served.points.v);
      // The threshold of the rule ingest evaluates (the scenario's temperature-high at 32, not
      // the shared default's 30) comes from GET /v1/devices/{id} and is drawn on the chart.
      const detail = (await (
        await fetch(`${consoleUrl}v1/devices/${encodeURIComponent(deviceId)}`)
      ).json()) as DeviceDetail;
      expect(detail.device.deviceId).toBe(deviceId);
      expect(detail.rules.temperature?.find((r) => r.id === 'temperature-high')).toMatchObject({
        kind: 'threshold',
        threshold: 32,
      });
      const drawn = async () =>
        JSON.parse((await chart.locator('.uplot').getAttribute('data-thresholds-drawn')) ?? '[]') as {
          ruleId: string;
          threshold: number;
          y: number;
        }[];
      await expect
        .poll(async () => (await drawn()).map((d) => [d.ruleId, d.threshold]), { timeout: WAIT_MS })
        .toContainEqual(['temperature-high', 32]);
      const line = (await drawn()).find((d) => d.ruleId === 'temperature-high');
      expect(await lineColourAt(page, 'temperature', line?.y ?? -10)).toBe(true);
      await shot('device.png');
    },
    OVER_MS + WAIT_MS,
  );

  it(
    'npm start kept running after the scenario, and Ctrl-C stops everything cleanly',
    async () => {
      await scenarioOver();
      expect(output.join('\n')).toContain('verdict: every expectation held');
      app.process.kill('SIGINT');
      const code = await Promise.race([
        app.exited,
        new Promise((r) => setTimeout(() => r('timeout'), 60_000)),
      ]);
      expect(code).toBe(0);
      expect(output).toContain('stopped');
    },
    OVER_MS + 70_000,
  );
});
