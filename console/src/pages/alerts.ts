/**
 * Alerts: the list by state (newest first, as the API sorts it), with Acknowledge and Resolve
 * on each row, live from the stream; and one alert's page with its event history and every
 * delivery attempt.
 */
import { type AlertState, type AlertSummary, ApiError, api, stream } from '../api.ts';
import { badge, errorBox, formatValue, h, isoTime, replace } from '../dom.ts';
import type { Page } from '../router.ts';

const TABS: readonly (AlertState | 'all')[] = ['open', 'acknowledged', 'resolved', 'all'];
const LIMIT = 200;

function actions(a: AlertSummary, after: (updated: AlertSummary) => void, note?: () => string): HTMLElement {
  const out = h('span', { class: 'msg', role: 'status' });
  const act = (what: 'ack' | 'resolve') => async (e: Event) => {
    const button = e.currentTarget as HTMLButtonElement;
    button.disabled = true;
    out.textContent = '';
    try {
      after((await (what === 'ack' ? api.ack : api.resolve)(a.alertId, note?.())).alert);
    } catch (err) {
      out.className = 'msg failed';
      out.textContent = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
      button.disabled = false;
    }
  };
  return h(
    'span',
    { class: 'actions' },
    a.state === 'open'
      ? h(
          'button',
          { type: 'button', onclick: act('ack'), 'aria-label': `Acknowledge ${a.alertId}` },
          'Acknowledge',
        )
      : null,
    a.state !== 'resolved'
      ? h(
          'button',
          { type: 'button', onclick: act('resolve'), 'aria-label': `Resolve ${a.alertId}` },
          'Resolve',
        )
      : null,
    out,
  );
}

export const alertsPage: Page = (root, _params, query) => {
  const tab = (query.get('state') ?? 'open') as AlertState | 'all';
  const device = query.get('device') ?? undefined;
  let alerts: AlertSummary[] = [];
  let disposed = false;
  const status = h(
    'p',
    { class: 'muted', 'aria-live': 'polite', 'data-testid': 'alerts-status' },
    'Loading…',
  );
  const tableBox = h('div', { class: 'scroll' });
  const href = (t: string) => `#/alerts?${new URLSearchParams({ state: t, ...(device ? { device } : {}) })}`;
  replace(
    root,
    h('h1', {}, 'Alerts', device ? h('span', { class: 'muted' }, ` for ${device}`) : ''),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Alert state' },
      TABS.map((t) => h('a', { href: href(t), 'aria-current': t === tab ? 'page' : undefined }, t)),
    ),
    status,
    tableBox,
  );

  const render = () => {
    // Rows keep their place when they change state here (an ack on the open tab stays in view,
    // marked acknowledged); the tab's filter applies to what loads and what newly arrives.
    const shown = alerts;
    status.textContent = `${shown.length} alert(s)`;
    replace(
      tableBox,
      h(
        'table',
        { class: 'grid', 'data-testid': 'alerts' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'Alert',
              'State',
              'Severity',
              'Device',
              'Metric',
              'Value',
              'Message',
              'Raised',
              'Cleared',
              'Source',
              'Actions',
            ].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          shown.map((a) =>
            h(
              'tr',
              { 'data-alert': a.alertId, 'data-state': a.state },
              h(
                'th',
                { scope: 'row' },
                h('a', { href: `#/alerts/${encodeURIComponent(a.alertId)}` }, shortId(a.alertId)),
              ),
              h('td', {}, badge(a.state)),
              h('td', {}, badge(a.severity)),
              h('td', {}, h('a', { href: `#/devices/${encodeURIComponent(a.deviceId)}` }, a.deviceId)),
              h('td', {}, a.metric),
              h('td', { class: 'num' }, formatValue(a.value)),
              h('td', { class: 'wrap' }, a.message),
              h('td', {}, isoTime(a.raisedAtMs)),
              h('td', {}, isoTime(a.clearedAtMs)),
              h('td', {}, a.source),
              h('td', {}, actions(a, upsert)),
            ),
          ),
        ),
      ),
    );
  };
  const upsert = (a: AlertSummary) => {
    if (device && a.deviceId !== device) return;
    const i = alerts.findIndex((x) => x.alertId === a.alertId);
    if (i >= 0) alerts[i] = a;
    else if (tab === 'all' || a.state === tab) alerts.unshift(a);
    else return;
    render();
  };
  const unsubscribe = stream.subscribe({ onAlert: upsert });
  void (async () => {
    try {
      const page = await api.alerts({ ...(tab === 'all' ? {} : { state: tab }), device, limit: LIMIT });
      if (disposed) return;
      // Transitions streamed while the list loaded are newer than it: keep them.
      const streamed = new Map(alerts.map((a) => [a.alertId, a]));
      alerts = [...streamed.values(), ...page.items.filter((a) => !streamed.has(a.alertId))];
      render();
    } catch (err) {
      if (!disposed) replace(status, errorBox(err));
    }
  })();
  return () => {
    disposed = true;
    unsubscribe();
  };
};

