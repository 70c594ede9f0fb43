/**
 * Read-side of the dead-letter queue: pages (offset or cursor, done by the store), facets, failure
 * groups, stats and SLA breaches. Nothing here loads more rows than it returns.
 */
import type { Clock } from '../core/clock.js';
import type { DeadLetter, DeadLetterStatus } from '../core/dead-letter.js';
import { DEAD_LETTER_STATUSES, OPEN_DEAD_LETTER_STATUSES } from '../core/dead-letter.js';
import { ValidationError } from '../core/errors.js';
import type {
  DeadLetterFilter,
  DeadLetterJsonField,
  DeadLetterStoreStats,
  FailureGroup,
  JsonFieldFilter,
  ScanReport,
} from '../store/dead-letter-store.js';
import type { Store } from '../store/store.js';
import type { DeadLetterQueueConfig } from './options.js';
import { withoutSealedPayload } from './sealed-payload.js';

/** The largest page. */
export const MAX_PAGE_SIZE = 100;

/**
 * A condition on a JSON field, written with the field as the first path segment:
 * `{ path: 'payload.customer.id', value: 42 }`.
 */
export interface JsonPathCondition {
  path: string;
  op?: JsonFieldFilter['op'];
  value?: JsonFieldFilter['value'];
}

/** Filters of {@link listDeadLetters}. */
export interface DeadLetterListFilter extends Omit<DeadLetterFilter, 'json' | 'statuses'> {
  /** One status or several; all statuses by default. */
  status?: DeadLetterStatus | readonly DeadLetterStatus[];
  /** Conditions on payload/metadata/snapshot/requestData/responseData fields. */
  where?: readonly JsonPathCondition[];
}

/** Page options of {@link listDeadLetters}. */
export interface ListOptions {
  /** 1-based page number (clamped to >= 1). Default 1. */
  page?: number;
  /** Items per page, 1..100. Default 20. */
  pageSize?: number;
  /** Continue after a previous page (keyset, constant time at any depth); overrides `page`. */
  cursor?: string;
  order?: 'newest' | 'oldest';
}

/** A page of dead letters with its navigation. */
export interface DeadLetterListPage {
  results: DeadLetter[];
  page: number;
  pageSize: number;
  totalCount: number;
  totalPages: number;
  hasNext: boolean;
  hasPrevious: boolean;
  /** Pass as `cursor` to get the next page in constant time. */
  nextCursor: string | null;
  /** Present when a condition no index serves was checked by a bounded scan (see {@link ScanReport}). */
  scan?: ScanReport;
}

const JSON_FIELDS: readonly DeadLetterJsonField[] = [
  'payload',
  'metadata',
  'snapshot',
  'requestData',
  'responseData',
];

/** Splits `payload.customer.id` into field and path. */
export function parseJsonCondition(condition: JsonPathCondition): JsonFieldFilter {
  const path = condition?.path;
  if (typeof path !== 'string')
    throw new ValidationError('where.path', 'must be a string like payload.customerId');
  const dot = path.indexOf('.');
  const field = (dot < 0 ? path : path.slice(0, dot)) as DeadLetterJsonField;
  if (!JSON_FIELDS.includes(field) || dot < 0) {
    throw new ValidationError(
      'where.path',
      `must start with one of ${JSON_FIELDS.join(', ')} and name a field, e.g. payload.customerId (got ${JSON.stringify(path)})`,
    );
  }
  return {
    field,
    path: path.slice(dot + 1),
    ...(condition.op !== undefined ? { op: condition.op } : {}),
    ...(condition.value !== undefined ? { value: condition.value } : {}),
  };
}

/** Converts the public filter to the store's. */
export function toStoreFilter(filter: DeadLetterListFilter = {}): DeadLetterFilter {
  const { status, where, ...rest } = filter;
  const statuses = status === undefined ? undefined : typeof status === 'string' ? [status] : [...status];
  for (const s of statuses ?? []) {
    if (!DEAD_LETTER_STATUSES.includes(s)) {
      throw new ValidationError(
        'status',
        `must be one of ${DEAD_LETTER_STATUSES.join(', ')}, got ${String(s)}`,
      );
    }
  }
  return {
    ...rest,
    ...(statuses ? { statuses } : {}),
    ...(where && where.length > 0 ? { json: where.map(parseJsonCondition) } : {}),
  };
}

