/**
 * The console in a real browser (Debian's chromium) against the fake API: every page renders
 * what the API says, the stream updates it without a reload, and the buttons call the API.
 * Fast and deterministic (the page's clock is pinned); e2e/test/console-web runs the same
 * pages against the real api function on the local stack.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Series } from '../../cloud/src/api/contract.ts';
import { buildConsole } from '../scripts/build.ts';
import { type Browser, launchChromium } from '../tools/chromium.ts';
import { artifactPath } from './support/artifacts.ts';
import { lineColourAt } from './support/canvas.ts';
import { FAKE_NOW_MS, type FakeApi, fakeAlert, startFakeApi } from './support/fake-api.ts';

const WAIT_MS = 10_000;
let dist: string;
let fake: FakeApi;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'edgeflow-console-'));
  await buildConsole(dist);
  fake = await startFakeApi(dist);
  browser = await launchChromium();
  page = await browser.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.clock.setFixedTime(FAKE_NOW_MS);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await fake?.close();
  if (dist) await rm(dist, { recursive: true, force: true });
});

describe('console against the fake API', () => {
  it('fleet page lists sites, the gateway with its health and every device with its last values', async () => {
    await page.goto(`${fake.url}/#/fleet`);
    const rows = page.locator('[data-testid=devices] tbody tr');
    await expect.poll(() => rows.count(), { timeout: WAIT_MS }).toBe(3);
    expect(await rows.first().getAttribute('data-device')).toBe('sim-0001');
    expect(await rows.first().locator('td[data-metric=temperature]').textContent()).toBe('22 °C');
    expect(await page.locator('[data-testid=sites] tbody tr').count()).toBe(2);
    const gw = page.locator('[data-testid=gateways] tbody tr').first();
    expect(await gw.locator('th').textContent()).toBe('demo-gw1');
    expect(await gw.textContent()).toContain('12 (4.0 KiB)');
    await expect
      .poll(() => page.locator('[data-testid=live]').textContent(), { timeout: WAIT_MS })
      .toBe('live');
    await page.screenshot({ path: artifactPath('console-fake', 'fleet.png'), fullPage: true });
  });

  it('filters the fleet by state, and a latest value on the stream patches its cell in place', async () => {
    await page.goto(`${fake.url}/#/fleet?state=stale`);
    const rows = page.locator('[data-testid=devices] tbody tr');
    await expect.poll(() => rows.count(), { timeout: WAIT_MS }).toBe(1);
    expect(await rows.first().getAttribute('data-device')).toBe('sim-0003');
    await expect.poll(() => fake.streams(), { timeout: WAIT_MS }).toBeGreaterThan(0);
    fake.push('latest', {
      gatewayId: 'demo-gw1',
      deviceId: 'sim-0003',
      metric: 'temperature',
      v: 19.5,
      tsMs: FAKE_NOW_MS,
      seq: 999,
    });
    await expect
      .poll(() => rows.first().locator('td[data-metric=temperature]').textContent(), { timeout: WAIT_MS })
      .toBe('19.50 °C');
  });

  it('device page: a chart per metric with the points the API sent, the episode shaded and the thresholds drawn', async () => {
    const seriesResponse = page.waitForResponse((r) => r.url().includes('/series/temperature'));
    await page.goto(`${fake.url}/#/devices/sim-0001?range=1h`);
    const api = (await (await seriesResponse).json()) as Series;
    const chart = page.locator('figure.chart[data-metric=temperature]');
    await expect
      .poll(() => chart.getAttribute('data-points'), { timeout: WAIT_MS })
      .toBe(String(api.points.t.length));
    expect(api.points.t.length).toBeGreaterThan(300);
    expect(await chart.getAttribute('data-episodes')).toBe('1');
    expect(await chart.getAttribute('data-thresholds')).toBe('2');
    expect(await chart.locator('canvas').count()).toBe(1);
    // The draw hook's record of the lines it stroked, checked on the canvas itself.
    const drawn = JSON.parse(
      (await chart.locator('.uplot').getAttribute('data-thresholds-drawn')) ?? '[]',
    ) as { ruleId: string; threshold: number; y: number }[];
    expect(drawn.map((d) => [d.ruleId, d.threshold])).toEqual([
      ['temperature-high', 30],
      ['temperature-critical', 40],
    ]);
    expect(drawn[1]!.y).toBeLessThan(drawn[0]!.y);
    expect(await lineColourAt(page, 'temperature', drawn[0]!.y)).toBe(true);
    expect(await lineColourAt(page, 'temperature', 2)).toBe(false);
    expect(await page.locator('figure.chart').count()).toBe(2);
    await page.screenshot({ path: artifactPath('console-fake', 'device.png'), fullPage: true });
  });

  it('device page: each range asks for a series the API can serve', async () => {
    for (const [range, interval] of [
      ['15m', null],
      ['24h', '5m'],
      ['7d', '30m'],
    ] as const) {
      const res = page.waitForResponse((r) => r.url().includes('/series/temperature'));
      await page.goto(`${fake.url}/#/devices/sim-0001?range=${range}`);
      const url = new URL((await res).url());
      expect(url.searchParams.get('interval')).toBe(interval);
      expect(Number(url.searchParams.get('end')) - Number(url.searchParams.get('start'))).toBe(
        { '15m': 900_000, '24h': 86_400_000, '7d': 604_800_000 }[range],
      );
    }
  });

  it('device page: a read the busy API refuses (503) is tried again, and the chart still appears', async () => {
    fake.failNext('/series/temperature', 2);
    const seriesResponse = page.waitForResponse(
      (r) => r.url().includes('/series/temperature') && r.status() === 200,
    );
    await page.goto(`${fake.url}/#/devices/sim-0001?range=1h`);
    const api = (await seriesResponse).json() as Promise<Series>;
    const chart = page.locator('figure.chart[data-metric=temperature]');
    await expect
      .poll(() => chart.getAttribute('data-points'), { timeout: WAIT_MS })
      .toBe(String((await api).points.t.length));
    expect(fake.failed()).toBe(2);
  });

  it('alerts page: a raised alert appears live, and Acknowledge changes it in the API and on the page', async () => {
    await page.goto(`${fake.url}/#/alerts?state=open`);
    await expect.poll(() => page.locator('[data-testid=alerts]').count(), { timeout: WAIT_MS }).toBe(1);
    await expect.poll(() => fake.streams(), { timeout: WAIT_MS }).toBeGreaterThan(0);
    fake.raise(fakeAlert('a-live-0002', 'sim-0002', FAKE_NOW_MS - 5000, null));
    const row = page.locator('tr[data-alert=a-live-0002]');
    await expect.poll(() => row.getAttribute('data-state'), { timeout: WAIT_MS }).toBe('open');
    await row.getByRole('button', { name: 'Acknowledge a-live-0002' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: WAIT_MS }).toBe('acknowledged');
    expect(fake.alerts.get('a-live-0002')?.alert.state).toBe('acknowledged');
    await page.screenshot({ path: artifactPath('console-fake', 'alerts.png'), fullPage: true });
  });

  it('alert page: its history and delivery attempts, and Resolve appends to the history', async () => {
    await page.goto(`${fake.url}/#/alerts/a-heatwave-0001`);
    const history = page.locator('[data-testid=history] li');
    await expect.poll(() => history.count(), { timeout: WAIT_MS }).toBe(2);
    expect(await page.locator('[data-testid=attempts] tbody tr').count()).toBe(1);
    await page.getByRole('button', { name: 'Resolve a-heatwave-0001' }).click();
    await expect
      .poll(() => page.locator('[data-testid=alert-facts]').getAttribute('data-state'))
      .toBe('resolved');
    expect(await history.count()).toBe(3);
    await page.screenshot({ path: artifactPath('console-fake', 'alert.png'), fullPage: true });
  });

  it('dead letters page: reason, source, attempts, payload preview and a replay button', async () => {
    const before = fake.requests.length;
    await page.goto(`${fake.url}/#/dead-letters`);
    const row = page.locator('tr[data-dead-letter=dl-0001]');
    await expect
      .poll(() => row.locator('pre.payload').textContent(), { timeout: WAIT_MS })
      .toBe('hello, not cbor!!');
    expect(await row.textContent()).toContain('EDGEFLOW_CODEC_BAD_MAGIC');
    // The preview comes with the list: no request per row.
    expect(fake.requests.slice(before).filter((r) => r.startsWith('GET /v1/dead-letters/'))).toEqual([]);
    await row.getByRole('button', { name: 'Replay dl-0001' }).click();
    await expect.poll(() => fake.replays, { timeout: WAIT_MS }).toEqual(['dl-0001']);
    await page.screenshot({ path: artifactPath('console-fake', 'dead-letters.png'), fullPage: true });
  });

  it('every response the fake sent matched openapi.json, and the page threw nothing', () => {
    expect(fake.problems).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
