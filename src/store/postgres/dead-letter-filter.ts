/**
 * Builds the WHERE clause, ordering and keyset cursor of dead-letter queries on PostgreSQL. Every
 * value is a bound parameter; JSON paths are validated and passed as text arrays. Equality on a
 * JSON field is also written as containment (`@>`), which the GIN indexes answer; error text is
 * an ILIKE that the trigram index answers when pg_trgm is installed.
 */
import { DEAD_LETTER_STATUSES } from '../../core/dead-letter.js';
import { ValidationError } from '../../core/errors.js';
import type { DeadLetterFilter, DeadLetterJsonField, JsonFieldFilter } from '../dead-letter-store.js';

/** A SQL condition and its parameters (`$1`, `$2`, ... in order). */
export class SqlParams {
  readonly args: unknown[] = [];
  /** Adds a parameter; returns its placeholder. */
  add(value: unknown): string {
    this.args.push(value);
    return `$${this.args.length}`;
  }
}

const JSON_COLUMNS: Record<DeadLetterJsonField, string> = {
  payload: 'payload',
  metadata: 'metadata',
  snapshot: 'snapshot',
  requestData: 'request_data',
  responseData: 'response_data',
};

const SEGMENT = /^(?:[A-Za-z0-9_$-]+|\[\d+\])/;

/** One path segment: an object key or an array index. */
type Segment = string | number;

/**
 * Splits `customer.id` or `items[0].sku` into segments.
 *
 * @throws ValidationError naming `json.path` for anything else
 */
export function jsonPathSegments(path: string): Segment[] {
  if (typeof path !== 'string' || path.length === 0 || path.length > 200) {
    throw new ValidationError('json.path', 'must be a non-empty dotted path of at most 200 characters');
  }
  let rest = path;
  const out: Segment[] = [];
  while (rest.length > 0) {
    if (out.length > 0) {
      if (rest.startsWith('.')) rest = rest.slice(1);
      else if (!rest.startsWith('[')) break;
    }
    const match = SEGMENT.exec(rest);
    if (!match) break;
    const segment = match[0];
    out.push(segment.startsWith('[') ? Number(segment.slice(1, -1)) : segment);
    rest = rest.slice(segment.length);
  }
  if (rest.length > 0 || out.length === 0) {
    throw new ValidationError(
      'json.path',
      `${JSON.stringify(path)} is not a dotted path like customer.id or items[0].sku`,
    );
  }
  return out;
}

const OPS = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function jsonCondition(filter: JsonFieldFilter, p: SqlParams): string {
  const column = JSON_COLUMNS[filter.field];
  if (!column) throw new ValidationError('json.field', `unknown field ${String(filter.field)}`);
  const segments = jsonPathSegments(filter.path);
  const at = `(${column} #> ${p.add(segments.map(String))}::text[])`;
  const op = filter.op ?? 'eq';
  if (op === 'exists') return `jsonb_typeof(${at}) <> 'null'`;
  const value = filter.value;
  if (value === null || value === undefined) {
    if (op === 'eq') return `jsonb_typeof(${at}) = 'null'`;
    if (op === 'ne') return `jsonb_typeof(${at}) IS DISTINCT FROM 'null'`;
    throw new ValidationError('json.value', `null only compares with eq or ne, not ${op}`);
  }
  if (!['string', 'number', 'boolean'].includes(typeof value)) {
    throw new ValidationError('json.value', 'must be a string, number, boolean or null');
  }
  const literal = `${p.add(JSON.stringify(value))}::jsonb`;
  if (op === 'ne') return `${at} IS DISTINCT FROM ${literal}`;
  const sqlOp = OPS[op as keyof typeof OPS];
  if (!sqlOp) throw new ValidationError('json.op', `unknown operator ${String(op)}`);
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
 * The status condition with the (validated) statuses as literals, so that it matches the WHERE of
 * the partial indexes.
 *
 * @throws ValidationError naming `statuses` for an unknown status
 */
export function statusCondition(statuses: readonly string[]): string {
  for (const s of statuses) {
    if (!(DEAD_LETTER_STATUSES as readonly string[]).includes(s)) {
      throw new ValidationError('statuses', `unknown status ${JSON.stringify(s)}`);
    }
  }
  const ordered = DEAD_LETTER_STATUSES.filter((s) => statuses.includes(s));
  return ordered.length === 1
    ? `status = '${ordered[0]}'`
    : `status IN (${ordered.map((s) => `'${s}'`).join(', ')})`;
}

/** Escapes `%`, `_` and `\` for a LIKE pattern. */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The conditions of a filter, as SQL (`WHERE ...` or the empty string). */
export function buildWhere(filter: DeadLetterFilter, p: SqlParams, extra: string[] = []): string {
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
    where.push(`error_message ILIKE ${p.add(`%${likeEscape(filter.errorText)}%`)}`);
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

/** Whether the filter only names statuses and domains, so the counts table can answer its total. */
export function countableFromCounts(filter: DeadLetterFilter): boolean {
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (key === 'statuses' || key === 'domain' || key === 'domains') continue;
    if ((key === 'json' || key === 'excludeDomains') && Array.isArray(value) && value.length === 0) continue;
    if (key === 'belowReplayCap' && value === false) continue;
    return false;
  }
  return true;
}

/** A keyset position: the last row's dead-letter time and sequence number. */
export interface Cursor {
  at: number;
  seq: number;
  order: 'newest' | 'oldest';
}

/** Encodes a keyset position as an opaque string. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.seq, cursor.order === 'newest' ? 'n' : 'o'])).toString(
    'base64url',
  );
}

/** @throws ValidationError naming `cursor` when it is not one this store produced */
export function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      Number.isSafeInteger(value[0]) &&
      Number.isSafeInteger(value[1]) &&
      (value[2] === 'n' || value[2] === 'o')
    ) {
      return { at: value[0], seq: value[1], order: value[2] === 'n' ? 'newest' : 'oldest' };
    }
  } catch {
    // fall through
  }
  throw new ValidationError('cursor', 'is not a cursor returned by a previous page');
}

/** ORDER BY and the keyset condition for an order (time, then sequence as the tiebreak). */
export function ordering(
  order: 'newest' | 'oldest',
  p?: SqlParams,
  cursor?: Cursor,
): { orderBy: string; after?: string } {
  const orderBy =
    order === 'newest'
      ? 'ORDER BY dead_lettered_at DESC, seq ASC'
      : 'ORDER BY dead_lettered_at ASC, seq DESC';
  if (!p || !cursor) return { orderBy };
  const at = p.add(cursor.at);
  const seq = p.add(cursor.seq);
  return {
    orderBy,
    after:
      order === 'newest'
        ? `(dead_lettered_at < ${at} OR (dead_lettered_at = ${at} AND seq > ${seq}))`
        : `(dead_lettered_at > ${at} OR (dead_lettered_at = ${at} AND seq < ${seq}))`,
  };
}
