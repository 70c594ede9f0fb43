/**
 * Builds the WHERE clause, ordering and keyset cursor of dead-letter queries on PostgreSQL. Every
 * value is a bound parameter; JSON paths are validated and passed as text arrays. Equality on a
 * JSON field is also written as containment (`@>`), which the GIN indexes answer; error text is
 * an ILIKE that the trigram index answers when pg_trgm is installed (for the words an
 * {@link ErrorTextPlan} names, when it names some: error-text-plan.ts).
 */
import { ValidationError } from '../../core/errors.js';
import type { DeadLetterFilter, JsonFieldFilter } from '../dead-letter-store.js';
import { likeEscape, statusCondition } from '../shared/dead-letter-filter.js';
import { checkJsonFilter } from '../shared/json-filter.js';
import type { KeysetCursor } from '../shared/keyset-cursor.js';
import type { ErrorTextPlan } from './error-text-plan.js';

/** A SQL condition and its parameters (`$1`, `$2`, ... in order). */
export class SqlParams {
  readonly args: unknown[] = [];
  /** Adds a parameter; returns its placeholder. */
  add(value: unknown): string {
    this.args.push(value);
    return `$${this.args.length}`;
  }
}

const OPS = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function jsonCondition(filter: JsonFieldFilter, p: SqlParams): string {
  const { column, segments, op, value } = checkJsonFilter(filter);
  const at = `(${column} #> ${p.add(segments.map(String))}::text[])`;
  if (op === 'exists') return `jsonb_typeof(${at}) <> 'null'`;
  if (value === null) {
    if (op === 'eq') return `jsonb_typeof(${at}) = 'null'`;
    if (op === 'ne') return `jsonb_typeof(${at}) IS DISTINCT FROM 'null'`;
    throw new ValidationError('json.value', `null only compares with eq or ne, not ${op}`);
  }
  const literal = `${p.add(JSON.stringify(value))}::jsonb`;
  if (op === 'ne') return `${at} IS DISTINCT FROM ${literal}`;
  const sqlOp = OPS[op];
  if (op === 'eq') {
    // Containment lets the GIN index find candidates; the path comparison keeps the exact meaning.
    const contained = segments.every((s) => typeof s === 'string')
      ? `${column} @> ${p.add(JSON.stringify(nest(segments as string[], value)))}::jsonb AND `
      : '';
    return `${contained}${at} = ${literal}`;
  }
  // Ordering compares like with like: numbers as numbers, strings as strings.
  return `jsonb_typeof(${at}) = ${p.add(typeof value)} AND ${at} ${sqlOp} ${literal}`;
}

function nest(path: readonly string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

/**
 * The error-text condition: the phrase as an ILIKE the trigram index answers, or, when the plan
 * names words, each word for the index and the phrase checked on their candidates. The check is
 * the same ILIKE on `error_message || ''`, an expression the index does not cover, so that the
 * planner does not add the phrase's common trigrams back to the index scan.
 */
function errorTextCondition(text: string, p: SqlParams, plan: ErrorTextPlan | undefined): string {
  const phrase = p.add(`%${likeEscape(text)}%`);
  if (!plan || plan.indexWords.length === 0) return `error_message ILIKE ${phrase}`;
  const words = plan.indexWords.map((w) => `error_message ILIKE ${p.add(`%${likeEscape(w)}%`)}`);
  return `${words.join(' AND ')} AND (error_message || '') ILIKE ${phrase}`;
}

/**
 * The conditions of a filter, as SQL (`WHERE ...` or the empty string); `search` is the plan of
 * its error text (the whole phrase through the index without one).
 */
export function buildWhere(
  filter: DeadLetterFilter,
  p: SqlParams,
  extra: string[] = [],
  search?: ErrorTextPlan,
): string {
  const where: string[] = [];
  const eq = (column: string, value: unknown) => {
    if (value !== undefined) where.push(`${column} = ${p.add(value)}`);
  };
  if (filter.statuses && filter.statuses.length > 0) where.push(statusCondition(filter.statuses));
  eq('domain', filter.domain);
  if (filter.domains && filter.domains.length > 0)
    where.push(`domain = ANY(${p.add([...filter.domains])}::text[])`);
  if (filter.excludeDomains && filter.excludeDomains.length > 0)
    where.push(`NOT (domain = ANY(${p.add([...filter.excludeDomains])}::text[]))`);
  eq('queue', filter.queue);
  eq('failure_type', filter.failureType);
  eq('entity_type', filter.entityType);
  eq('entity_id', filter.entityId);
  eq('user_id', filter.userId);
  eq('job_id', filter.jobId);
  eq('fingerprint', filter.fingerprint);
  if (filter.errorText !== undefined && filter.errorText !== '') {
    where.push(errorTextCondition(filter.errorText, p, search));
  }
  if (filter.from !== undefined) where.push(`dead_lettered_at >= ${p.add(filter.from)}`);
  if (filter.to !== undefined) where.push(`dead_lettered_at < ${p.add(filter.to)}`);
  if (filter.expiresBefore !== undefined) where.push(`expires_at <= ${p.add(filter.expiresBefore)}`);
  if (filter.updatedBefore !== undefined) where.push(`updated_at < ${p.add(filter.updatedBefore)}`);
  if (filter.belowReplayCap) where.push('replay_count < max_replays');
  if (filter.lastReplayBefore !== undefined)
    where.push(`(last_replay_at IS NULL OR last_replay_at < ${p.add(filter.lastReplayBefore)})`);
  for (const json of filter.json ?? []) where.push(jsonCondition(json, p));
  where.push(...extra);
  return where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
}

/** ORDER BY and the keyset condition for an order (time, then sequence as the tiebreak). */
export function ordering(
  order: 'newest' | 'oldest',
  p?: SqlParams,
  cursor?: KeysetCursor<number>,
): { orderBy: string; after?: string } {
  const orderBy =
    order === 'newest'
      ? 'ORDER BY dead_lettered_at DESC, seq ASC'
      : 'ORDER BY dead_lettered_at ASC, seq DESC';
  if (!p || !cursor) return { orderBy };
  const at = p.add(cursor.at);
  const seq = p.add(cursor.tiebreak);
  return {
    orderBy,
    // The plain bound before the OR is what lets an index on dead_lettered_at start at the
    // cursor (an OR alone is a filter: the scan would read every row before it).
    after:
      order === 'newest'
        ? `dead_lettered_at <= ${at} AND (dead_lettered_at < ${at} OR (dead_lettered_at = ${at} AND seq > ${seq}))`
        : `dead_lettered_at >= ${at} AND (dead_lettered_at > ${at} OR (dead_lettered_at = ${at} AND seq < ${seq}))`,
  };
}
