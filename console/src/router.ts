/**
 * Hash routing (`#/devices/sim-0001?range=1h`): the API function serves one static page, and
 * a hash never reaches it, so every view is a bookmarkable URL without server routes.
 */

/** Renders into `root`; returns what to undo when the route changes (stream subscriptions, timers). */
export type Page = (root: HTMLElement, params: readonly string[], query: URLSearchParams) => () => void;

export interface Route {
  readonly pattern: RegExp;
  readonly page: Page;
  /** The nav entry this route highlights. */
  readonly nav: string;
}

export function startRouter(root: HTMLElement, routes: readonly Route[], onNav: (nav: string) => void): void {
  let dispose: (() => void) | undefined;
  const go = () => {
    const raw = location.hash.replace(/^#/, '') || '/fleet';
    const [path = '/fleet', search = ''] = raw.split('?', 2);
    const route = routes.find((r) => r.pattern.test(path)) ?? routes[0]!;
    const params = (path.match(route.pattern) ?? []).slice(1).map((p) => decodeURIComponent(p));
    dispose?.();
    onNav(route.nav);
    dispose = route.page(root, params, new URLSearchParams(search));
    root.focus({ preventScroll: true });
  };
  addEventListener('hashchange', go);
  go();
}
