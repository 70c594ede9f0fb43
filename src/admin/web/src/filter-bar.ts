/**
 * The dead-letter page's filter bar: one compact row (search, status, domain) and the rarer
 * filters behind "More filters", so the list itself stays on the first screen.
 */
import { h, humanize } from './dom.js';
import { fromLocalInput, type ListState, moreFilterCount, toLocalInput } from './filters.js';
import { type ListPage, OPEN_STATUSES } from './list-page.js';
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from './types.js';

/** The filter bar and how to bring it in line with the state. */
export interface FilterBar {
  el: HTMLFormElement;
  /** Shows the state's values (after navigation). */
  sync(state: ListState): void;
  /** Offers these domains as suggestions in the domain field. */
  suggestDomains(domains: string[]): void;
}

export function filterBar(page: ListPage): FilterBar {
  const input = (id: string, label: string, props: Record<string, string> = {}) => {
    const el = h('input', { id: `f-${id}`, name: id, type: 'text', autocomplete: 'off', ...props });
    return { el, field: h('div', { class: 'field' }, h('label', { for: `f-${id}` }, label), el) };
  };
  const q = input('q', 'Search error messages', { type: 'search', placeholder: 'e.g. timeout' });
  const domain = input('domain', 'Domain', { list: 'domain-options' });
  const queue = input('queue', 'Queue');
  const failureType = input('failureType', 'Failure type', { placeholder: 'e.g. permanent' });
  const fingerprint = input('fingerprint', 'Fingerprint');
  const entityId = input('entityId', 'Entity id');
  const from = input('from', 'Dead-lettered from', { type: 'datetime-local' });
  const to = input('to', 'Dead-lettered before', { type: 'datetime-local' });
  const payloadPath = input('pp', 'Payload field', { placeholder: 'e.g. customer.id' });
  const payloadValue = input('pv', 'equals');
  const domainOptions = h('datalist', { id: 'domain-options' });
  const status = h('select', { id: 'f-status', name: 'status' });

  const more = h(
    'div',
    { id: 'more-filters', class: 'more-filters', hidden: true },
    queue.field,
    failureType.field,
    fingerprint.field,
    entityId.field,
    from.field,
    to.field,
    payloadPath.field,
    payloadValue.field,
  );
  const toggle = h('button', {
    type: 'button',
    class: 'more-toggle',
    'aria-expanded': 'false',
    'aria-controls': 'more-filters',
    onclick: () => setMore(more.hidden),
  });
  const setMore = (open: boolean) => {
    more.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
  };

  const el = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter dead letters',
      onsubmit: (event: Event) => {
        event.preventDefault();
        page.go(read(page.state()));
      },
    },
    h(
      'div',
      { class: 'filter-row' },
      h('div', { class: 'field grow' }, h('label', { for: 'f-q' }, 'Search error messages'), q.el),
      h('div', { class: 'field' }, h('label', { for: 'f-status' }, 'Status'), status),
      domain.field,
      h(
        'div',
        { class: 'buttons' },
        toggle,
        h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
        h('button', { type: 'button', onclick: () => page.ctx.navigate('/dead-letters') }, 'Clear'),
      ),
    ),
    more,
    domainOptions,
  );

  function read(state: ListState): ListState {
    return {
      ...state,
      status: status.value
        ? (status.value
            .split(',')
            .filter((s) => (DEAD_LETTER_STATUSES as readonly string[]).includes(s)) as DeadLetterStatus[])
        : [],
      q: q.el.value.trim(),
      domain: domain.el.value.trim(),
      queue: queue.el.value.trim(),
      failureType: failureType.el.value.trim(),
      fingerprint: fingerprint.el.value.trim(),
      entityId: entityId.el.value.trim(),
      from: fromLocalInput(from.el.value),
      to: fromLocalInput(to.el.value),
      payloadPath: payloadPath.el.value.trim(),
      payloadValue: payloadValue.el.value,
      page: 1,
    };
  }

  function sync(state: ListState): void {
    q.el.value = state.q;
    domain.el.value = state.domain;
    queue.el.value = state.queue;
    failureType.el.value = state.failureType;
    fingerprint.el.value = state.fingerprint;
    entityId.el.value = state.entityId;
    from.el.value = toLocalInput(state.from);
    to.el.value = toLocalInput(state.to);
    payloadPath.el.value = state.payloadPath;
    payloadValue.el.value = state.payloadValue;
    const options: [string, string][] = [
      ['', 'Any status'],
      [OPEN_STATUSES.join(','), 'Open (pending or in review)'],
      ...DEAD_LETTER_STATUSES.map((s): [string, string] => [s, humanize(s)]),
    ];
    const current = state.status.join(',');
    if (!options.some(([v]) => v === current))
      options.push([current, state.status.map(humanize).join(' or ')]);
    status.replaceChildren(...options.map(([v, label]) => h('option', { value: v }, label)));
    status.value = current;
    const hidden = moreFilterCount(state);
    toggle.textContent = hidden > 0 ? `More filters (${hidden})` : 'More filters';
    // Set filters stay in view; otherwise the panel keeps whatever the operator last chose.
    if (hidden > 0) setMore(true);
  }

  return {
    el,
    sync,
    suggestDomains(domains) {
      domainOptions.replaceChildren(...domains.map((d) => h('option', { value: d })));
    },
  };
}
