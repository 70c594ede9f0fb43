/**
 * The JSON-path conditions of dead-letter filters, parsed and checked once for every store: a path
 * like `customer.id` or `items[0].sku` becomes segments (object keys and array indexes), and the
 * field, operator and value are checked before any store turns them into SQL or a script argument.
 */
import { ValidationError } from '../../core/errors.js';
import type { DeadLetterJsonField, JsonFieldFilter } from '../dead-letter-store.js';

/** One path segment: an object key (string) or an array index (number). */
export type JsonPathSegment = string | number;

/** The table column of each JSON field (SQLite and PostgreSQL name them alike). */
export const JSON_FIELD_COLUMNS: Readonly<Record<DeadLetterJsonField, string>> = {
  payload: 'payload',
  metadata: 'metadata',
  snapshot: 'snapshot',
  requestData: 'request_data',
  responseData: 'response_data',
};

/** Whether `field` is one a {@link JsonFieldFilter} can look into. */
export function isJsonField(field: unknown): field is DeadLetterJsonField {
  return typeof field === 'string' && Object.hasOwn(JSON_FIELD_COLUMNS, field);
}

const SEGMENT = /^(?:[A-Za-z0-9_$-]+|\[\d+\])/;

/**
 * Splits `customer.id` or `items[0].sku` into segments.
 *
 * @throws ValidationError naming `json.path` for anything else
 */
export function parseJsonPath(path: string): JsonPathSegment[] {
  if (typeof path !== 'string' || path.length === 0 || path.length > 200) {
    throw new ValidationError('json.path', 'must be a non-empty dotted path of at most 200 characters');
  }
  let rest = path;
  const out: JsonPathSegment[] = [];
  while (rest.length > 0) {
    if (out.length > 0) {
      // A dot must introduce a key: `a.` names nothing and is refused rather than read as `a`.
      if (rest.startsWith('.') && rest.length > 1) rest = rest.slice(1);
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

/** The operators of a {@link JsonFieldFilter}. */
export type JsonOperator = NonNullable<JsonFieldFilter['op']>;

const OPERATORS: ReadonlySet<string> = new Set<JsonOperator>([
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
]);

/** A checked JSON condition. */
export interface JsonCondition {
  field: DeadLetterJsonField;
  /** The field's table column (SQL stores). */
  column: string;
  segments: JsonPathSegment[];
  op: JsonOperator;
  /** The compared value; null for `exists` and for a missing value. */
  value: string | number | boolean | null;
}

/**
 * Checks a JSON condition: a known field, a valid path, a known operator and (except for
 * `exists`) a string, number, boolean or null value; `op` defaults to `eq`.
 *
 * @throws ValidationError naming `json.field`, `json.path`, `json.op` or `json.value`
 */
export function checkJsonFilter(filter: JsonFieldFilter): JsonCondition {
  if (!isJsonField(filter.field)) {
    throw new ValidationError('json.field', `unknown field ${String(filter.field)}`);
  }
  const op = filter.op ?? 'eq';
  if (!OPERATORS.has(op)) throw new ValidationError('json.op', `unknown operator ${String(op)}`);
  const value = op === 'exists' ? null : (filter.value ?? null);
  if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
    throw new ValidationError('json.value', 'must be a string, number, boolean or null');
  }
  return {
    field: filter.field,
    column: JSON_FIELD_COLUMNS[filter.field],
    segments: parseJsonPath(filter.path),
    op,
    value,
  };
}
