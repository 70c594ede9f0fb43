/**
 * The dead-letter page: a compact filter bar, the list (count, bulk actions, table, pager) with
 * the status and domain facets beside it, and the top failures and the status x domain table on
 * tabs of their own. Filters, page and tab live in the URL. The list is fetched for every view;
 * facets and top failures once per filter (not per page), and a fetch whose filter is no longer
 * shown is cancelled.
 */
import { ApiError, api } from './api.js';
import { bulkActions } from './bulk-actions.js';
import type { Ctx, View } from './context.js';
import { h, patch } from './dom.js';
import { domainsOf, renderFacetChips, renderMatrix } from './facets-panel.js';
import { filterBar } from './filter-bar.js';
import {
  filterKey,
  type ListState,
  type ListTab,
  parseListState,
  serializeListState,
  toFilter,
} from './filters.js';
import { errorBox, isAbort, type ListPage } from './list-page.js';
import { resultsTable } from './results-table.js';
import { renderTopFailures } from './top-failures.js';

export const LIST_QUERY_KEY = 'redrive.listQuery';

const TABS: { id: ListTab; label: string }[] = [
  { id: 'entries', label: 'Entries' },
  { id: 'top', label: 'Top failures' },
  { id: 'matrix', label: 'By status and domain' },
];

/** A fetch tied to one filter: started once, cancelled when another filter is shown. */
class PerFilter {
  private key: string | null = null;
  private controller: AbortController | null = null;

  /** Starts `fetch` unless it already ran for `key`; aborts the previous one when `key` changed. */
  run(key: string, fetch: (signal: AbortSignal) => Promise<void>): void {
    if (key === this.key) return;
    this.controller?.abort();
    this.key = key;
    const controller = new AbortController();
    this.controller = controller;
    fetch(controller.signal).catch(() => {});
  }

  /** Forgets the last filter, so the next `run` fetches again (after an action changed the data). */
  invalidate(): void {
    this.controller?.abort();
    this.key = null;
  }

  stop(): void {
    this.controller?.abort();
  }
}

