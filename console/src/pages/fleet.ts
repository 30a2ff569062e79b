/**
 * Fleet: sites (rolled up from their devices) and gateways with their health, then every device with its last values, state and a
 * sparkline, filterable by site and state, kept live by the stream (latest values patch their
 * cells in place; an alert transition refetches the device list, whose states it changes).
 */
import { api, type DeviceSummary, type GatewayView, stream } from '../api.ts';
import { sparkline } from '../chart.ts';
import { ago, badge, bytesText, durationText, errorBox, formatValue, h, isoTime, replace } from '../dom.ts';
import type { Page } from '../router.ts';

const STATES = ['ok', 'alerting', 'stale', 'unregistered'] as const;
/** Sparklines cost one series request each: only the first rows get one. */
const MAX_SPARKLINES = 50;
const SPARK_CONCURRENCY = 4;
const SPARK_WINDOW_MS = 15 * 60_000;

export const fleetPage: Page = (root, _params, query) => {
  let devices: DeviceSummary[] = [];
  let gateways: GatewayView[] = [];
  let disposed = false;
  const site = query.get('site') ?? '';
  const state = query.get('state') ?? '';

  const status = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const sitesBox = h('section', { 'aria-labelledby': 'site-h' });
  const gatewaysBox = h('section', { 'aria-labelledby': 'gw-h' });
  const devicesBox = h('section', { 'aria-labelledby': 'dev-h' });
  const siteSelect = h('select', { id: 'f-site', name: 'site' });
  const stateSelect = h(
    'select',
    { id: 'f-state', name: 'state' },
    h('option', { value: '' }, 'any state'),
    STATES.map((s) => h('option', { value: s, selected: s === state }, s)),
  );
  const onFilter = () => {
    const p = new URLSearchParams();
    if (siteSelect.value) p.set('site', siteSelect.value);
    if (stateSelect.value) p.set('state', stateSelect.value);
    const text = p.toString();
    location.hash = `#/fleet${text ? `?${text}` : ''}`;
  };
  siteSelect.addEventListener('change', onFilter);
  stateSelect.addEventListener('change', onFilter);

  replace(
    root,
    h('h1', {}, 'Fleet'),
    status,
    sitesBox,
    gatewaysBox,
    h(
      'form',
      { class: 'filters', role: 'search', onsubmit: (e: Event) => e.preventDefault() },
      h('label', { for: 'f-site' }, 'Site'),
      siteSelect,
      h('label', { for: 'f-state' }, 'State'),
      stateSelect,
    ),
    devicesBox,
  );

  const cells = new Map<string, HTMLElement>();
  const sitesOf = (gatewayId: string) =>
    [...new Set(devices.filter((d) => d.gatewayId === gatewayId).map((d) => d.site ?? ''))]
      .filter(Boolean)
      .sort();

  const renderSites = () => {
    const bySite = new Map<string, DeviceSummary[]>();
    for (const d of devices) {
      const key = d.site ?? '(no site)';
      bySite.set(key, [...(bySite.get(key) ?? []), d]);
    }
    const count = (list: DeviceSummary[], st: string) => list.filter((d) => d.state === st).length;
    replace(
      sitesBox,
      h('h2', { id: 'site-h' }, `Sites (${bySite.size})`),
      h(
        'table',
        { class: 'grid', 'data-testid': 'sites' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Site', 'Gateways', 'Devices', ...STATES, 'Open alerts'].map((c) =>
              h('th', { scope: 'col' }, c),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          [...bySite.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, list]) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, h('a', { href: `#/fleet?site=${encodeURIComponent(name)}` }, name)),
                h('td', {}, [...new Set(list.map((d) => d.gatewayId))].sort().join(', ')),
                h('td', { class: 'num' }, list.length),
                STATES.map((st) =>
                  h('td', { class: count(list, st) && st !== 'ok' ? 'num warn' : 'num' }, count(list, st)),
                ),
                h(
                  'td',
                  { class: 'num' },
                  list.reduce((a, d) => a + d.openAlerts, 0),
                ),
              ),
            ),
        ),
      ),
    );
  };

  const renderGateways = () => {
    replace(
      gatewaysBox,
      h('h2', { id: 'gw-h' }, `Gateways (${gateways.length})`),
      gateways.length === 0
        ? h('p', { class: 'muted' }, 'No gateway has reported to the cloud yet.')
        : h(
            'table',
            { class: 'grid', 'data-testid': 'gateways' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                [
                  'Gateway',
                  'Sites',
                  'Last batch',
                  'Uplink lag',
                  'Outbox',
                  'Oldest unsent',
                  'Evicted',
                  'Clients',
                  'Rules',
                  'Uptime',
                  'RSS',
                  'Sequence gaps',
                ].map((c) => h('th', { scope: 'col' }, c)),
              ),
            ),
            h(
              'tbody',
              {},
              gateways.map((g) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row' }, g.gatewayId),
                  h('td', {}, sitesOf(g.gatewayId).join(', ') || '—'),
                  h('td', {}, ago(g.lastBatchAtMs, Date.now())),
                  h('td', { class: 'num' }, durationText(g.uplinkLagMs)),
                  h(
                    'td',
                    { class: 'num' },
                    g.health ? `${g.health.outboxRecords} (${bytesText(g.health.outboxBytes)})` : '—',
                  ),
                  h('td', { class: 'num' }, durationText(g.health?.oldestUnsentAgeMs)),
                  h(
                    'td',
                    { class: g.health?.evictedReadings ? 'num warn' : 'num' },
                    g.health?.evictedReadings ?? '—',
                  ),
                  h('td', { class: 'num' }, g.health?.clientsConnected ?? '—'),
                  h('td', {}, g.health?.rulesVersion ?? '—'),
                  h('td', { class: 'num' }, durationText(g.health ? g.health.uptimeS * 1000 : null)),
                  h('td', { class: 'num' }, bytesText(g.health?.rssBytes)),
                  h('td', { class: g.seqGapCount ? 'num warn' : 'num', title: gapsTitle(g) }, g.seqGapCount),
                ),
              ),
            ),
          ),
    );
  };

  const renderDevices = () => {
    const sites = [...new Set(devices.map((d) => d.site ?? ''))].filter(Boolean).sort();
    replace(
      siteSelect,
      h('option', { value: '' }, 'every site'),
      sites.map((s) => h('option', { value: s, selected: s === site }, s)),
    );
    const shown = devices.filter((d) => (!site || d.site === site) && (!state || d.state === state));
    const metrics = [...new Set(shown.flatMap((d) => Object.keys(d.metrics)))].sort();
    cells.clear();
    const sparks: { deviceId: string; metric: string; cell: HTMLElement }[] = [];
    const rows = shown.map((d) => {
      // Temperature when the device has it (what operators watch most), else its first metric.
      const firstMetric = 'temperature' in d.metrics ? 'temperature' : Object.keys(d.metrics).sort()[0];
      const sparkCell = h('td', { class: 'spark' });
      if (firstMetric && sparks.length < MAX_SPARKLINES)
        sparks.push({ deviceId: d.deviceId, metric: firstMetric, cell: sparkCell });
      return h(
        'tr',
        { 'data-device': d.deviceId, 'data-state': d.state },
        h(
          'th',
          { scope: 'row' },
          h('a', { href: `#/devices/${encodeURIComponent(d.deviceId)}` }, d.deviceId),
        ),
        h('td', {}, d.name ?? '—'),
        h('td', {}, d.site ?? '—'),
        h('td', {}, badge(d.state)),
        h('td', { class: 'num' }, d.openAlerts),
        metrics.map((m) => {
          const cell = h(
            'td',
            { class: 'num', 'data-metric': m },
            formatValue(d.metrics[m]?.v, d.metrics[m]?.unit ?? undefined),
          );
          cells.set(`${d.deviceId}\u0000${m}`, cell);
          return cell;
        }),
        h('td', { class: 'muted' }, ago(d.lastSeenMs, Date.now())),
        sparkCell,
      );
    });
    replace(
      devicesBox,
      h('h2', { id: 'dev-h' }, `Devices (${shown.length} of ${devices.length})`),
      h(
        'table',
        { class: 'grid', 'data-testid': 'devices' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Device', 'Name', 'Site', 'State', 'Open alerts', ...metrics, 'Updated', 'Trend (15 min)'].map(
              (c) => h('th', { scope: 'col' }, c),
            ),
          ),
        ),
        h('tbody', {}, rows),
      ),
    );
    void drawSparks(sparks);
  };

  const drawSparks = async (todo: { deviceId: string; metric: string; cell: HTMLElement }[]) => {
    const end = Date.now();
    const work = todo.slice();
    const worker = async () => {
      for (let job = work.shift(); job && !disposed; job = work.shift()) {
        try {
          const s = await api.series(job.deviceId, job.metric, {
            start: end - SPARK_WINDOW_MS,
            end,
            interval: '10s',
            agg: 'avg',
          });
          if (job.cell.isConnected && s.points.t.length > 1) {
            job.cell.setAttribute('aria-label', `${job.metric}, last 15 minutes`);
            sparkline(job.cell, s.points.t, s.points.v);
          }
        } catch {
          // A sparkline is decoration: the row stays readable without it.
        }
      }
    };
    await Promise.all(Array.from({ length: SPARK_CONCURRENCY }, worker));
  };

  const load = async () => {
    try {
      [devices, gateways] = await Promise.all([api.devices(), api.gateways()]);
      if (disposed) return;
      status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      renderSites();
      renderGateways();
      renderDevices();
    } catch (err) {
      if (!disposed) replace(status, errorBox(err));
    }
  };

  let reloadTimer: ReturnType<typeof setTimeout> | undefined;
  const reloadSoon = () => {
    reloadTimer ??= setTimeout(() => {
      reloadTimer = undefined;
      void load();
    }, 1000);
  };
  const unsubscribe = stream.subscribe({
    onLatest: (l) => {
      const cell = cells.get(`${l.deviceId}\u0000${l.metric}`);
      const device = devices.find((d) => d.deviceId === l.deviceId);
      const m = device?.metrics[l.metric];
      if (cell) cell.textContent = formatValue(l.v, m?.unit ?? undefined);
      if (device && m && l.tsMs >= m.tsMs) {
        device.metrics[l.metric] = { ...m, v: l.v, tsMs: l.tsMs, seq: l.seq };
      }
    },
    onAlert: reloadSoon,
  });
  void load();
  return () => {
    disposed = true;
    clearTimeout(reloadTimer);
    unsubscribe();
  };
};

function gapsTitle(g: GatewayView): string {
  return g.recentGaps
    .map((x) => `seq ${x.fromSeq}..${x.toSeq} missing (${isoTime(x.detectedAtMs)})`)
    .join('\n');
}
