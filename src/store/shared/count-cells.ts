/**
 * Dead-letter facets and stats totals from the maintained (status, domain) counts, which every
 * store keeps (a table on SQLite and PostgreSQL, a hash on Redis): summed here once for all three.
 */
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from '../../core/dead-letter.js';
import type { DeadLetterFacets } from '../dead-letter-store.js';

/** One maintained count: entries of one status in one domain. */
export interface CountCell {
  status: DeadLetterStatus;
  domain: string;
  n: number;
}

/** The cells of counts kept under `status:domain` keys (Redis). */
export function cellsFromKeys(counts: ReadonlyMap<string, number>): CountCell[] {
  const cells: CountCell[] = [];
  for (const [key, n] of counts) {
    const split = key.indexOf(':');
    cells.push({ status: key.slice(0, split) as DeadLetterStatus, domain: key.slice(split + 1), n });
  }
  return cells;
}

/** Facets: every cell, counts per status within `scope.domain`, per domain within `scope.status`. */
export function facetsFromCells(
  cells: Iterable<CountCell>,
  scope: { status?: DeadLetterStatus; domain?: string },
): DeadLetterFacets {
  const facets: DeadLetterFacets = { byStatus: {}, byDomain: {}, cells: [] };
  for (const cell of cells) {
    facets.cells.push({ status: cell.status, domain: cell.domain, count: cell.n });
    if (scope.domain === undefined || cell.domain === scope.domain)
      facets.byStatus[cell.status] = (facets.byStatus[cell.status] ?? 0) + cell.n;
    if (scope.status === undefined || cell.status === scope.status)
      facets.byDomain[cell.domain] = (facets.byDomain[cell.domain] ?? 0) + cell.n;
  }
  return facets;
}

/** The totals of stats: all entries, per status (every status, 0 when empty) and per domain. */
export function totalsFromCells(cells: Iterable<CountCell>): {
  total: number;
  byStatus: Record<DeadLetterStatus, number>;
  byDomain: Record<string, number>;
} {
  const byStatus = Object.fromEntries(DEAD_LETTER_STATUSES.map((s) => [s, 0])) as Record<
    DeadLetterStatus,
    number
  >;
  const byDomain: Record<string, number> = {};
  let total = 0;
  for (const cell of cells) {
    byStatus[cell.status] = (byStatus[cell.status] ?? 0) + cell.n;
    byDomain[cell.domain] = (byDomain[cell.domain] ?? 0) + cell.n;
    total += cell.n;
  }
  return { total, byStatus, byDomain };
}
