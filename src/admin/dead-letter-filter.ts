/**
 * The dead-letter filter of the admin API, in its two forms: a query string (list, top failures)
 * and a JSON body (batch preview, batch resolve). Both become the dead-letter queue's
 * `DeadLetterListFilter`.
 */
import { z } from 'zod';
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from '../core/dead-letter.js';
import { ValidationError } from '../core/errors.js';
import { JSON_FILTER_PREFIXES, jsonFilterValue } from '../dlq/json-filter.js';
import type { DeadLetterListFilter, JsonPathCondition } from '../dlq/queries.js';
import { listParam, parseQuery, textParam, timeParam } from './validation.js';

/** Most JSON-field conditions in one filter. */
export const MAX_JSON_CONDITIONS = 10;

const statuses = DEAD_LETTER_STATUSES as readonly DeadLetterStatus[];

/** The query-string fields of a dead-letter filter. */
export const filterQueryShape = {
  status: listParam(statuses).optional(),
  domain: textParam(200).optional(),
  queue: textParam(200).optional(),
  failureType: textParam(100).optional(),
  q: textParam(500).optional(),
  entityType: textParam(200).optional(),
  entityId: textParam(200).optional(),
  userId: textParam(200).optional(),
  jobId: textParam(100).optional(),
  fingerprint: textParam(200).optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
};

const filterQuerySchema = z.object(filterQueryShape);

type FilterQuery = z.output<typeof filterQuerySchema>;

/** The JSON-field conditions of a query string (`payload.<path>=<value>`). */
export function jsonConditionsFromQuery(query: Record<string, unknown>): JsonPathCondition[] {
  const conditions: JsonPathCondition[] = [];
  for (const [key, raw] of Object.entries(query)) {
    if (!JSON_FILTER_PREFIXES.some((p) => key.startsWith(p))) continue;
    if (typeof raw !== 'string') throw new ValidationError(key, 'must be given once');
    if (key.length > 300) throw new ValidationError(key.slice(0, 40), 'the path is too long');
    if (raw.length > 500) throw new ValidationError(key, 'must be at most 500 characters');
    conditions.push({ path: key, op: 'eq', value: jsonFilterValue(raw) });
  }
  if (conditions.length > MAX_JSON_CONDITIONS) {
    throw new ValidationError('payload', `at most ${MAX_JSON_CONDITIONS} field conditions`);
  }
  return conditions;
}

function toListFilter(f: Partial<FilterQuery>, where: JsonPathCondition[]): DeadLetterListFilter {
  const filter: DeadLetterListFilter = {};
  if (f.status && f.status.length > 0) filter.status = f.status;
  if (f.domain !== undefined) filter.domain = f.domain;
  if (f.queue !== undefined) filter.queue = f.queue;
  if (f.failureType !== undefined) filter.failureType = f.failureType;
  if (f.q !== undefined && f.q.trim() !== '') filter.errorText = f.q.trim();
  if (f.entityType !== undefined) filter.entityType = f.entityType;
  if (f.entityId !== undefined) filter.entityId = f.entityId;
  if (f.userId !== undefined) filter.userId = f.userId;
  if (f.jobId !== undefined) filter.jobId = f.jobId;
  if (f.fingerprint !== undefined) filter.fingerprint = f.fingerprint;
  if (f.from !== undefined) filter.from = f.from;
  if (f.to !== undefined) filter.to = f.to;
  if (where.length > 0) filter.where = where;
  return filter;
}

/** Parses the filter fields of a query string. */
export function filterFromQuery(query: unknown): DeadLetterListFilter {
  const parsed = parseQuery(filterQuerySchema, query);
  return toListFilter(parsed, jsonConditionsFromQuery((query ?? {}) as Record<string, unknown>));
}

const text = (max: number) => z.string().max(max, { error: `must be at most ${max} characters` });

/** The body form of a dead-letter filter. */
export const filterBodySchema = z.strictObject({
  status: z.union([z.enum(statuses), z.array(z.enum(statuses)).max(statuses.length)]).optional(),
  domain: text(200).optional(),
  queue: text(200).optional(),
  failureType: text(100).optional(),
  q: text(500).optional(),
  entityType: text(200).optional(),
  entityId: text(200).optional(),
  userId: text(200).optional(),
  jobId: text(100).optional(),
  fingerprint: text(200).optional(),
  from: z.number().int().min(0).optional(),
  to: z.number().int().min(0).optional(),
  where: z
    .array(
      z.strictObject({
        path: text(300),
        op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'exists']).optional(),
        value: z.union([z.string().max(500), z.number(), z.boolean(), z.null()]).optional(),
      }),
    )
    .max(MAX_JSON_CONDITIONS)
    .optional(),
});

/** A filter from a JSON body. */
export function filterFromBody(body: z.output<typeof filterBodySchema>): DeadLetterListFilter {
  const status =
    body.status === undefined ? undefined : typeof body.status === 'string' ? [body.status] : body.status;
  return toListFilter({ ...body, status }, body.where ?? []);
}
