/**
 * A dead-letter filter whose only indexed column is the failure type, read without an index of the
 * failure type (migration 18 dropped it: every insert paid for it, about a fifteenth of storing a
 * dead letter). The per-fingerprint counters (migration 5) know which failure groups hold entries
 * of a failure type, how many of them and how many entries the groups hold in all, in the filter's
 * statuses and domains; they are read in the page's snapshot, so no entry is missed. The entries
 * are read, whichever way walks the fewest rows per match:
 *
 * - through the fingerprint index, once per group and merged in time order (no sort), up to
 *   {@link FAILURE_TYPE_ARMS} groups when the type is at least 1 in {@link FAILURE_TYPE_SHARE} of
 *   their entries or they hold at most the scan budget in all;
 * - through the fingerprint index for every group at once, then sorted, when the groups hold at
 *   most the scan budget in all;
 * - in time order through the time index, each entry tested, when the type is at least 1 in
 *   {@link FAILURE_TYPE_SHARE} of the entries in scope;
 * - otherwise (a type rare inside large groups and overall) by a bounded scan, as a condition no
 *   index serves: at most the scan budget of the newest entries are examined, and the reply says
 *   so and continues after them.
 */
import type { DeadLetterFilter } from '../dead-letter-store.js';
import { buildWhere, inListSql, type PlannedWhere, type WhereOptions } from './dead-letter-filter.js';

/** Most failure groups a failure-type filter reads one by one and merges. */
export const FAILURE_TYPE_ARMS = 32;

/** Rows walked per match beyond which a way of reading a failure type is not taken (1 in this many). */
export const FAILURE_TYPE_SHARE = 64;

/** A failure group holding the failure type, in the filter's statuses and domains. */
interface GroupCount {
  fingerprint: string;
  /** Entries of the group (of any failure type). */
  entries: number;
  /** Entries of the group of the failure type. */
  typed: number;
}

/**
 * The conditions of `filter` (see `buildWhere`) with the reading of its failure type planned from
 * the counters through `read`; as `buildWhere` gives them when the failure type is not the filter's
 * only indexed column. `scanBudget` is the most rows a bounded scan examines.
 */
export function planFailureType(
  filter: DeadLetterFilter,
  options: WhereOptions,
  scanBudget: number,
  read: (sql: string, args: unknown[]) => unknown[],
): PlannedWhere {
  const where = buildWhere(filter, options);
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
    `SELECT fingerprint, SUM(n) AS entries, SUM(CASE WHEN failure_type = ? THEN n ELSE 0 END) AS typed
       FROM redrive_dead_letter_groups ${and}
            fingerprint IN (SELECT fingerprint FROM redrive_dead_letter_groups WHERE failure_type = ? AND n > 0)
      GROUP BY fingerprint HAVING typed > 0`,
    [filter.failureType, ...cells.args, filter.failureType],
  ) as GroupCount[];
  if (groups.length === 0) {
    // No group holds it: one arm that the fingerprint index answers with nothing.
    return { ...where, arms: [{ condition: 'fingerprint = ?', args: [null] }] };
  }
  const entries = groups.reduce((sum, group) => sum + group.entries, 0);
  const typed = groups.reduce((sum, group) => sum + group.typed, 0);
  const common = (among: number) => typed * FAILURE_TYPE_SHARE >= among;
  const arms = groups.map((group) => ({ condition: 'fingerprint = ?', args: [group.fingerprint] }));
  if (groups.length <= FAILURE_TYPE_ARMS && (entries <= scanBudget || common(entries)))
    return { ...where, arms };
  if (entries <= scanBudget) {
    const args = [...where.args];
    const condition = inListSql(
      'fingerprint',
      groups.map((group) => group.fingerprint),
      args,
    );
    return { ...where, clause: `${where.clause} AND ${condition}`, args };
  }
  const inScope = read(`SELECT COALESCE(SUM(n), 0) AS n FROM redrive_dead_letter_groups ${cells.clause}`, [
    ...cells.args,
  ]) as { n: number }[];
  if (common(inScope[0]?.n ?? 0)) return where;
  // Rare inside its groups and overall: examined by a bounded scan in time order, like a condition
  // no index serves. (Candidates taken from the groups' merged runs instead cost 150 ms of CPU at a
  // million entries against 20 ms: each of the scan's statements merges the runs again.)
  const rest = buildWhere({ ...filter, failureType: undefined }, options);
  const residual = rest.residual ?? { clause: 'WHERE 1', args: [] };
  return {
    ...rest,
    residual: {
      clause: `${residual.clause} AND failure_type = ?`,
      args: [...residual.args, filter.failureType],
    },
  };
}