export function mountDeadLetters(main: HTMLElement, ctx: Ctx, params: URLSearchParams): View {
  let state = parseListState(params);
  let listSeq = 0;
  let listController: AbortController | null = null;
  const facetsFetch = new PerFilter();
  const topFetch = new PerFilter();

  const page: ListPage = {
    ctx,
    state: () => state,
    go: (next: ListState, cursor = '') =>
      ctx.navigate(`/dead-letters?${serializeListState({ ...next, cursor })}`),
  };
  sessionStorage.setItem(LIST_QUERY_KEY, serializeListState(state));

  const selection = {
    ids: new Map<string, number>(),
    changed: () => {
      table.refresh();
      bulk.render();
    },
  };
  const bar = filterBar(page);
  const table = resultsTable(page, selection);
  const refresh = () => {
    facetsFetch.invalidate();
    topFetch.invalidate();
    void load();
  };
  const bulk = bulkActions(page, selection, refresh);

  const facetsRegion = h('div', { class: 'region', 'data-testid': 'facets' });
  const topRegion = h('div', { class: 'region', 'data-testid': 'top-failures' });
  const matrixRegion = h('div', { class: 'region', 'data-testid': 'matrix-region' });
  const panels: Record<ListTab, HTMLElement> = {
    entries: h(
      'div',
      { id: 'tab-entries', role: 'tabpanel', 'aria-labelledby': 'tab-entries-button' },
      table.els[0],
      ctx.can('operator') ? bulk.bar : null,
      bulk.panel,
      table.els.slice(1),
    ),
    top: h('div', { id: 'tab-top', role: 'tabpanel', 'aria-labelledby': 'tab-top-button' }, topRegion),
    matrix: h(
      'div',
      { id: 'tab-matrix', role: 'tabpanel', 'aria-labelledby': 'tab-matrix-button' },
      matrixRegion,
    ),
  };
  const tabButtons = TABS.map((t) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `tab-${t.id}-button`,
        'aria-controls': `tab-${t.id}`,
        'data-focus-key': `tab-${t.id}`,
        onclick: () => page.go({ ...state, tab: t.id }, state.cursor),
        onkeydown: (e: Event) => moveTab(e as KeyboardEvent, t.id),
      },
      t.label,
    ),
  );

  main.append(
    h('h2', { tabindex: -1 }, 'Dead letters'),
    bar.el,
    h(
      'div',
      { class: 'dl-layout' },
      h(
        'div',
        { class: 'dl-main' },
        h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Dead-letter views' }, tabButtons),
        Object.values(panels),
      ),
      h(
        'aside',
        { class: 'dl-aside', 'aria-labelledby': 'facets-heading' },
        h('h3', { id: 'facets-heading' }, 'Facets'),
        facetsRegion,
      ),
    ),
  );

  /** Arrow keys move between tabs (the tab list is one stop for Tab). */
  function moveTab(event: KeyboardEvent, from: ListTab): void {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const i = TABS.findIndex((t) => t.id === from);
    const next = TABS[(i + step + TABS.length) % TABS.length]!;
    page.go({ ...state, tab: next.id }, state.cursor);
    tabButtons[TABS.indexOf(next)]?.focus();
  }

  function showTab(): void {
    TABS.forEach((t, i) => {
      const on = t.id === state.tab;
      tabButtons[i]!.setAttribute('aria-selected', String(on));
      tabButtons[i]!.tabIndex = on ? 0 : -1;
      panels[t.id].hidden = !on;
    });
  }

  async function load(): Promise<void> {
    const mine = ++listSeq;
    const filter = toFilter(state);
    const key = filterKey(state);
    showTab();
    bulk.render();
    listController?.abort();
    const controller = new AbortController();
    listController = controller;
    table.busy(true);
    // The list is asked for first: the server answers in order, and the rows matter most.
    const listed = api.deadLetters(
      filter,
      {
        page: state.page,
        pageSize: state.pageSize,
        order: state.order,
        ...(state.cursor ? { cursor: state.cursor } : {}),
      },
      controller.signal,
    );
    facetsFetch.run(key, async (signal) => {
      facetsRegion.setAttribute('aria-busy', 'true');
      try {
        const f = await api.facets(filter, signal);
        renderFacetChips(facetsRegion, page, f);
        renderMatrix(matrixRegion, page, f);
        bar.suggestDomains(domainsOf(f).map(([d]) => d));
      } catch (error) {
        if (isAbort(error)) return;
        patch(facetsRegion, errorBox('Facets unavailable', error));
        patch(matrixRegion, errorBox('Counts unavailable', error));
      } finally {
        if (!signal.aborted) facetsRegion.removeAttribute('aria-busy');
      }
    });
    if (state.tab === 'top') {
      topFetch.run(key, async (signal) => {
        patch(topRegion, h('p', { class: 'muted' }, 'Loading top failures…'));
        try {
          const t = await api.topFailures(filter, 10, signal);
          renderTopFailures(topRegion, page, t.items, t.scan);
        } catch (error) {
          if (!isAbort(error)) patch(topRegion, errorBox('Top failures unavailable', error));
        }
      });
    }
    try {
      const p = await listed;
      if (mine !== listSeq) return;
      table.render(p);
    } catch (error) {
      if (mine !== listSeq || isAbort(error)) return;
      if (state.cursor && error instanceof ApiError && error.status === 400) {
        // A cursor from another query or an older version: fall back to the page number.
        page.go(state);
        return;
      }
      table.fail(errorBox('Could not load dead letters', error));
    } finally {
      if (mine === listSeq) table.busy(false);
    }
  }

  bar.sync(state);
  void load();

  return {
    update(next: URLSearchParams) {
      const before = filterKey(state);
      state = parseListState(next);
      sessionStorage.setItem(LIST_QUERY_KEY, serializeListState(state));
      if (filterKey(state) !== before) {
        selection.ids.clear();
        bulk.close();
      }
      bar.sync(state);
      void load();
    },
    cleanup() {
      listController?.abort();
      facetsFetch.stop();
      topFetch.stop();
    },
  };
}