/** A page of dead letters; pagination and counting happen in the store. */
export async function listDeadLetters(
  store: Store,
  filter: DeadLetterListFilter = {},
  options: ListOptions = {},
): Promise<DeadLetterListPage> {
  const pageSize = options.pageSize ?? 20;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new ValidationError(
      'pageSize',
      `must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${String(pageSize)}`,
    );
  }
  const page = Math.max(1, Math.floor(Number.isFinite(options.page) ? (options.page as number) : 1));
  const result = await store.listDeadLetters({
    ...toStoreFilter(filter),
    limit: pageSize,
    ...(options.cursor !== undefined ? { cursor: options.cursor } : { offset: (page - 1) * pageSize }),
    order: options.order ?? 'newest',
  });
  const totalCount = result.total ?? 0;
  const totalPages = Math.ceil(totalCount / pageSize);
  return {
    results: result.items.map(withoutSealedPayload),
    page,
    pageSize,
    totalCount,
    totalPages,
    hasNext: result.nextCursor !== null && (options.cursor !== undefined || page < totalPages),
    hasPrevious: options.cursor === undefined && page > 1,
    nextCursor: result.nextCursor,
    ...(result.scan ? { scan: result.scan } : {}),
  };
}

/** Up to `limit` entries matching `filter`, oldest first. */
export async function selectEntries(
  store: Store,
  filter: DeadLetterFilter,
  limit: number,
  order: 'newest' | 'oldest' = 'oldest',
): Promise<DeadLetter[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new ValidationError('limit', `must be an integer from 1 to 10000, got ${String(limit)}`);
  }
  return (await store.listDeadLetters({ ...filter, limit, order, withTotal: false })).items.map(
    withoutSealedPayload,
  );
}

/** Stats with ages computed on the queue's clock. */
export interface DeadLetterStats extends DeadLetterStoreStats {
  /** Age of the oldest `pending` entry, in ms. */
  oldestPendingAgeMs: number | null;
  /** Entries needing attention: pending + requires_review. */
  open: number;
}

export async function deadLetterStats(store: Store, clock: Clock): Promise<DeadLetterStats> {
  const now = clock.now();
  const stats = await store.getDeadLetterStats({ now });
  return {
    ...stats,
    oldestPendingAgeMs: stats.oldestPendingAt === null ? null : Math.max(0, now - stats.oldestPendingAt),
    open: stats.byStatus.pending + stats.byStatus.requires_review,
  };
}

/** Open entries older than their domain's SLA. */
export interface SlaBreachReport {
  items: DeadLetter[];
  /** Per domain (configured ones, and `*` for the default), how many entries breach. */
  breaches: { domain: string; slaMs: number; count: number }[];
}

/**
 * Open (`pending` or `requires_review`) entries dead-lettered longer ago than their domain's SLA
 * (`sla.domains[domain]`, else `sla.defaultMs`; domains with neither have no SLA). Oldest first.
 */
export async function slaBreached(
  store: Store,
  clock: Clock,
  config: DeadLetterQueueConfig,
  limit = 100,
): Promise<SlaBreachReport> {
  const now = clock.now();
  const open = OPEN_DEAD_LETTER_STATUSES;
  const groups: { domain: string; slaMs: number; filter: DeadLetterFilter }[] = Object.entries(
    config.sla.domains,
  ).map(([domain, slaMs]) => ({ domain, slaMs, filter: { statuses: open, domain, to: now - slaMs } }));
  if (config.sla.defaultMs !== undefined) {
    const configured = Object.keys(config.sla.domains);
    groups.push({
      domain: '*',
      slaMs: config.sla.defaultMs,
      filter: { statuses: open, excludeDomains: configured, to: now - config.sla.defaultMs },
    });
  }
  const pages = await Promise.all(
    groups.map((g) => store.listDeadLetters({ ...g.filter, limit, order: 'oldest' })),
  );
  const items = pages
    .flatMap((p) => p.items)
    .sort((a, b) => a.deadLetteredAt - b.deadLetteredAt)
    .slice(0, limit)
    .map(withoutSealedPayload);
  return {
    items,
    breaches: groups.map((g, i) => ({ domain: g.domain, slaMs: g.slaMs, count: pages[i]!.total ?? 0 })),
  };
}

export type { FailureGroup };
