/**
 * Device: one chart per metric over a chosen range, with the device's alert episodes as
 * shaded bands and the thresholds of the rules in force as lines. Each chart says what it
 * shows (points, interval, aggregation, raw readings summarised) so nobody mistakes an
 * average for a reading.
 */
import { type AlertSummary, api, type DeviceDetail, type RuleSpec, type Series, stream } from '../api.ts';
import { type Episode, metricChart } from '../chart.ts';
import { badge, durationText, errorBox, formatValue, h, isoTime, replace } from '../dom.ts';
import type { Page } from '../router.ts';
import { thresholdLines } from '../thresholds.ts';

interface RangeChoice {
  readonly key: string;
  readonly label: string;
  readonly ms: number;
  /** Absent: raw readings (a short range). */
  readonly interval?: string;
}

const RANGES: readonly RangeChoice[] = [
  { key: '15m', label: '15 min', ms: 15 * 60_000 },
  { key: '1h', label: '1 h', ms: 3_600_000, interval: '10s' },
  { key: '24h', label: '24 h', ms: 86_400_000, interval: '5m' },
  { key: '7d', label: '7 d', ms: 7 * 86_400_000, interval: '30m' },
];
/** Aim for about this many points per chart: the width of a chart in pixels, roughly. */
const TARGET_POINTS = 600;
const NICE_INTERVALS_S = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 86_400];
const MAX_EPISODES = 200;
/** The API serves raw readings for ranges up to an hour (EDGEFLOW_API_RAW_MAX_RANGE_MS default). */
const RAW_MAX_RANGE_MS = 3_600_000;
const LIVE_REFRESH_MS = 5000;

export const devicePage: Page = (root, params, query) => {
  const deviceId = params[0] ?? '';
  const rangeKey = query.get('range') ?? '1h';
  let disposed = false;
  const chartsBox = h('div', { class: 'charts' });
  const header = h('div', {});
  const status = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading…');

  const setQuery = (p: Record<string, string>) => {
    location.hash = `#/devices/${encodeURIComponent(deviceId)}?${new URLSearchParams(p)}`;
  };
  const startInput = h('input', {
    type: 'datetime-local',
    id: 'r-start',
    value: localInput(query.get('start')),
  });
  const endInput = h('input', { type: 'datetime-local', id: 'r-end', value: localInput(query.get('end')) });
  const rangeBar = h(
    'div',
    { class: 'ranges', role: 'group', 'aria-label': 'Time range' },
    RANGES.map((r) =>
      h(
        'button',
        {
          type: 'button',
          'aria-pressed': String(r.key === rangeKey),
          onclick: () => setQuery({ range: r.key }),
        },
        r.label,
      ),
    ),
    h(
      'form',
      {
        class: 'custom',
        onsubmit: (e: Event) => {
          e.preventDefault();
          if (startInput.value && endInput.value)
            setQuery({ range: 'custom', start: startInput.value, end: endInput.value });
        },
      },
      h('label', { for: 'r-start' }, 'From'),
      startInput,
      h('label', { for: 'r-end' }, 'to'),
      endInput,
      h('button', { type: 'submit', 'aria-pressed': String(rangeKey === 'custom') }, 'Custom range'),
    ),
  );
  replace(root, h('p', {}, h('a', { href: '#/fleet' }, '← Fleet')), header, rangeBar, status, chartsBox);

  const range = (): { start: number; end: number; interval?: string } => {
    if (rangeKey === 'custom') {
      const start = parseTime(query.get('start'));
      const end = parseTime(query.get('end'));
      if (Number.isFinite(start) && Number.isFinite(end) && end > start)
        return end - start <= RAW_MAX_RANGE_MS
          ? { start, end }
          : { start, end, interval: intervalFor(end - start) };
    }
    const choice = RANGES.find((r) => r.key === rangeKey) ?? RANGES[1]!;
    const end = Date.now();
    return { start: end - choice.ms, end, ...(choice.interval ? { interval: choice.interval } : {}) };
  };

  const load = async () => {
    try {
      const r = range();
      const [d, alerts] = await Promise.all([
        api.device(deviceId),
        api.alerts({ device: deviceId, limit: MAX_EPISODES }),
      ]);
      // Metrics with alerts first (what the operator came for), then by name.
      const alerted = new Set(alerts.items.map((a) => a.metric));
      const metrics = [...new Set([...Object.keys(d.device.metrics), ...Object.keys(d.rules)])].sort(
        (a, b) => Number(alerted.has(b)) - Number(alerted.has(a)) || a.localeCompare(b),
      );
      const series = await Promise.all(
        metrics.map((m) =>
          api
            .series(deviceId, m, { ...r, ...(r.interval ? { agg: 'avg' as const } : {}) })
            .catch((err: unknown) => err),
        ),
      );
      if (disposed) return;
      renderHeader(d);
      status.textContent = `${isoTime(r.start)} – ${isoTime(r.end)}`;
      const width = Math.max(320, Math.min(1100, chartsBox.clientWidth || 900));
      replace(
        chartsBox,
        metrics.map((m, i) => {
          const s = series[i];
          const box = h('figure', { class: 'chart', 'data-metric': m });
          if (!s || s instanceof Error || !('points' in (s as Series))) {
            box.append(h('figcaption', {}, m), errorBox(s));
            return box;
          }
          renderChart(box, m, s as Series, r, alerts.items, d.rules[m] ?? [], width);
          return box;
        }),
      );
    } catch (err) {
      if (!disposed) replace(status, errorBox(err));
    }
  };

  const renderHeader = ({ device: d }: DeviceDetail) => {
    replace(
      header,
      h('h1', {}, d.name ? `${d.name} ` : '', h('span', { class: 'muted' }, d.deviceId)),
      h(
        'p',
        {},
        'Site ',
        h('strong', {}, d.site ?? '—'),
        ' · ',
        badge(d.state),
        ' · ',
        h(
          'a',
          { href: `#/alerts?device=${encodeURIComponent(d.deviceId)}` },
          `${d.openAlerts} open alert(s)`,
        ),
      ),
    );
  };

  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  const unsubscribe = stream.subscribe({
    onLatest: (l) => {
      if (l.deviceId !== deviceId || rangeKey === 'custom') return;
      refreshTimer ??= setTimeout(() => {
        refreshTimer = undefined;
        void load();
      }, LIVE_REFRESH_MS);
    },
    onAlert: (a) => {
      if (a.deviceId === deviceId) void load();
    },
  });
  void load();
  return () => {
    disposed = true;
    clearTimeout(refreshTimer);
    unsubscribe();
  };
};

