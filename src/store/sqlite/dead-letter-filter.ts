/**
 * Builds the WHERE clause, ordering and keyset cursor of dead-letter queries. Every value is bound
 * as a parameter; JSON paths are validated and quoted, never spliced in raw.
 */
import { DEAD_LETTER_STATUSES } from '../../core/dead-letter.js';
import type { DeadLetterFilter, DeadLetterJsonField, JsonFieldFilter } from '../dead-letter-store.js';
import { likeEscape, statusCondition } from '../shared/dead-letter-filter.js';
import { checkJsonFilter, parseJsonPath } from '../shared/json-filter.js';
import { TEXT_MARKER } from './migrations/0021_error_text_marker.js';

/** A SQL condition and its parameters. */
export interface SqlWhere {
  /** `WHERE ...`, or the empty string. */
  clause: string;
  args: unknown[];
}

/**
 * Converts `customer.id` or `items[0].sku` to a SQLite JSON path (`$."customer"."id"`).
 *
 * @throws ValidationError naming `json.path` for anything else
 */
export function toSqliteJsonPath(path: string): string {
  return `$${parseJsonPath(path)
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `."${segment}"`))
    .join('')}`;
}

const OPS = { eq: '=', ne: 'IS NOT', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** `payload.customer.id` as the key of a declared path. */
export function indexedPathKey(field: DeadLetterJsonField, path: string): string {
  return `${field}.${path}`;
}

/**
 * The expression a JSON condition compares. For a declared path the JSON path is written as a
 * literal (validated and quoted by {@link toSqliteJsonPath}), so that the query's expression is the
 * expression index's and SQLite uses the index; otherwise it is bound.
 */
export function jsonPathExpression(column: string, path: string, literal: boolean, args: unknown[]): string {
  const jsonPath = toSqliteJsonPath(path);
  if (literal) return `json_extract(${column}, '${jsonPath}')`;
  args.push(jsonPath);
  return `json_extract(${column}, ?)`;
}

function jsonCondition(filter: JsonFieldFilter, args: unknown[], indexed: boolean): string {
  const { column, op, value } = checkJsonFilter(filter);
  if (op === 'exists') return `${jsonPathExpression(column, filter.path, indexed, args)} IS NOT NULL`;
  if (value === null) {
    args.push(toSqliteJsonPath(filter.path));
    return op === 'ne' ? `json_type(${column}, ?) IS NOT 'null'` : `json_type(${column}, ?) = 'null'`;
  }
  const expression = jsonPathExpression(column, filter.path, indexed, args);
  args.push(typeof value === 'boolean' ? Number(value) : value);
  return `${expression} ${OPS[op]} ?`;
}

/** Whether a search text has a run of three characters the trigram index can look up. */
export function searchableByTrigrams(text: string): boolean {
  return /[^%_]{3}/.test(text);
}

/** `column IN (?, ...)` (or `NOT IN`), pushing the values. */
export function inListSql(
  column: string,
  values: readonly unknown[],
  args: unknown[],
  negate = false,
): string {
  args.push(...values);
  return `${column} ${negate ? 'NOT IN' : 'IN'} (${values.map(() => '?').join(', ')})`;
}

/** One arm of a read split by a column's values: the condition it adds to the filter's. */
export interface Arm {
  condition: string;
  args: unknown[];
}

/**
 * The conditions of a filter as SQL, split in two: `where` holds every condition an index serves
 * (columns, the text index, declared JSON paths); `residual` the ones only a scan can check
 * (undeclared JSON paths, search texts too short for the trigram index), or null when none.
 */
export interface PlannedWhere extends SqlWhere {
  residual: SqlWhere | null;
  /**
   * When set, the rows are read once per arm and merged in time order (see {@link orderedRows}):
   * one arm per status when the filter names one domain, no status and no other indexed column.
   */
  arms: Arm[] | null;
}

/** Options of {@link buildWhere}. */
export interface WhereOptions {
  /** Declared JSON paths (`payload.customerId`), served by expression indexes. */
  indexedPaths?: ReadonlySet<string>;
  extra?: string[];
  extraArgs?: unknown[];
}

/** The conditions of a filter, as SQL. */
export function buildWhere(filter: DeadLetterFilter, options: WhereOptions = {}): PlannedWhere {
  const where: string[] = [];
  const args: unknown[] = [];
  const residual: string[] = [];
  const residualArgs: unknown[] = [];
  const eq = (column: string, value: unknown) => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    args.push(value);
  };
  // A text search reads the trigram index, which finds few rows. Conditions on broad columns
  // (status, domain, queue, failure type, fingerprint) are then written `+column`, which keeps the
  // planner from walking their index in time order and testing every row against the search
  // (a status or domain holds hundreds of thousands of rows: 240 ms instead of 2 ms at 1M).
  const plus = filter.errorText !== undefined && searchableByTrigrams(filter.errorText) ? '+' : '';
  const broad = (column: string) => `${plus}${column}`;
  if (filter.statuses && filter.statuses.length > 0) where.push(`${plus}${statusCondition(filter.statuses)}`);
  eq(broad('domain'), filter.domain);
  if (filter.domains && filter.domains.length > 0)
    where.push(inListSql(broad('domain'), filter.domains, args));
  if (filter.excludeDomains && filter.excludeDomains.length > 0)
    where.push(inListSql(broad('domain'), filter.excludeDomains, args, true));
  eq(broad('queue'), filter.queue);
  eq(broad('failure_type'), filter.failureType);
  eq('entity_type', filter.entityType);
  eq('entity_id', filter.entityId);
  eq('user_id', filter.userId);
  eq('job_id', filter.jobId);
  eq(broad('fingerprint'), filter.fingerprint);
  if (filter.errorText !== undefined && filter.errorText !== '') {
    const exact = `error_message LIKE ? ESCAPE '\\'`;
    if (searchableByTrigrams(filter.errorText)) {
      // The index of distinct messages, and the few messages above its marker (not indexed yet,
      // read by key range), are read with the raw text (a `%` or `_` in it only widens the
      // candidates), their entries through `message_id`; the escaped LIKE then keeps exactly the
      // entries containing the text.
      where.push(
        `message_id IN (SELECT rowid FROM redrive_dead_letter_message_text WHERE message LIKE ?
           UNION ALL SELECT id FROM redrive_dead_letter_messages
            WHERE id > COALESCE((SELECT value FROM redrive_dead_letter_tally WHERE name = '${TEXT_MARKER}'), 0)
              AND message LIKE ?)`,
        exact,
      );
      args.push(`%${filter.errorText}%`, `%${filter.errorText}%`, `%${likeEscape(filter.errorText)}%`);
    } else {
      residual.push(exact);
      residualArgs.push(`%${likeEscape(filter.errorText)}%`);
    }
  }
  if (filter.from !== undefined) {
    where.push('dead_lettered_at >= ?');
    args.push(filter.from);
  }
  if (filter.to !== undefined) {
    where.push('dead_lettered_at < ?');
    args.push(filter.to);
  }
  if (filter.expiresBefore !== undefined) {
    where.push('expires_at <= ?');
    args.push(filter.expiresBefore);
  }
  if (filter.updatedBefore !== undefined) {
    where.push('updated_at < ?');
    args.push(filter.updatedBefore);
  }
  if (filter.belowReplayCap) where.push('replay_count < max_replays');
  if (filter.lastReplayBefore !== undefined) {
    where.push('(last_replay_at IS NULL OR last_replay_at < ?)');
    args.push(filter.lastReplayBefore);
  }
  for (const json of filter.json ?? []) {
    const indexed = options.indexedPaths?.has(indexedPathKey(json.field, json.path)) === true;
    if (indexed) where.push(jsonCondition(json, args, true));
    else residual.push(jsonCondition(json, residualArgs, false));
  }
  const byStatus =
    plus === '' &&
    filter.domain !== undefined &&
    !filter.statuses?.length &&
    !filter.domains?.length &&
    [filter.queue, filter.failureType, filter.entityId, filter.jobId, filter.fingerprint].every(
      (v) => v === undefined,
    ) &&
    !(filter.json ?? []).some((json) => options.indexedPaths?.has(indexedPathKey(json.field, json.path)));
  where.push(...(options.extra ?? []));
  args.push(...(options.extraArgs ?? []));
  return {
    clause: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '',
    args,
    residual: residual.length > 0 ? { clause: `WHERE ${residual.join(' AND ')}`, args: residualArgs } : null,
    arms: byStatus
      ? DEAD_LETTER_STATUSES.map((status) => ({ condition: `status = '${status}'`, args: [] }))
      : null,
  };
}

