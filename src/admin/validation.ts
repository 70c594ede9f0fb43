/**
 * Request validation with zod: bodies strictly (unknown keys are refused, types are not coerced),
 * query strings leniently (numbers and lists parsed from text). Failures become a 400
 * `VALIDATION_FAILED` whose message and `details.field` name the offending field.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { parseTimeText, TIME_TEXT_FORMATS } from '../core/time-text.js';

/** Parses `value` with `schema`; the error names the field (`where` when the value itself is wrong). */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query' | 'params'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let field = issue.path.map(String).join('.');
  let message = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    field = field === '' ? key : `${field}.${key}`;
    message = 'is not a known field';
  }
  if (issue.code === 'invalid_type' && /received undefined$/.test(message)) message = 'is required';
  if (field === '') field = where;
  return raise(field, message);
}

function raise(field: string, message: string): never {
  throw new ValidationError(field, message);
}

/** Parses a JSON body (`undefined` — no body — parses as `{}`). */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  return parseWith(schema, body ?? {}, 'body');
}

/** Parses a query string object. */
export function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  return parseWith(schema, query ?? {}, 'query');
}

/** A single query value (a repeated parameter is refused). */
const single = z.string({ error: 'must be given once, as text' });

/** An integer query parameter in [min, max], with a default. */
export function intParam(min: number, max: number) {
  return single
    .regex(/^-?\d+$/, { error: 'must be an integer' })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` }),
    );
}

/** A time query parameter: milliseconds since the epoch, or an ISO 8601 date. */
export const timeParam = single.transform((text, ctx) => {
  const value = parseTimeText(text);
  if (value === null) {
    ctx.addIssue({ code: 'custom', message: `must be ${TIME_TEXT_FORMATS}` });
    return z.NEVER;
  }
  return value;
});

/** A boolean query parameter: `true`/`false`/`1`/`0`. */
export const boolParam = single
  .regex(/^(true|false|1|0)$/, { error: 'must be true or false' })
  .transform((text) => text === 'true' || text === '1');

/** A list query parameter: comma-separated, or repeated. */
export function listParam<T extends string>(values: readonly T[]) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) =>
      (Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .pipe(z.array(z.enum(values as [T, ...T[]], { error: `must be one of ${values.join(', ')}` })));
}

/** A short free-text query parameter. */
export function textParam(max = 500) {
  return single.max(max, { error: `must be at most ${max} characters` });
}
