/**
 * The dead-letter browser: filters and search (kept in the URL), status x domain facets as chips,
 * the top failures grouped by fingerprint, one page of results from the API, and bulk actions
 * with a preview. Nothing here ever asks for more than one page of entries.
 */
import { ApiError, api } from './api.js';
import { type BulkPlan, errorText, openBulkPanel } from './bulk.js';
import type { Ctx, View } from './context.js';
import { formatNumber, h, humanize, patch, showMessage, statusBadge, timeEl } from './dom.js';
import {
  fromLocalInput,
  hasFilter,
  type ListState,
  PAGE_SIZES,
  parseListState,
  serializeListState,
  toFilter,
  toLocalInput,
} from './filters.js';
import {
  DEAD_LETTER_STATUSES,
  type DeadLetterPage,
  type DeadLetterStatus,
  type Facets,
  type FailureGroup,
} from './types.js';

export const LIST_QUERY_KEY = 'redrive.listQuery';
const OPEN_STATUSES: DeadLetterStatus[] = ['pending', 'requires_review'];
const MAX_DOMAIN_CHIPS = 20;
const MAX_DOMAIN_COLUMNS = 8;
const BATCH_RESOLVE_CAP = 10_000;

function filterKey(state: ListState): string {
  return serializeListState({ ...state, page: 1, pageSize: 25, order: 'newest', cursor: '' });
}