/** The SELECT of each arm of `where` (its conditions and the arm's), and their parameters. */
function armSelects(where: PlannedWhere, arms: Arm[], select: string): SqlWhere[] {
  const and = where.clause === '' ? 'WHERE' : `${where.clause} AND`;
  return arms.map((arm) => ({
    clause: `SELECT ${select} FROM redrive_dead_letters ${and} ${arm.condition}`,
    args: [...where.args, ...arm.args],
  }));
}

/**
 * A query of the matching rows in `order`, then `tail` (`LIMIT ...`): its first column is the row
 * id (`seq`), or with `position` the time then the row id. A read split in arms
 * ({@link PlannedWhere.arms}) reads each arm in time order through its index, and SQLite merges the
 * runs (a compound SELECT whose arms each follow an index): a filter on one domain alone reads
 * `(domain, status, dead_lettered_at)` once per status, so no index of `(domain, dead_lettered_at)`
 * is kept, as every insert would pay for it.
 */
export function orderedRows(
  where: PlannedWhere,
  order: 'newest' | 'oldest',
  tail: string,
  columns: 'rowid' | 'position' = 'rowid',
): SqlWhere {
  if (!where.arms) {
    const select = columns === 'rowid' ? 'rowid AS seq' : 'dead_lettered_at, rowid';
    return {
      clause: `SELECT ${select} FROM redrive_dead_letters ${where.clause} ${ordering(order).orderBy} ${tail}`,
      args: where.args,
    };
  }
  const select =
    columns === 'rowid' ? 'rowid AS seq, dead_lettered_at AS at' : 'dead_lettered_at AS at, rowid AS seq';
  const arms = armSelects(where, where.arms, select);
  const merged = order === 'newest' ? 'ORDER BY at DESC, seq ASC' : 'ORDER BY at ASC, seq DESC';
  return {
    clause: `${arms.map((arm) => arm.clause).join(' UNION ALL ')} ${merged} ${tail}`,
    args: arms.flatMap((arm) => arm.args),
  };
}

