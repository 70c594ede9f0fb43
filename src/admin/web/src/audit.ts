/**
 * The audit trail: who did what to which dead letter, newest first, with "Older entries" paging.
 */
import { api } from './api.js';
import type { Ctx, View } from './context.js';
import { formatTime, h, humanize, patch, statusBadge } from './dom.js';
import type { AuditEntry } from './types.js';

const PAGE = 50;

export function auditTable(items: readonly AuditEntry[], options: { showDeadLetter: boolean }): HTMLElement {
  return h(
    'table',
    { class: 'data audit' },
    h('caption', { class: 'visually-hidden' }, 'Audit trail, newest first'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'When'),
        h('th', { scope: 'col' }, 'Actor'),
        h('th', { scope: 'col' }, 'Action'),
        options.showDeadLetter ? h('th', { scope: 'col' }, 'Dead letter') : null,
        h('th', { scope: 'col' }, 'Change'),
        h('th', { scope: 'col' }, 'Reason'),
        h('th', { scope: 'col' }, 'Details'),
      ),
    ),
    h(
      'tbody',
      null,
      items.map((e) =>
        h(
          'tr',
          { 'data-seq': String(e.seq) },
          h('td', null, h('time', { datetime: new Date(e.at).toISOString() }, formatTime(e.at))),
          h('td', null, e.actor),
          h('td', null, humanize(e.action)),
          options.showDeadLetter
            ? h(
                'td',
                { class: 'mono' },
                e.deadLetterId
                  ? h('a', { href: `#/dead-letters/${encodeURIComponent(e.deadLetterId)}` }, e.deadLetterId)
                  : h('span', { class: 'muted' }, 'bulk'),
              )
            : null,
          h(
            'td',
            null,
            e.beforeStatus ? statusBadge(e.beforeStatus) : null,
            e.beforeStatus || e.afterStatus ? ' → ' : '—',
            e.afterStatus ? statusBadge(e.afterStatus) : null,
            e.beforeGeneration !== null || e.afterGeneration !== null
              ? h(
                  'span',
                  { class: 'muted small' },
                  ` gen ${e.beforeGeneration ?? '?'}→${e.afterGeneration ?? '?'}`,
                )
              : null,
          ),
          h('td', null, e.reason ?? '', e.ticket ? h('span', { class: 'badge' }, e.ticket) : null),
          h(
            'td',
            null,
            Object.keys(e.details ?? {}).length > 0
              ? h(
                  'details',
                  null,
                  h('summary', null, 'Details'),
                  h('pre', { class: 'json small' }, JSON.stringify(e.details, null, 2)),
                )
              : null,
          ),
        ),
      ),
    ),
  );
}

export function mountAudit(main: HTMLElement, ctx: Ctx, params: URLSearchParams): View {
  let filters = read(params);
  let items: AuditEntry[] = [];
  let nextBefore: number | null = null;
  let seq = 0;

  const actor = h('input', { id: 'a-actor', type: 'text', autocomplete: 'off' });
  const action = h('input', { id: 'a-action', type: 'text', autocomplete: 'off', placeholder: 'e.g. retry' });
  const deadLetterId = h('input', { id: 'a-dl', type: 'text', autocomplete: 'off' });
  const status = h('p', { role: 'status', class: 'result-count' });
  const tableRegion = h('div', { class: 'region table-scroll', 'data-testid': 'audit-table' });
  const more = h('div');

  main.append(
    h('h2', { tabindex: -1 }, 'Audit trail'),
    h(
      'form',
      {
        class: 'filters',
        role: 'search',
        'aria-label': 'Filter the audit trail',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const q = new URLSearchParams();
          if (actor.value.trim()) q.set('actor', actor.value.trim());
          if (action.value.trim()) q.set('action', action.value.trim());
          if (deadLetterId.value.trim()) q.set('deadLetterId', deadLetterId.value.trim());
          ctx.navigate(`/audit${q.size > 0 ? `?${q}` : ''}`);
        },
      },
      h(
        'div',
        { class: 'filter-grid' },
        h('div', { class: 'field' }, h('label', { for: 'a-actor' }, 'Actor'), actor),
        h('div', { class: 'field' }, h('label', { for: 'a-action' }, 'Action'), action),
        h('div', { class: 'field' }, h('label', { for: 'a-dl' }, 'Dead letter id'), deadLetterId),
      ),
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
        h('button', { type: 'button', onclick: () => ctx.navigate('/audit') }, 'Clear filters'),
      ),
    ),
    status,
    tableRegion,
    more,
  );

  function sync(): void {
    actor.value = filters.actor ?? '';
    action.value = filters.action ?? '';
    deadLetterId.value = filters.deadLetterId ?? '';
  }

  async function load(append: boolean): Promise<void> {
    const mine = ++seq;
    tableRegion.setAttribute('aria-busy', 'true');
    try {
      const page = await api.audit({
        ...filters,
        limit: PAGE,
        ...(append && nextBefore !== null ? { before: nextBefore } : {}),
      });
      if (mine !== seq) return;
      items = append ? [...items, ...page.items] : page.items;
      nextBefore = page.nextBefore;
      status.textContent =
        items.length === 0
          ? 'No audit entries match.'
          : items.length === 1
            ? 'Showing the only audit entry.'
            : `Showing the newest ${items.length} audit entries.`;
      patch(tableRegion, items.length > 0 ? auditTable(items, { showDeadLetter: true }) : null);
      patch(
        more,
        nextBefore !== null
          ? h(
              'button',
              { type: 'button', 'data-focus-key': 'older', onclick: () => void load(true) },
              'Older entries',
            )
          : null,
      );
    } catch (error) {
      if (mine !== seq) return;
      patch(
        tableRegion,
        h('p', { class: 'error' }, `Could not load the audit trail: ${(error as Error).message}`),
      );
    } finally {
      if (mine === seq) tableRegion.removeAttribute('aria-busy');
    }
  }

  sync();
  void load(false);
  return {
    update(next) {
      filters = read(next);
      nextBefore = null;
      sync();
      void load(false);
    },
  };
}

function read(params: URLSearchParams): { actor?: string; action?: string; deadLetterId?: string } {
  const out: { actor?: string; action?: string; deadLetterId?: string } = {};
  for (const key of ['actor', 'action', 'deadLetterId'] as const) {
    const v = params.get(key);
    if (v) out[key] = v;
  }
  return out;
}
