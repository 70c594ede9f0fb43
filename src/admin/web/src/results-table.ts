/**
 * One page of dead letters: the count line (with order and page size), the table with a
 * checkbox per row for operators, and the pager. The first row's link is where the page's skip
 * link lands, so a keyboard user reaches it in two key presses.
 */
import { errorText } from './bulk.js';
import { formatNumber, h, humanize, patch, statusBadge, timeEl } from './dom.js';
import { hasFilter, PAGE_SIZES } from './filters.js';
import type { ListPage } from './list-page.js';
import type { DeadLetterPage } from './types.js';

/** Ids selected for a bulk action, with the generation each was displayed at. */
export interface Selection {
  readonly ids: Map<string, number>;
  /** Call after changing `ids`. */
  changed(): void;
}

export interface ResultsTable {
  /** The count line, the table and the pager, in page order. */
  els: HTMLElement[];
  render(p: DeadLetterPage): void;
  /** Shows that the page could not be loaded. */
  fail(box: HTMLElement): void;
  busy(on: boolean): void;
  /** Renders the last page again (after the selection changed from outside). */
  refresh(): void;
}

export function resultsTable(page: ListPage, selection: Selection): ResultsTable {
  const count = h('p', { class: 'result-count', role: 'status', 'data-testid': 'result-count' });
  const pageSize = h(
    'select',
    {
      id: 'f-pageSize',
      name: 'pageSize',
      onchange: () => page.go({ ...page.state(), pageSize: Number(pageSize.value), page: 1 }),
    },
    PAGE_SIZES.map((n) => h('option', { value: String(n) }, String(n))),
  );
  const order = h(
    'select',
    {
      id: 'f-order',
      name: 'order',
      onchange: () =>
        page.go({ ...page.state(), order: order.value === 'oldest' ? 'oldest' : 'newest', page: 1 }),
    },
    h('option', { value: 'newest' }, 'Newest first'),
    h('option', { value: 'oldest' }, 'Oldest first'),
  );
  const head = h(
    'div',
    { class: 'results-head' },
    count,
    h(
      'div',
      { class: 'list-options' },
      h('label', { for: 'f-order', class: 'visually-hidden' }, 'Order'),
      order,
      h('label', { for: 'f-pageSize' }, 'Per page'),
      pageSize,
    ),
  );
  const table = h('div', { class: 'region table-scroll', 'data-testid': 'dead-letter-table' });
  const pager = h('div', { class: 'region' });
  let last: DeadLetterPage | null = null;

  function render(p: DeadLetterPage): void {
    last = p;
    const state = page.state();
    pageSize.value = String(state.pageSize);
    order.value = state.order;
    const pages = Math.max(1, p.totalPages);
    count.textContent =
      p.total === 0
        ? 'No dead letters match.'
        : `${formatNumber(p.total)} dead ${p.total === 1 ? 'letter matches' : 'letters match'}. Page ${formatNumber(p.page)} of ${formatNumber(pages)}.`;
    if (p.items.length === 0) {
      const past = p.total > 0;
      patch(
        table,
        h(
          'div',
          { class: 'empty' },
          h('p', null, past ? 'This page is past the end.' : 'No dead letters match these filters.'),
          hasFilter(state) || past
            ? h(
                'button',
                {
                  type: 'button',
                  onclick: () =>
                    past ? page.go({ ...page.state(), page: 1 }) : page.ctx.navigate('/dead-letters'),
                },
                past ? 'Go to the first page' : 'Clear filters',
              )
            : null,
        ),
      );
    } else {
      patch(table, rowsTable(p));
    }
    renderPager(p, pages);
  }

  function rowsTable(p: DeadLetterPage): HTMLElement {
    const operator = page.ctx.can('operator');
    const ids = selection.ids;
    const allSelected = p.items.every((d) => ids.has(d.id));
    const th = (label: string, cls?: string) => h('th', { scope: 'col', class: cls }, label);
    return h(
      'table',
      { class: 'data results' },
      h('caption', { class: 'visually-hidden' }, 'Dead letters'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          operator
            ? h(
                'th',
                { scope: 'col' },
                h('input', {
                  type: 'checkbox',
                  'aria-label': 'Select every dead letter on this page',
                  'data-focus-key': 'select-all',
                  checked: allSelected,
                  onchange: (e: Event) => {
                    const on = (e.target as HTMLInputElement).checked;
                    for (const d of p.items) on ? ids.set(d.id, d.generation) : ids.delete(d.id);
                    render(p);
                    selection.changed();
                  },
                }),
              )
            : null,
          th('Status'),
          th('Error'),
          th('Domain'),
          th('Queue'),
          th('Failure type'),
          th('Replays', 'num'),
          th('Attempts', 'num'),
          th('Dead-lettered'),
        ),
      ),
      h(
        'tbody',
        null,
        p.items.map((d, i) =>
          h(
            'tr',
            { 'data-id': d.id },
            operator
              ? h(
                  'td',
                  null,
                  h('input', {
                    type: 'checkbox',
                    'aria-label': `Select dead letter ${d.id}`,
                    'data-focus-key': `select-${d.id}`,
                    checked: ids.has(d.id),
                    onchange: (e: Event) => {
                      (e.target as HTMLInputElement).checked ? ids.set(d.id, d.generation) : ids.delete(d.id);
                      selection.changed();
                    },
                  }),
                )
              : null,
            h('td', null, statusBadge(d.status)),
            h(
              'td',
              { class: 'error-cell' },
              h(
                'a',
                {
                  href: `#/dead-letters/${encodeURIComponent(d.id)}`,
                  'data-skip-target': i === 0 ? 'true' : null,
                  'data-focus-key': `open-${d.id}`,
                },
                errorText(d),
              ),
              h('div', { class: 'mono muted small' }, d.id),
            ),
            h('td', null, d.domain),
            h('td', null, d.queue ?? '—'),
            h('td', null, humanize(d.failureType)),
            h('td', { class: 'num' }, `${d.replayCount}/${d.maxReplays}`),
            h('td', { class: 'num' }, String(d.attemptCount)),
            h('td', null, timeEl(d.deadLetteredAt)),
          ),
        ),
      ),
    );
  }

  function renderPager(p: DeadLetterPage, pages: number): void {
    const go = (target: number, cursor = '') => page.go({ ...page.state(), page: target }, cursor);
    const btn = (label: string, aria: string, disabled: boolean, onclick: () => void) =>
      h(
        'button',
        { type: 'button', disabled, 'aria-label': aria, 'data-focus-key': `pager-${aria}`, onclick },
        label,
      );
    const jump = h('input', {
      id: 'page-jump',
      type: 'number',
      min: 1,
      max: pages,
      value: String(p.page),
      class: 'narrow',
    });
    patch(
      pager,
      h(
        'nav',
        { class: 'pager', 'aria-label': 'Pagination' },
        btn('« First', 'First page', p.page <= 1, () => go(1)),
        btn('‹ Previous', 'Previous page', p.page <= 1, () => go(p.page - 1)),
        h('span', { class: 'page-of' }, `Page ${formatNumber(p.page)} of ${formatNumber(pages)}`),
        btn('Next ›', 'Next page', p.page >= pages, () => go(p.page + 1, p.nextCursor ?? '')),
        btn('Last »', 'Last page', p.page >= pages, () => go(pages)),
        h(
          'form',
          {
            class: 'inline',
            onsubmit: (e: Event) => {
              e.preventDefault();
              go(Math.min(pages, Math.max(1, Math.floor(Number(jump.value) || 1))));
            },
          },
          h('label', { for: 'page-jump' }, 'Go to page'),
          jump,
          h('button', { type: 'submit' }, 'Go'),
        ),
      ),
    );
  }

  return {
    els: [head, table, pager],
    render,
    fail(box) {
      last = null;
      count.textContent = '';
      patch(table, box);
      pager.replaceChildren();
    },
    busy(on) {
      if (on) table.setAttribute('aria-busy', 'true');
      else table.removeAttribute('aria-busy');
    },
    refresh() {
      if (last) render(last);
    },
  };
}