function renderChart(
  box: HTMLElement,
  metric: string,
  s: Series,
  r: { start: number; end: number },
  alerts: readonly AlertSummary[],
  rules: readonly RuleSpec[],
  width: number,
): void {
  const episodes: Episode[] = alerts
    .filter((a) => a.metric === metric && a.raisedAtMs !== null)
    .map((a) => ({ startMs: a.raisedAtMs as number, endMs: a.clearedAtMs, severity: a.severity }));
  const thresholds = thresholdLines(rules);
  const n = s.points.t.length;
  const readings = s.points.n.reduce((a, b) => a + b, 0);
  const last = s.points.v.findLast((v) => v !== null);
  box.dataset.points = String(n);
  box.dataset.readings = String(readings);
  box.dataset.episodes = String(episodes.length);
  box.dataset.thresholds = String(thresholds.length);
  const plot = h('div', { role: 'img', 'aria-label': `${metric} chart, ${n} points` });
  box.append(
    plot,
    h(
      'figcaption',
      {},
      h('strong', {}, metric),
      ` · last ${formatValue(last, s.unit ?? undefined)} · ${n} points · `,
      s.resolution === 'raw' ? 'raw readings' : `${s.agg} per ${durationText(s.intervalMs)}`,
      ` · ${readings} readings`,
      s.duplicates ? ` (${s.duplicates} duplicates dropped)` : '',
      episodes.length ? ` · ${episodes.length} alert episode(s) shaded` : '',
      thresholds.length
        ? ` · thresholds ${thresholds.map((t) => `${t.ruleId} ${t.threshold}`).join(', ')}`
        : '',
    ),
  );
  metricChart(plot, { title: metric, series: s, rangeMs: r, episodes, thresholds, width });
}

/** A custom range bound: epoch ms (links, scripts) or the datetime-local input's local time. */
function parseTime(text: string | null): number {
  if (!text) return Number.NaN;
  return /^\d+$/.test(text) ? Number(text) : Date.parse(text);
}

function localInput(text: string | null): string {
  const ms = parseTime(text);
  if (!Number.isFinite(ms)) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function intervalFor(rangeMs: number): string {
  const want = rangeMs / 1000 / TARGET_POINTS;
  const s = NICE_INTERVALS_S.find((x) => x >= want) ?? NICE_INTERVALS_S[NICE_INTERVALS_S.length - 1]!;
  return s % 86_400 === 0
    ? `${s / 86_400}d`
    : s % 3600 === 0
      ? `${s / 3600}h`
      : s % 60 === 0
        ? `${s / 60}m`
        : `${s}s`;
}
