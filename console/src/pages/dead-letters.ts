/**
 * Dead letters: why each was rejected, from where, how often it was tried, a preview of its
 * payload (the list's own `previewText`: one request for the page) and a replay button.
 */
import { ApiError, api, type DeadLetterSummary } from '../api.ts';
import { badge, bytesText, errorBox, h, isoTime, replace } from '../dom.ts';
import type { Page } from '../router.ts';

/** The list's preview covers the first 64 bytes; longer payloads are marked as cut. */
const PREVIEW_BYTES = 64;

export const deadLettersPage: Page = (root) => {
  let disposed = false;
  const body = h('div', { class: 'scroll' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(root, h('h1', {}, 'Dead letters'), body);

  const replayButton = (d: DeadLetterSummary, stateCell: HTMLElement, countCell: HTMLElement) => {
    const out = h('span', { class: 'msg', role: 'status' });
    const button = h(
      'button',
      {
        type: 'button',
        'aria-label': `Replay ${d.id}`,
        onclick: async () => {
          button.disabled = true;
          try {
            const r = (await api.replay(d.id)) as { replayCount?: number };
            out.className = 'msg';
            out.textContent = 'replayed';
            replace(stateCell, badge('replayed'));
            countCell.textContent = String(r.replayCount ?? d.replayCount + 1);
          } catch (err) {
            out.className = 'msg failed';
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
      if (page.items.length === 0) {
        replace(body, h('p', {}, 'No dead letters: every message was accepted.'));
        return;
      }
      const rows = page.items.map((d) => {
        const preview = h(
          'td',
          {},
          h('pre', { class: 'payload' }, d.previewText, d.dataBytes > PREVIEW_BYTES ? '…' : ''),
        );
        const stateCell = h('td', {}, badge(d.state));
        const countCell = h('td', { class: 'num' }, d.replayCount);
        return h(
          'tr',
          { 'data-dead-letter': d.id },
          h('th', { scope: 'row' }, h('code', {}, d.id)),
          h('td', {}, isoTime(d.recordedAtMs)),
          h('td', { class: 'wrap' }, h('code', {}, d.code), ' ', d.reason),
          h('td', {}, d.source, d.subscription ? h('div', { class: 'muted' }, d.subscription) : null),
          h('td', { class: 'num' }, d.deliveryAttempt ?? '—'),
          h('td', { class: 'num' }, bytesText(d.dataBytes)),
          preview,
          stateCell,
          countCell,
          h('td', {}, replayButton(d, stateCell, countCell)),
        );
      });
      replace(
        body,
        h(
          'table',
          { class: 'grid', 'data-testid': 'dead-letters' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [
                'Id',
                'Recorded',
                'Reason',
                'Source',
                'Attempts',
                'Size',
                'Payload',
                'State',
                'Replays',
                '',
              ].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h('tbody', {}, rows),
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