export const alertPage: Page = (root, params) => {
  const alertId = params[0] ?? '';
  let disposed = false;
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(
    root,
    h('p', {}, h('a', { href: '#/alerts' }, '← Alerts')),
    h('h1', {}, 'Alert ', h('code', {}, alertId)),
    body,
  );
  const noteInput = h('input', { type: 'text', id: 'a-note', maxlength: 500, placeholder: 'optional' });

  const load = async () => {
    try {
      const { alert: a, events } = await api.alert(alertId);
      if (disposed) return;
      const history = events.filter((e) => e.type !== 'delivery');
      const attempts = events.flatMap((e) => (e.delivery ? [{ atMs: e.atMs, ...e.delivery }] : []));
      replace(
        body,
        h(
          'dl',
          { class: 'facts', 'data-testid': 'alert-facts', 'data-state': a.state },
          fact('State', badge(a.state)),
          fact('Severity', badge(a.severity)),
          fact('Device', h('a', { href: `#/devices/${encodeURIComponent(a.deviceId)}` }, a.deviceId)),
          fact('Metric', a.metric),
          fact('Rule', a.ruleId),
          fact('Value', formatValue(a.value)),
          fact('Message', a.message),
          fact('Raised', isoTime(a.raisedAtMs)),
          fact('Cleared', isoTime(a.clearedAtMs)),
          fact('Acknowledged', a.ackedAtMs === null ? '—' : `${isoTime(a.ackedAtMs)} by ${a.ackedBy ?? '?'}`),
          fact(
            'Resolved',
            a.resolvedAtMs === null ? '—' : `${isoTime(a.resolvedAtMs)} by ${a.resolvedBy ?? '?'}`,
          ),
          fact('Reported by', a.sources.join(', ')),
        ),
        a.state === 'resolved'
          ? null
          : h(
              'p',
              { class: 'act' },
              h('label', { for: 'a-note' }, 'Note '),
              noteInput,
              ' ',
              actions(
                a,
                () => void load(),
                () => noteInput.value,
              ),
            ),
        h('h2', {}, 'History'),
        h(
          'ol',
          { class: 'history', 'data-testid': 'history' },
          history.map((e) =>
            h(
              'li',
              {},
              h('time', { datetime: new Date(e.atMs).toISOString() }, isoTime(e.atMs)),
              ' ',
              h('strong', {}, e.type),
              e.by ? ` by ${e.by}` : '',
              e.value !== undefined && e.value !== null ? ` value ${formatValue(e.value)}` : '',
              e.note ? ` — ${e.note}` : '',
            ),
          ),
        ),
        h('h2', {}, 'Delivery attempts'),
        attempts.length === 0
          ? h('p', { class: 'muted' }, 'None yet.')
          : h(
              'table',
              { class: 'grid', 'data-testid': 'attempts' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['When', 'Transition', 'Channel', 'Attempt', 'Outcome', 'Error'].map((c) =>
                    h('th', { scope: 'col' }, c),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                attempts.map((t) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, isoTime(t.atMs)),
                    h('td', {}, t.kind),
                    h('td', {}, t.channel),
                    h('td', { class: 'num' }, t.attempt),
                    h('td', {}, badge(t.outcome)),
                    h('td', {}, t.error ?? ''),
                  ),
                ),
              ),
            ),
      );
    } catch (err) {
      if (!disposed) replace(body, errorBox(err));
    }
  };
  const unsubscribe = stream.subscribe({
    onAlert: (a) => {
      if (a.alertId === alertId) void load();
    },
  });
  void load();
  return () => {
    disposed = true;
    unsubscribe();
  };
};

function fact(label: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, value)];
}

/** Alert ids are long hashes; the table shows the head, the link carries all of it. */
function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 12)}…` : id;
}
