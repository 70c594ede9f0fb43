/**
 * Facets that follow the whole list filter (search, queue, failure type, fingerprint, fields,
 * time), so the chips beside a search count what the search finds. Status and domain chips ignore
 * their own dimension (the status chips of a domain-filtered list count every status of that
 * domain), so that they can switch to another value.
 *
 * A filter of status and domain only reads the maintained status x domain counters. Any other
 * condition is answered per status by the store's failure groups: exact from per-fingerprint
 * counters where they answer the filter (queue, failure type, fingerprint), else from a bounded
 * scan of the newest matching entries, which the reply reports.
 */
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from '../core/dead-letter.js';
import { type DeadLetterListFilter, toStoreFilter } from '../dlq/queries.js';
import type { DeadLetterFacets, ScanReport } from '../store/dead-letter-store.js';
import type { Store } from '../store/store.js';

/** Most failure groups read per status; more means the counts may leave some groups out. */
const MAX_GROUPS = 1000;

/** Facets of a filter, with how they were counted. */
export interface FilteredFacets extends DeadLetterFacets {
  /** Set when some counts come from a bounded scan (how much of the data it examined). */
  scan: ScanReport | null;
  /** True when a status had more failure groups than were read: counts may be low. */
  partial: boolean;
}

type Cell = DeadLetterFacets['cells'][number];

/** Facets of the entries `filter` matches (see the module comment for the scopes). */
export async function facetsMatching(store: Store, filter: DeadLetterListFilter): Promise<FilteredFacets> {
  const { status, domain, ...rest } = filter;
  const statuses: readonly DeadLetterStatus[] =
    status === undefined ? [] : typeof status === 'string' ? [status] : status;
  const narrowed = Object.values(rest).some((v) => v !== undefined && !(Array.isArray(v) && v.length === 0));
  let cells: Cell[];
  let scan: ScanReport | null = null;
  let partial = false;
  if (!narrowed) {
    cells = (await store.facetDeadLetters({})).cells;
  } else {
    const base = toStoreFilter(rest);
    const tops = await Promise.all(
      DEAD_LETTER_STATUSES.map((s) =>
        store.topDeadLetterFailures({ ...base, statuses: [s], limit: MAX_GROUPS }),
      ),
    );
    cells = [];
    tops.forEach((top, i) => {
      const byDomain = new Map<string, number>();
      for (const group of top.groups)
        for (const d of group.domains) byDomain.set(d.domain, (byDomain.get(d.domain) ?? 0) + d.count);
      for (const [d, count] of byDomain) cells.push({ status: DEAD_LETTER_STATUSES[i]!, domain: d, count });
      if (top.groups.length >= MAX_GROUPS) partial = true;
      if (top.scan) {
        scan = {
          examined: (scan?.examined ?? 0) + top.scan.examined,
          budget: (scan?.budget ?? 0) + top.scan.budget,
          complete: (scan?.complete ?? true) && top.scan.complete,
        };
      }
    });
  }
  const facets: FilteredFacets = { byStatus: {}, byDomain: {}, cells: [], scan, partial };
  for (const cell of cells) {
    if (cell.count <= 0) continue;
    facets.cells.push(cell);
    if (domain === undefined || cell.domain === domain)
      facets.byStatus[cell.status] = (facets.byStatus[cell.status] ?? 0) + cell.count;
    if (statuses.length === 0 || statuses.includes(cell.status))
      facets.byDomain[cell.domain] = (facets.byDomain[cell.domain] ?? 0) + cell.count;
  }
  return facets;
}
