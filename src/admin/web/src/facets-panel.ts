/**
 * Facets of the dead-letter list: status and domain chips that count what the current filter
 * (search included) finds, and the status x domain table. Each chip switches its own dimension;
 * the counts of a dimension ignore its own filter so that every other value stays reachable.
 */
import { formatNumber, h, humanize, patch } from './dom.js';
import type { ListPage } from './list-page.js';
import { DEAD_LETTER_STATUSES, type DeadLetterStatus, type Facets } from './types.js';

const MAX_DOMAIN_CHIPS = 20;
const MAX_DOMAIN_COLUMNS = 8;

/** Domains by count, largest first (ties by name). */
export function domainsOf(facets: Facets): [string, number][] {
  return Object.entries(facets.byDomain).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function chip(label: string, count: number, pressed: boolean, key: string, onclick: () => void) {
  return h(
    'li',
    null,
    h(
      'button',
      { type: 'button', class: 'chip', 'aria-pressed': String(pressed), 'data-focus-key': key, onclick },
      h('span', { class: 'chip-label' }, label),
      ' ',
      h('span', { class: 'count' }, formatNumber(count)),
    ),
  );
}

/** A note on how the counts were made, when they are not exact counts of every entry. */
function countNote(facets: Facets): HTMLElement | null {
  if (facets.scan && !facets.scan.complete)
    return h(
      'p',
      { class: 'muted small', 'data-testid': 'facets-scan' },
      `Counted among the newest ${formatNumber(facets.scan.examined)} matching entries.`,
    );
  if (facets.partial) return h('p', { class: 'muted small' }, 'The rarest failure groups are left out.');
  return null;
}

/** Renders the status and domain chips into `region`. */
export function renderFacetChips(region: HTMLElement, page: ListPage, facets: Facets): void {
  const state = page.state();
  const soleStatus = state.status.length === 1 ? state.status[0] : undefined;
  const statusChips = DEAD_LETTER_STATUSES.map((s) =>
    chip(humanize(s), facets.byStatus[s] ?? 0, soleStatus === s, `facet-status-${s}`, () =>
      page.go({ ...page.state(), status: soleStatus === s ? [] : [s], page: 1 }),
    ),
  );
  const domains = domainsOf(facets);
  const domainChips = domains
    .slice(0, MAX_DOMAIN_CHIPS)
    .map(([d, n]) =>
      chip(d, n, state.domain === d, `facet-domain-${d}`, () =>
        page.go({ ...page.state(), domain: state.domain === d ? '' : d, page: 1 }),
      ),
    );
  patch(
    region,
    h('h4', { id: 'facet-status-heading' }, 'Status'),
    h('ul', { class: 'chips', 'aria-labelledby': 'facet-status-heading' }, statusChips),
    h('h4', { id: 'facet-domain-heading' }, 'Domain'),
    domainChips.length > 0
      ? h('ul', { class: 'chips', 'aria-labelledby': 'facet-domain-heading' }, domainChips)
      : h('p', { class: 'muted' }, 'No domains.'),
    domains.length > MAX_DOMAIN_CHIPS
      ? h(
          'p',
          { class: 'muted small' },
          `and ${domains.length - MAX_DOMAIN_CHIPS} more domains (type one in the filter)`,
        )
      : null,
    countNote(facets),
  );
}

/** Renders the status x domain table into `region`. */
export function renderMatrix(region: HTMLElement, page: ListPage, facets: Facets): void {
  const state = page.state();
  const soleStatus = state.status.length === 1 ? state.status[0] : undefined;
  const columns = domainsOf(facets)
    .slice(0, MAX_DOMAIN_COLUMNS)
    .map(([d]) => d);
  if (columns.length === 0) {
    patch(region, h('p', { class: 'muted' }, 'No dead letters match.'));
    return;
  }
  const cell = new Map(facets.cells.map((c) => [`${c.status}\u0000${c.domain}`, c.count]));
  const rows = DEAD_LETTER_STATUSES.filter((s) => (facets.byStatus[s] ?? 0) > 0 || soleStatus === s);
  const td = (s: DeadLetterStatus, d: string) => {
    const n = cell.get(`${s}\u0000${d}`) ?? 0;
    return h(
      'td',
      { class: 'num' },
      n > 0
        ? h(
            'button',
            {
              type: 'button',
              class: 'chip small',
              'data-focus-key': `cell-${s}-${d}`,
              'aria-label': `${formatNumber(n)} ${humanize(s)} in ${d}`,
              onclick: () => page.go({ ...page.state(), status: [s], domain: d, page: 1, tab: 'entries' }),
            },
            formatNumber(n),
          )
        : h('span', { class: 'muted', 'aria-label': 'none' }, '·'),
    );
  };
  patch(
    region,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'data compact matrix', 'data-testid': 'matrix' },
        h('caption', null, 'Dead letters by status and domain'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'Status'),
            // Numeric columns: headers align like their cells (right), so each count sits under its name.
            columns.map((d) => h('th', { scope: 'col', class: 'num' }, d)),
          ),
        ),
        h(
          'tbody',
          null,
          rows.map((s) =>
            h(
              'tr',
              null,
              h('th', { scope: 'row' }, humanize(s)),
              columns.map((d) => td(s, d)),
            ),
          ),
        ),
      ),
    ),
    columns.length < domainsOf(facets).length
      ? h('p', { class: 'muted small' }, `The ${MAX_DOMAIN_COLUMNS} largest domains are shown.`)
      : null,
    countNote(facets),
  );
}
