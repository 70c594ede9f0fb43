/**
 * A dead-letter filter whose only indexed column is the failure type, read without an index of the
 * failure type (migration 18 dropped it: every insert paid for it, about a tenth of storing a dead
 * letter). The per-fingerprint counters (migration 5) know which failure groups hold entries of a
 * failure type, in which statuses and domains; the entries are then read through the fingerprint
 * index:
 *
 * - up to {@link FAILURE_TYPE_ARMS} groups: once per group, in time order, merged (the arms of
 *   dead-letter-filter.ts's `orderedRows`); no sort, and a page walks only the groups' entries;
 * - more groups holding at most {@link FAILURE_TYPE_SORT_BOUND} entries in all: through the
 *   fingerprint index for the groups' entries, sorted;
 * - more groups and more entries: in time order through the time index, each entry tested (a
 *   failure type spread over that many entries is common enough that a page finds its rows soon).
 *
 * The counters change in the same transaction as the entries and are read in the same snapshot as
 * the page, so no entry of the failure type is ever missed.
 */
import type { DeadLetterFilter } from '../dead-letter-store.js';
import { buildWhere, inListSql, type PlannedWhere } from './dead-letter-filter.js';

/** Most failure groups a failure-type filter reads one by one and merges. */
export const FAILURE_TYPE_ARMS = 32;

/** Most entries of a failure type's groups read and sorted when it spans more groups than that. */
export const FAILURE_TYPE_SORT_BOUND = 20_000;

/** A failure group holding the failure type: its entries in the filter's statuses and domains. */
interface GroupCount {
  fingerprint: string;
  /** Entries of the group (of any failure type). */
  entries: number;
}

/**
 * `where` (from `buildWhere(filter)`) with the reading of its failure type planned; unchanged when
 * the failure type is not the filter's only indexed column.
 */
export function planFailureType(
  where: PlannedWhere,
  filter: DeadLetterFilter,
  read: (sql: string, args: unknown[]) => unknown[],
): PlannedWhere {
  if (!where.byFailureType || filter.failureType === undefined) return where;
  // The counter cells of the filter's statuses and domains (the columns they share with entries).
  const cells = buildWhere({
    statuses: filter.statuses,
    domain: filter.domain,
    domains: filter.domains,
    excludeDomains: filter.excludeDomains,
  });
  const and = cells.clause === '' ? 'WHERE' : `${cells.clause} AND`;
  const groups = read(
    `SELECT fingerprint, SUM(n) AS entries FROM redrive_dead_letter_groups ${and}
      fingerprint IN (SELECT fingerprint FROM redrive_dead_letter_groups WHERE failure_type = ? AND n > 0)
      GROUP BY fingerprint HAVING SUM(CASE WHEN failure_type = ? THEN n ELSE 0 END) > 0`,
    [...cells.args, filter.failureType, filter.failureType],
  ) as GroupCount[];
  if (groups.length === 0) {
    // No group holds it: one arm that the fingerprint index answers with nothing.
    return { ...where, arms: [{ condition: 'fingerprint = ?', args: [null] }] };
  }
  if (groups.length <= FAILURE_TYPE_ARMS) {
    return {
      ...where,
      arms: groups.map((group) => ({ condition: 'fingerprint = ?', args: [group.fingerprint] })),
    };
  }
  const entries = groups.reduce((sum, group) => sum + group.entries, 0);
  if (entries > FAILURE_TYPE_SORT_BOUND) return where;
  const args = [...where.args];
  const condition = inListSql(
    'fingerprint',
    groups.map((group) => group.fingerprint),
    args,
  );
  return { ...where, clause: `${where.clause} AND ${condition}`, args };
}