export function mountDeadLetters(main: HTMLElement, ctx: Ctx, params: URLSearchParams): View {
  let state = parseListState(params);
  let currentKey = filterKey(state);
  let loadSeq = 0;
  let page: DeadLetterPage | null = null;
  /** Selected ids and the generation each was displayed at (sent with a bulk resolve). */
  const selected = new Map<string, number>();
  sessionStorage.setItem(LIST_QUERY_KEY, serializeListState(state));

  /** Navigates to another view of the list; only "Next" passes the API's cursor along. */
  const go = (next: ListState, cursor = '') =>
    ctx.navigate(`/dead-letters?${serializeListState({ ...next, cursor })}`);

  // ---- filter form ----------------------------------------------------------------------------

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
  const pageSize = h(
    'select',
    { id: 'f-pageSize', name: 'pageSize' },
    PAGE_SIZES.map((n) => h('option', { value: String(n) }, String(n))),
  );
  const order = h(
    'select',
    { id: 'f-order', name: 'order' },
    h('option', { value: 'newest' }, 'Newest first'),
    h('option', { value: 'oldest' }, 'Oldest first'),
  );

  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter dead letters',
      onsubmit: (event: Event) => {
        event.preventDefault();
        go(readForm());
      },
    },
    h(
      'div',
      { class: 'filter-grid' },
      h('div', { class: 'field wide' }, h('label', { for: 'f-q' }, 'Search error messages'), q.el),
      h('div', { class: 'field' }, h('label', { for: 'f-status' }, 'Status'), status),
      domain.field,
      queue.field,
      failureType.field,
      fingerprint.field,
      entityId.field,
      from.field,
      to.field,
      payloadPath.field,
      payloadValue.field,
      h('div', { class: 'field' }, h('label', { for: 'f-pageSize' }, 'Per page'), pageSize),
      h('div', { class: 'field' }, h('label', { for: 'f-order' }, 'Order'), order),
    ),
    domainOptions,
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
      h('button', { type: 'button', onclick: () => ctx.navigate('/dead-letters') }, 'Clear filters'),
    ),
  );

  function syncForm(): void {
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
    pageSize.value = String(state.pageSize);
    order.value = state.order;
    const options: [string, string][] = [
      ['', 'Any status'],
      [OPEN_STATUSES.join(','), 'Open (pending or requires review)'],
      ...DEAD_LETTER_STATUSES.map((s): [string, string] => [s, humanize(s)]),
    ];
    const current = state.status.join(',');
    if (!options.some(([v]) => v === current))
      options.push([current, state.status.map(humanize).join(' or ')]);
    status.replaceChildren(...options.map(([v, label]) => h('option', { value: v }, label)));
    status.value = current;
  }

  function readForm(): ListState {
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
      pageSize: Number(pageSize.value),
      order: order.value === 'oldest' ? 'oldest' : 'newest',
      page: 1,
    };
  }

  // ---- regions ----------------------------------------------------------------------------------

  const facetsRegion = h('div', { class: 'region', 'data-testid': 'facets' });
  const topRegion = h('div', { class: 'region', 'data-testid': 'top-failures' });
  const countRegion = h('p', { class: 'result-count', role: 'status', 'data-testid': 'result-count' });
  const tableRegion = h('div', { class: 'region', 'data-testid': 'dead-letter-table' });
  const pagerRegion = h('div', { class: 'region' });
  const bulkBar = h('div', { class: 'bulk-bar' });
  const bulkPanel = h('div');

  main.append(
    h('h2', { tabindex: -1 }, 'Dead letters'),
    form,
    h(
      'div',
      { class: 'columns two' },
      h(
        'section',
        { 'aria-labelledby': 'facets-heading' },
        h('h3', { id: 'facets-heading' }, 'Facets'),
        facetsRegion,
      ),
      h(
        'section',
        { 'aria-labelledby': 'top-heading' },
        h('h3', { id: 'top-heading' }, 'Top failures'),
        topRegion,
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'results-heading' },
      h('h3', { id: 'results-heading' }, 'Results'),
      countRegion,
      ctx.can('operator') ? bulkBar : null,
      bulkPanel,
      tableRegion,
      pagerRegion,
    ),
  );

  // ---- loading ----------------------------------------------------------------------------------

  async function load(): Promise<void> {
    const mine = ++loadSeq;
    const filter = toFilter(state);
    tableRegion.setAttribute('aria-busy', 'true');
    renderBulkBar();
    const scope = {
      ...(state.status.length === 1 ? { status: state.status[0] } : {}),
      ...(state.domain ? { domain: state.domain } : {}),
    };
    const list = api
      .deadLetters(filter, {
        page: state.page,
        pageSize: state.pageSize,
        order: state.order,
        ...(state.cursor ? { cursor: state.cursor } : {}),
      })
      .then((p) => {
        if (mine !== loadSeq) return;
        page = p;
        renderTable(p);
      })
      .catch((error: unknown) => {
        if (mine !== loadSeq) return;
        if (state.cursor && error instanceof ApiError && error.status === 400) {
          // A cursor from another query or an older version: fall back to the page number.
          go(state);
          return;
        }
        page = null;
        countRegion.textContent = '';
        patch(tableRegion, errorBox('Could not load dead letters', error));
        pagerRegion.replaceChildren();
      })
      .finally(() => {
        if (mine === loadSeq) tableRegion.removeAttribute('aria-busy');
      });
    const facets = api
      .facets(scope)
      .then((f) => mine === loadSeq && renderFacets(f))
      .catch(
        (error: unknown) => mine === loadSeq && patch(facetsRegion, errorBox('Facets unavailable', error)),
      );
    const top = api
      .topFailures(filter, 10)
      .then((t) => mine === loadSeq && renderTop(t.items))
      .catch(
        (error: unknown) => mine === loadSeq && patch(topRegion, errorBox('Top failures unavailable', error)),
      );
    await Promise.all([list, facets, top]);
  }

  function errorBox(title: string, error: unknown): HTMLElement {
    return h('p', { class: 'error' }, `${title}: ${(error as Error).message}`);
  }

  // ---- facets -----------------------------------------------------------------------------------

  function renderFacets(facets: Facets): void {
    const soleStatus = state.status.length === 1 ? state.status[0] : undefined;
    const statusChips = DEAD_LETTER_STATUSES.map((s) => {
      const pressed = soleStatus === s;
      return h(
        'li',
        null,
        h(
          'button',
          {
            type: 'button',
            class: 'chip',
            'aria-pressed': String(pressed),
            'data-focus-key': `facet-status-${s}`,
            onclick: () => go({ ...state, status: pressed ? [] : [s], page: 1 }),
          },
          humanize(s),
          ' ',
          h('span', { class: 'count' }, formatNumber(facets.byStatus[s] ?? 0)),
        ),
      );
    });
    const domains = Object.entries(facets.byDomain).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    domainOptions.replaceChildren(...domains.map(([d]) => h('option', { value: d })));
    const domainChips = domains.slice(0, MAX_DOMAIN_CHIPS).map(([d, n]) => {
      const pressed = state.domain === d;
      return h(
        'li',
        null,
        h(
          'button',
          {
            type: 'button',
            class: 'chip',
            'aria-pressed': String(pressed),
            'data-focus-key': `facet-domain-${d}`,
            onclick: () => go({ ...state, domain: pressed ? '' : d, page: 1 }),
          },
          d,
          ' ',
          h('span', { class: 'count' }, formatNumber(n)),
        ),
      );
    });
    const columns = domains.slice(0, MAX_DOMAIN_COLUMNS).map(([d]) => d);
    const cell = new Map(facets.cells.map((c) => [`${c.status}\u0000${c.domain}`, c.count]));
    const matrix =
      columns.length > 0
        ? h(
            'table',
            { class: 'data compact matrix' },
            h('caption', null, 'Dead letters by status and domain'),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                h('th', { scope: 'col' }, 'Status'),
                columns.map((d) => h('th', { scope: 'col' }, d)),
              ),
            ),
            h(
              'tbody',
              null,
              DEAD_LETTER_STATUSES.filter((s) => (facets.byStatus[s] ?? 0) > 0 || soleStatus === s).map((s) =>
                h(
                  'tr',
                  null,
                  h('th', { scope: 'row' }, humanize(s)),
                  columns.map((d) => {
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
                              onclick: () => go({ ...state, status: [s], domain: d, page: 1 }),
                            },
                            formatNumber(n),
                          )
                        : h('span', { class: 'muted' }, '·'),
                    );
                  }),
                ),
              ),
            ),
          )
        : null;
    patch(
      facetsRegion,
      h('h4', { id: 'facet-status-heading' }, 'Status'),
      h('ul', { class: 'chips', 'aria-labelledby': 'facet-status-heading' }, statusChips),
      h('h4', { id: 'facet-domain-heading' }, 'Domain'),
      domainChips.length > 0
        ? h('ul', { class: 'chips', 'aria-labelledby': 'facet-domain-heading' }, domainChips)
        : h('p', { class: 'muted' }, 'No domains.'),
      domains.length > MAX_DOMAIN_CHIPS
        ? h(
            'p',
            { class: 'muted' },
            `and ${domains.length - MAX_DOMAIN_CHIPS} more domains (type one in the filter)`,
          )
        : null,
      matrix,
    );
  }

  // ---- top failures -----------------------------------------------------------------------------

  function renderTop(groups: FailureGroup[]): void {
    if (groups.length === 0) {
      patch(topRegion, h('p', { class: 'muted' }, 'No open failures match.'));
      return;
    }
    patch(
      topRegion,
      h(
        'ol',
        { class: 'top-failures' },
        groups.map((g) =>
          h(
            'li',
            { class: 'failure-group' },
            h('span', { class: 'count-badge', title: 'entries in this group' }, formatNumber(g.count)),
            h(
              'div',
              null,
              h(
                'p',
                { class: 'failure-message' },
                errorText({ errorClass: g.errorClass, errorMessage: g.message }),
              ),
              h(
                'p',
                { class: 'muted small' },
                `${g.domain} · first `,
                timeEl(g.firstSeen),
                ' · last ',
                timeEl(g.lastSeen),
              ),
              h(
                'div',
                { class: 'buttons' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'small',
                    'aria-pressed': String(state.fingerprint === g.fingerprint),
                    'data-focus-key': `top-${g.fingerprint}`,
                    onclick: () =>
                      go({
                        ...state,
                        fingerprint: state.fingerprint === g.fingerprint ? '' : g.fingerprint,
                        page: 1,
                      }),
                  },
                  state.fingerprint === g.fingerprint ? 'Show all failures' : 'Show only this failure',
                ),
                h(
                  'a',
                  { href: `#/dead-letters/${encodeURIComponent(g.sampleId)}`, class: 'small' },
                  'Open an example',
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // ---- results ----------------------------------------------------------------------------------

  function renderTable(p: DeadLetterPage): void {
    const pages = Math.max(1, Math.ceil(p.total / p.pageSize));
    countRegion.textContent =
      p.total === 0
        ? 'No dead letters match.'
        : `${formatNumber(p.total)} dead ${p.total === 1 ? 'letter matches' : 'letters match'}; page ${formatNumber(
            p.page,
          )} of ${formatNumber(pages)}.`;
    if (p.items.length === 0) {
      patch(
        tableRegion,
        h(
          'div',
          { class: 'empty' },
          h('p', null, p.total > 0 ? 'This page is past the end.' : 'No dead letters match these filters.'),
          hasFilter(state) || p.total > 0
            ? h(
                'button',
                {
                  type: 'button',
                  onclick: () => (p.total > 0 ? go({ ...state, page: 1 }) : ctx.navigate('/dead-letters')),
                },
                p.total > 0 ? 'Go to the first page' : 'Clear filters',
              )
            : null,
        ),
      );
      renderPager(p, pages);
      return;
    }
    const operator = ctx.can('operator');
    const allSelected = p.items.every((d) => selected.has(d.id));
    patch(
      tableRegion,
      h(
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
                      for (const d of p.items) on ? selected.set(d.id, d.generation) : selected.delete(d.id);
                      renderTable(p);
                      renderBulkBar();
                    },
                  }),
                )
              : null,
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col' }, 'Error'),
            h('th', { scope: 'col' }, 'Domain'),
            h('th', { scope: 'col' }, 'Queue'),
            h('th', { scope: 'col' }, 'Failure type'),
            h('th', { scope: 'col', class: 'num' }, 'Replays'),
            h('th', { scope: 'col', class: 'num' }, 'Attempts'),
            h('th', { scope: 'col' }, 'Dead-lettered'),
          ),
        ),
        h(
          'tbody',
          null,
          p.items.map((d) =>
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
                      checked: selected.has(d.id),
                      onchange: (e: Event) => {
                        (e.target as HTMLInputElement).checked
                          ? selected.set(d.id, d.generation)
                          : selected.delete(d.id);
                        renderBulkBar();
                      },
                    }),
                  )
                : null,
              h('td', null, statusBadge(d.status)),
              h(
                'td',
                { class: 'error-cell' },
                h('a', { href: `#/dead-letters/${encodeURIComponent(d.id)}` }, errorText(d)),
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
      ),
    );
    renderPager(p, pages);
  }

  function renderPager(p: DeadLetterPage, pages: number): void {
    const btn = (label: string, target: number, disabled: boolean, aria: string) =>
      h(
        'button',
        {
          type: 'button',
          disabled,
          'aria-label': aria,
          'data-focus-key': `pager-${label}`,
          onclick: () => go({ ...state, page: target }),
        },
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
      pagerRegion,
      h(
        'nav',
        { class: 'pager', 'aria-label': 'Pagination' },
        btn('« First', 1, p.page <= 1, 'First page'),
        btn('‹ Previous', p.page - 1, p.page <= 1, 'Previous page'),
        h('span', { class: 'page-of' }, `Page ${formatNumber(p.page)} of ${formatNumber(pages)}`),
        h(
          'button',
          {
            type: 'button',
            disabled: p.page >= pages,
            'aria-label': 'Next page',
            'data-focus-key': 'pager-next',
            onclick: () => go({ ...state, page: p.page + 1 }, p.nextCursor ?? ''),
          },
          'Next ›',
        ),
        btn('Last »', pages, p.page >= pages, 'Last page'),
        h(
          'form',
          {
            class: 'inline',
            onsubmit: (e: Event) => {
              e.preventDefault();
              const n = Math.min(pages, Math.max(1, Math.floor(Number(jump.value) || 1)));
              go({ ...state, page: n });
            },
          },
          h('label', { for: 'page-jump' }, 'Go to page'),
          jump,
          h('button', { type: 'submit' }, 'Go'),
        ),
      ),
    );
  }

  // ---- bulk actions -------------------------------------------------------------------------------

  function renderBulkBar(): void {
    if (!ctx.can('operator')) return;
    const n = selected.size;
    patch(
      bulkBar,
      h(
        'div',
        { class: 'buttons', role: 'group', 'aria-label': 'Bulk actions' },
        h(
          'button',
          {
            type: 'button',
            disabled: n === 0,
            'data-focus-key': 'bulk-selected',
            onclick: () => resolveSelected(),
          },
          `Resolve selected (${n})`,
        ),
        n > 0
          ? h(
              'button',
              {
                type: 'button',
                class: 'link',
                onclick: () => {
                  selected.clear();
                  if (page) renderTable(page);
                  renderBulkBar();
                },
              },
              'Clear selection',
            )
          : null,
        h('button', { type: 'button', onclick: () => resolveMatching() }, 'Resolve all matching…'),
        h('button', { type: 'button', onclick: () => replayMatching() }, 'Replay matching…'),
        ctx.can('admin')
          ? h(
              'button',
              { type: 'button', class: 'danger', onclick: () => purgeArchived() },
              'Purge archived…',
            )
          : null,
      ),
    );
  }

  const refresh = () => {
    void load();
  };

  function resolveSelected(): void {
    const ids = [...selected.keys()];
    const generations = Object.fromEntries(selected);
    const plan: BulkPlan = {
      title: `Resolve ${ids.length} selected dead ${ids.length === 1 ? 'letter' : 'letters'}`,
      description:
        'Marks them resolved (closed by hand, without a replay). Entries that are no longer pending or in review, or that changed since this page was loaded, are skipped.',
      fields: [{ id: 'note', label: 'Note for the audit trail', type: 'text' }],
      preview: async () => {
        const p = await api.preview({ ids });
        const notes: string[] = [];
        const missing = p.notFound?.length ?? ids.length - p.count;
        if (missing > 0) notes.push(`${formatNumber(missing)} of the selected entries no longer exist.`);
        const closed = Object.entries(p.byStatus ?? {})
          .filter(([s, n]) => !OPEN_STATUSES.includes(s as DeadLetterStatus) && (n ?? 0) > 0)
          .map(([s, n]) => `${formatNumber(n ?? 0)} ${humanize(s)}`);
        if (closed.length > 0) notes.push(`Not resolvable, will be skipped: ${closed.join(', ')}.`);
        return { ...p, notes };
      },
      confirmLabel: 'Resolve them',
      run: async (v) => {
        const r = await api.batchResolve({ ids, generations, ...(v.note ? { note: v.note } : {}) });
        selected.clear();
        return batchResolveMessage(r.resolved, r.skipped, r.notFound);
      },
    };
    openBulkPanel(bulkPanel, plan, refresh);
  }

  function resolveMatching(): void {
    const statuses =
      state.status.length > 0 ? state.status.filter((s) => OPEN_STATUSES.includes(s)) : OPEN_STATUSES;
    if (statuses.length === 0) {
      showMessage(
        'info',
        'Only pending and requires-review entries can be resolved; the status filter excludes both.',
      );
      return;
    }
    const filter = { ...toFilter(state), status: statuses };
    const plan: BulkPlan = {
      title: 'Resolve every matching dead letter',
      description: `Resolves the ${statuses.map(humanize).join(' and ')} entries that match the current filters.`,
      fields: [{ id: 'note', label: 'Note for the audit trail', type: 'text' }],
      preview: async () => {
        const p = await api.preview({ filter });
        const notes: string[] = [];
        if (p.count > BATCH_RESOLVE_CAP)
          notes.push(
            `One run resolves at most ${formatNumber(BATCH_RESOLVE_CAP)}; run it again for the remaining ${formatNumber(
              p.count - BATCH_RESOLVE_CAP,
            )}.`,
          );
        if (state.status.length > statuses.length)
          notes.push(
            'Entries in other statuses match the filters but cannot be resolved; they are left alone.',
          );
        return { ...p, notes };
      },
      confirmLabel: 'Resolve them',
      run: async (v) => {
        const r = await api.batchResolve({ filter, ...(v.note ? { note: v.note } : {}) });
        return batchResolveMessage(r.resolved, r.skipped, r.notFound);
      },
    };
    openBulkPanel(bulkPanel, plan, refresh);
  }

  function replayMatching(): void {
    const sub: { domain?: string; queue?: string; failureType?: string } = {};
    if (state.domain) sub.domain = state.domain;
    if (state.queue) sub.queue = state.queue;
    if (state.failureType) sub.failureType = state.failureType;
    const ignored = [
      state.q && 'search',
      state.status.length > 0 && 'status',
      state.fingerprint && 'fingerprint',
      state.entityId && 'entity id',
      (state.from !== undefined || state.to !== undefined) && 'time range',
      state.payloadPath && 'payload field',
    ].filter(Boolean);
    const plan: BulkPlan = {
      title: 'Replay matching dead letters',
      description:
        'Replays pending entries with replay budget left, oldest first, through their replay handlers (throttled by the server).',
      fields: [
        {
          id: 'batchSize',
          label: 'Entries in this run (1 to 1000)',
          type: 'number',
          value: '100',
          min: 1,
          max: 1000,
          required: true,
          affectsPreview: true,
        },
      ],
      preview: async (v) => {
        const batchSize = clampBatch(v.batchSize);
        const [dry, sample] = await Promise.all([
          api.batchReplay({ filter: sub, batchSize, dryRun: true }),
          api.preview({ filter: { ...sub, status: ['pending'] } }),
        ]);
        const notes = [
          `${formatNumber(sample.count)} pending ${sample.count === 1 ? 'entry matches' : 'entries match'}; at most ${formatNumber(
            batchSize,
          )} are replayed in this run.`,
        ];
        if (ignored.length > 0)
          notes.push(
            `Batch replay uses only domain, queue and failure type; it ignores: ${ignored.join(', ')}.`,
          );
        return { count: dry.total, sample: sample.sample, notes };
      },
      confirmLabel: 'Replay them',
      run: async (v) => {
        const r = await api.batchReplay({ filter: sub, batchSize: clampBatch(v.batchSize) });
        return `Replayed ${formatNumber(r.total)}: ${formatNumber(r.succeeded)} succeeded, ${formatNumber(
          r.failed,
        )} failed, ${formatNumber(r.skipped)} skipped${r.earlyStopReason ? `; stopped early (${r.earlyStopReason})` : ''}.`;
      },
    };
    openBulkPanel(bulkPanel, plan, refresh);
  }

  function purgeArchived(): void {
    const plan: BulkPlan = {
      title: 'Purge archived dead letters',
      description:
        'Deletes archived entries for good (the purge is counted and audited). Nothing else is ever purged.',
      danger: true,
      fields: [
        {
          id: 'olderThanDays',
          label: 'Archived more than this many days ago',
          type: 'number',
          value: '30',
          min: 0,
          required: true,
          affectsPreview: true,
        },
      ],
      preview: async (v) => {
        const days = Math.max(0, Number(v.olderThanDays) || 0);
        const [dry, archived] = await Promise.all([
          api.purge(days, true),
          api.preview({ filter: { status: ['archived'] } }),
        ]);
        return {
          count: dry.purged,
          sample: dry.purged > 0 ? archived.sample : [],
          notes: [
            `${formatNumber(archived.count)} archived in all; those archived more than ${days} days ago are deleted. The sample shows the newest archived entries.`,
          ],
        };
      },
      confirmLabel: 'Purge them',
      run: async (v) => {
        const days = Math.max(0, Number(v.olderThanDays) || 0);
        const r = await api.purge(days);
        return `Purged ${formatNumber(r.purged)} archived dead ${r.purged === 1 ? 'letter' : 'letters'}.`;
      },
    };
    openBulkPanel(bulkPanel, plan, refresh);
  }

  syncForm();
  void load();

  return {
    update(next: URLSearchParams) {
      state = parseListState(next);
      sessionStorage.setItem(LIST_QUERY_KEY, serializeListState(state));
      const key = filterKey(state);
      if (key !== currentKey) {
        selected.clear();
        bulkPanel.replaceChildren();
        currentKey = key;
      }
      syncForm();
      void load();
    },
  };
}

function clampBatch(raw: string | undefined): number {
  const n = Math.floor(Number(raw));
  return Number.isFinite(n) ? Math.min(1000, Math.max(1, n)) : 100;
}

function batchResolveMessage(resolved: number, skipped: number, notFound: number): string {
  const parts = [`Resolved ${formatNumber(resolved)} dead ${resolved === 1 ? 'letter' : 'letters'}`];
  if (skipped > 0)
    parts.push(`${formatNumber(skipped)} skipped (changed since the preview or not resolvable)`);
  if (notFound > 0) parts.push(`${formatNumber(notFound)} not found`);
  return `${parts.join('; ')}.`;
}

export function isAuthError(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}
