/**
 * Dead letters: why each was rejected, from where, how often it was tried, a preview of its
 * payload (fetched per row, a bounded few at a time) and a replay button.
 */
import { ApiError, api, type DeadLetterSummary } from '../api.ts';
import { badge, bytesText, errorBox, h, isoTime, replace } from '../dom.ts';
import type { Page } from '../router.ts';

const PREVIEW_CONCURRENCY = 4;

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

  const previews = async (todo: { id: string; cell: HTMLElement }[]) => {
    const worker = async () => {
      for (let job = todo.shift(); job && !disposed; job = todo.shift()) {
        try {
          const detail = await api.deadLetter(job.id);
          replace(
            job.cell,
            h(
              'pre',
              { class: 'payload', title: detail.previewHex },
              detail.header ? `${JSON.stringify(detail.header)}\n` : '',
              detail.previewText,
              detail.truncated ? '…' : '',
            ),
          );
        } catch (err) {
          replace(job.cell, errorBox(err));
        }
      }
    };
    await Promise.all(Array.from({ length: PREVIEW_CONCURRENCY }, worker));
  };

  void (async () => {
    try {
      const page = await api.deadLetters();
      if (disposed) return;
      if (page.items.length === 0) {
        replace(body, h('p', {}, 'No dead letters: every message was accepted.'));
        return;
      }
      const todo: { id: string; cell: HTMLElement }[] = [];
      const rows = page.items.map((d) => {
        const preview = h('td', {}, h('span', { class: 'muted' }, 'loading…'));
        const stateCell = h('td', {}, badge(d.state));
        const countCell = h('td', { class: 'num' }, d.replayCount);
        todo.push({ id: d.id, cell: preview });
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
      await previews(todo);
    } catch (err) {
      if (!disposed) replace(body, errorBox(err));
    }
  })();
  return () => {
    disposed = true;
  };
};
