/**
 * The dead-letter filter options shared by `dlq list`, `dlq resolve` and `dlq replay`.
 */
import type { Command } from 'commander';
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from '../../../core/dead-letter.js';
import { JSON_FILTER_PREFIXES, jsonFilterValue } from '../../../dlq/json-filter.js';
import type { DeadLetterListFilter, JsonPathCondition } from '../../../dlq/queries.js';
import { UsageError } from '../../cli-error.js';
import { collect, timeArg } from '../../common.js';

/** The filter options as commander parses them. */
export interface FilterOptions {
  status?: string;
  domain?: string;
  queue?: string;
  failureType?: string;
  search?: string;
  entityType?: string;
  entityId?: string;
  fingerprint?: string;
  from?: number;
  to?: number;
  where?: string[];
}

/** Adds the filter options to a command. */
export function withFilterOptions(command: Command): Command {
  return command
    .option('--status <statuses>', `comma-separated: ${DEAD_LETTER_STATUSES.join(', ')}`)
    .option('--domain <domain>', 'only this domain')
    .option('--queue <queue>', 'only dead letters of this queue')
    .option('--failure-type <type>', 'only this failure type (permanent, retries_exhausted, ...)')
    .option('--search <text>', 'text in the error message (case-insensitive)')
    .option('--entity-type <type>', 'only this entity type')
    .option('--entity-id <id>', 'only this entity')
    .option('--fingerprint <fp>', 'only this failure group')
    .option('--from <time>', 'dead-lettered at or after (ISO date, ms, or an age like 2h)', timeArg)
    .option('--to <time>', 'dead-lettered before (ISO date, ms, or an age like 2h)', timeArg)
    .option(
      '--where <path=value>',
      'a JSON field equals a value, e.g. payload.customer.id=42 (repeatable)',
      collect,
    );
}

/** Parses `--status`. */
export function parseStatuses(value: string | undefined): DeadLetterStatus[] | undefined {
  if (value === undefined) return undefined;
  const statuses = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of statuses) {
    if (!DEAD_LETTER_STATUSES.includes(s as DeadLetterStatus)) {
      throw new UsageError(`unknown status '${s}' (expected ${DEAD_LETTER_STATUSES.join(', ')})`);
    }
  }
  return statuses as DeadLetterStatus[];
}

function parseWhere(values: string[] | undefined): JsonPathCondition[] {
  return (values ?? []).map((text) => {
    const eq = text.indexOf('=');
    const path = eq < 0 ? '' : text.slice(0, eq);
    if (eq < 1 || !JSON_FILTER_PREFIXES.some((p) => path.startsWith(p))) {
      throw new UsageError(
        `--where '${text}' must look like payload.<path>=<value> (also metadata., snapshot., requestData., responseData.)`,
      );
    }
    return { path, op: 'eq' as const, value: jsonFilterValue(text.slice(eq + 1)) };
  });
}

/** The dead-letter queue filter the options describe. */
export function filterFromOptions(o: FilterOptions): DeadLetterListFilter {
  const filter: DeadLetterListFilter = {};
  const status = parseStatuses(o.status);
  if (status && status.length > 0) filter.status = status;
  if (o.domain !== undefined) filter.domain = o.domain;
  if (o.queue !== undefined) filter.queue = o.queue;
  if (o.failureType !== undefined) filter.failureType = o.failureType;
  if (o.search !== undefined && o.search.trim() !== '') filter.errorText = o.search.trim();
  if (o.entityType !== undefined) filter.entityType = o.entityType;
  if (o.entityId !== undefined) filter.entityId = o.entityId;
  if (o.fingerprint !== undefined) filter.fingerprint = o.fingerprint;
  if (o.from !== undefined) filter.from = o.from;
  if (o.to !== undefined) filter.to = o.to;
  const where = parseWhere(o.where);
  if (where.length > 0) filter.where = where;
  return filter;
}

/** Whether any filter option was given. */
export function hasFilter(o: FilterOptions): boolean {
  return Object.keys(filterFromOptions(o)).length > 0;
}