/**
 * A query of how many rows match. A read split in arms ({@link PlannedWhere.arms}) counts per arm,
 * each through its index: counted as one, the planner walks every entry of a domain to test the
 * other conditions (a time range).
 */
export function countRows(where: PlannedWhere): SqlWhere {
  if (!where.arms)
    return { clause: `SELECT COUNT(*) FROM redrive_dead_letters ${where.clause}`, args: where.args };
  const arms = armSelects(where, where.arms, 'COUNT(*) AS n');
  return {
    clause: `SELECT SUM(n) FROM (${arms.map((arm) => arm.clause).join(' UNION ALL ')})`,
    args: arms.flatMap((arm) => arm.args),
  };
}

/**
 * ORDER BY and the keyset condition. The tiebreak direction follows the time indexes (declared
 * `DESC`, so a forward scan yields time descending with row id ascending), which lets SQLite walk
 * an index instead of sorting.
 */
export function ordering(order: 'newest' | 'oldest'): { orderBy: string; after: string } {
  return order === 'newest'
    ? {
        orderBy: 'ORDER BY dead_lettered_at DESC, rowid ASC',
        after: 'dead_lettered_at <= ? AND (dead_lettered_at < ? OR rowid > ?)',
      }
    : {
        orderBy: 'ORDER BY dead_lettered_at ASC, rowid DESC',
        after: 'dead_lettered_at >= ? AND (dead_lettered_at > ? OR rowid < ?)',
      };
}
