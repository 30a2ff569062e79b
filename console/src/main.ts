import 'uplot/dist/uPlot.min.css';
import './style.css';
import { stream } from './api.ts';
import { h } from './dom.ts';
import { alertPage, alertsPage } from './pages/alerts.ts';
import { deadLettersPage } from './pages/dead-letters.ts';
import { devicePage } from './pages/device.ts';
import { fleetPage } from './pages/fleet.ts';
import { type Route, startRouter } from './router.ts';

const ROUTES: readonly Route[] = [
  { pattern: /^\/fleet$/, page: fleetPage, nav: 'fleet' },
  { pattern: /^\/devices\/([^/]+)$/, page: devicePage, nav: 'fleet' },
  { pattern: /^\/alerts$/, page: alertsPage, nav: 'alerts' },
  { pattern: /^\/alerts\/([^/]+)$/, page: alertPage, nav: 'alerts' },
  { pattern: /^\/dead-letters$/, page: deadLettersPage, nav: 'dead-letters' },
];

const NAV = [
  ['fleet', 'Fleet'],
  ['alerts', 'Alerts'],
  ['dead-letters', 'Dead letters'],
] as const;

const live = h('span', { class: 'live', 'data-testid': 'live', 'aria-live': 'polite' }, 'connecting…');
const links = NAV.map(([key, label]) => h('a', { href: `#/${key}`, 'data-nav': key }, label));
const main = h('main', { id: 'main', tabindex: -1 });
document.body.replaceChildren(
  h(
    'a',
    {
      class: 'skip',
      href: '#main',
      onclick: (e: Event) => {
        e.preventDefault();
        main.focus();
      },
    },
    'Skip to content',
  ),
  h('header', {}, h('span', { class: 'brand' }, 'edgeflow'), h('nav', { 'aria-label': 'Main' }, links), live),
  main,
);
stream.subscribe({
  onStatus: (connected) => {
    live.textContent = connected ? 'live' : 'reconnecting…';
    live.dataset.connected = String(connected);
  },
});
startRouter(main, ROUTES, (nav) => {
  for (const a of links) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
});
