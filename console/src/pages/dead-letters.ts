/** Dead letters: why each was rejected, from where, how often it was tried, and a replay button. */
import { ApiError, api, type DeadLetter } from '../api.ts';
import { errorBox, h, isoTime, replace } from '../dom.ts';
import type { Page } from '../router.ts';

/** Enough of a payload to recognise it; the record keeps all of it. */
const PREVIEW_CHARS = 240;

export const deadLettersPage: Page = (root) => {
  let disposed = false;
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(root, h('h1', {}, 'Dead letters'), body);

  const replayButton = (d: DeadLetter) => {
    const out = h('span', { class: 'msg', role: 'status' });
    const button = h(
      'button',
      {
        type: 'button',
        'aria-label': `Replay ${d.id}`,
        onclick: async () => {
          button.disabled = true;
          try {
            await api.replay(d.id);
            out.textContent = 'replayed';
          } catch (err) {
            out.textContent = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
            button.disabled = false;
          }
        },
      },
      'Replay',
    );
    return h('span', { class: 'actions' }, button, out);
  };

  void (async () => {
    try {
      const page = await api.deadLetters();
      if (disposed) return;
      replace(
        body,
        page.items.length === 0
          ? h('p', {}, 'No dead letters: every message was accepted.')
          : h(
              'table',
              { class: 'grid', 'data-testid': 'dead-letters' },
              h(
                'thead',
                {},
                h('tr', {}, ['Id', 'Received', 'Reason', 'Source', 'Attempts', 'Payload', 'Replayed', ''].map((c) => h('th', { scope: 'col' }, c))),
              ),
              h(
                'tbody',
                {},
                page.items.map((d) =>
                  h(
                    'tr',
                    { 'data-dead-letter': d.id },
                    h('th', { scope: 'row' }, h('code', {}, d.id)),
                    h('td', {}, isoTime(d.receivedAtMs)),
                    h('td', {}, d.reason),
                    h('td', {}, d.source),
                    h('td', { class: 'num' }, d.attempts),
                    h('td', {}, h('pre', { class: 'payload' }, truncate(d.payloadPreview))),
                    h('td', {}, isoTime(d.replayedAtMs)),
                    h('td', {}, replayButton(d)),
                  ),
                ),
              ),
            ),
      );
    } catch (err) {
      if (!disposed) replace(body, errorBox(err));
    }
  })();
  return () => {
    disposed = true;
  };
};

function truncate(s: string): string {
  return s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}…` : s;
}
