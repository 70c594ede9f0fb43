/**
 * Retention: the only way dead letters change without an operator, and the only way they leave the
 * store. Open entries past their TTL expire; resolved and expired entries are archived after the
 * retention period; archived entries are purged after it. Every sweep is drained in bounded
 * batches, and every removal is counted (metric, event, audit entry, and the store's own tally).
 */
import type { Clock } from '../core/clock.js';
import {
  ARCHIVABLE_DEAD_LETTER_STATUSES,
  EXPIRABLE_DEAD_LETTER_STATUSES,
  PURGEABLE_DEAD_LETTER_STATUSES,
} from '../core/dead-letter.js';
import { ValidationError } from '../core/errors.js';
import type { TypedEmitter } from '../events.js';
import type { Store } from '../store/store.js';
import type { DeadLetterQueueEvents, DeadLetterQueueMetrics } from './events.js';
import type { DeadLetterQueueConfig } from './options.js';

const DAY_MS = 86_400_000;

/**
 * The exclusive `before` bound for "changed more than `days` ago", counted up to and including
 * `now`: with 0 days an entry archived in this very millisecond (by the cleanup that runs just
 * before a purge, in the same call) is old enough; a strict `now` would keep it on a fast machine.
 */
function olderThan(now: number, days: number): number {
  return now - days * DAY_MS + 1;
}

/** What retention needs from the queue. */
export interface RetentionDeps {
  store: Store;
  clock: Clock;
  config: DeadLetterQueueConfig;
  emitter: TypedEmitter<DeadLetterQueueEvents>;
  metrics: DeadLetterQueueMetrics;
}

/** Counts for a cleanup dry run and the dashboard. */
export interface CleanupStats {
  retentionDays: number;
  /** Open entries past their TTL (the next `expire()` takes them). */
  expirable: number;
  /** Resolved and expired entries older than the retention period (the next `archiveOlderThan()` takes them). */
  archivable: number;
  /** Archived entries older than the retention period (the next `purgeArchived()` deletes them). */
  purgeable: number;
  canArchive: boolean;
  canPurge: boolean;
  byStatus: Record<string, number>;
  /** Entries ever purged (the store's tally). */
  purgedTotal: number;
}

function assertDays(field: string, days: number): void {
  if (typeof days !== 'number' || !Number.isFinite(days) || days < 0) {
    throw new ValidationError(field, `must be a non-negative number of days, got ${String(days)}`);
  }
}

/** Lets timers and I/O (heartbeats, claims, `/healthz`) run before the next batch. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Repeats a bounded sweep until it moves fewer rows than a batch, or `maxRows` are done. A store
 * that answers synchronously (SQLite) resolves each step in a microtask, so without the yield
 * between batches a backlog of 100k expired entries held the event loop for seconds, starving
 * the worker's lease heartbeats in the same process.
 */
async function drain(
  step: (limit: number) => Promise<string[]>,
  batch: number,
  maxRows = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  const all: string[] = [];
  for (;;) {
    const limit = Math.min(batch, maxRows - all.length);
    if (limit <= 0) break;
    const ids = await step(limit);
    all.push(...ids);
    if (ids.length < limit) break;
    await yieldToEventLoop();
  }
  return all;
}

/** Expires open entries past their TTL, in batches. Returns the ids. */
export async function expireEntries(
  deps: RetentionDeps,
  options: { maxRows?: number } = {},
): Promise<string[]> {
  const ids = await drain(
    async (limit) =>
      (await deps.store.transitionDeadLetters({ action: 'expire', now: deps.clock.now(), limit })).ids,
    deps.config.maintenanceBatchSize,
    options.maxRows,
  );
  if (ids.length > 0) {
    deps.metrics.expired += ids.length;
    deps.emitter.emit('dead_letter.expired', { ids });
  }
  return ids;
}

/** Archives resolved and expired entries last changed more than `days` ago. Returns the ids. */
export async function archiveOlderThan(deps: RetentionDeps, days: number): Promise<string[]> {
  assertDays('olderThanDays', days);
  const now = deps.clock.now();
  const before = olderThan(now, days);
  const ids = await drain(
    async (limit) => (await deps.store.transitionDeadLetters({ action: 'archive', now, before, limit })).ids,
    deps.config.maintenanceBatchSize,
  );
  if (ids.length > 0) {
    deps.metrics.archived += ids.length;
    deps.emitter.emit('dead_letter.archived', { ids });
  }
  return ids;
}

/**
 * Deletes archived entries: the given ids, or those archived more than `olderThanDays` ago
 * (default: the retention period). Counted and audited.
 */
export async function purgeArchived(
  deps: RetentionDeps,
  options: { ids?: readonly string[]; olderThanDays?: number; actor?: string } = {},
): Promise<string[]> {
  const now = deps.clock.now();
  const days = options.olderThanDays ?? (options.ids ? undefined : deps.config.retentionDays);
  if (days !== undefined) assertDays('olderThanDays', days);
  const before = days === undefined ? undefined : olderThan(now, days);
  const actor = options.actor ?? 'retention';
  const ids = await drain(
    async (limit) =>
      (
        await deps.store.purgeDeadLetters({
          limit,
          now,
          ...(before !== undefined ? { before } : {}),
          ...(options.ids ? { ids: options.ids } : {}),
        })
      ).ids,
    deps.config.maintenanceBatchSize,
  );
  if (ids.length > 0) {
    deps.metrics.purged += ids.length;
    await deps.store.appendAudit({
      entries: [
        {
          deadLetterId: null,
          action: 'purge',
          actor,
          reason: days === undefined ? 'explicit ids' : `archived more than ${days} days ago`,
          ticket: null,
          at: now,
          beforeStatus: 'archived',
          afterStatus: null,
          beforeGeneration: null,
          afterGeneration: null,
          details: { count: ids.length, ids: ids.slice(0, 1000), truncated: ids.length > 1000 },
        },
      ],
    });
    deps.emitter.emit('dead_letter.purged', { ids, actor });
  }
  return ids;
}

/** Archived entries older than `days`. */
export async function countArchivedOlderThan(deps: RetentionDeps, days: number): Promise<number> {
  assertDays('olderThanDays', days);
  const page = await deps.store.listDeadLetters({
    statuses: PURGEABLE_DEAD_LETTER_STATUSES,
    updatedBefore: olderThan(deps.clock.now(), days),
    limit: 0,
  });
  return page.total ?? 0;
}

/** Returns abandoned replays (their replayer died) to `pending` or `requires_review`. */
export async function releaseStuckReplays(deps: RetentionDeps): Promise<string[]> {
  const now = deps.clock.now();
  const ids = await drain(
    async (limit) =>
      (
        await deps.store.transitionDeadLetters({
          action: 'release_stuck',
          now,
          before: now - deps.config.stuckReplayMs,
          limit,
        })
      ).ids,
    deps.config.maintenanceBatchSize,
  );
  if (ids.length > 0) {
    deps.metrics.released += ids.length;
    deps.emitter.emit('dead_letter.released', { ids });
  }
  return ids;
}

/** Counts for a dry run of cleanup. */
export async function cleanupStats(deps: RetentionDeps): Promise<CleanupStats> {
  const now = deps.clock.now();
  const before = olderThan(now, deps.config.retentionDays);
  const count = async (filter: Parameters<Store['listDeadLetters']>[0]) =>
    (await deps.store.listDeadLetters({ ...filter, limit: 0 })).total ?? 0;
  const [stats, expirable, archivable, purgeable] = await Promise.all([
    deps.store.getDeadLetterStats({ now }),
    count({ statuses: EXPIRABLE_DEAD_LETTER_STATUSES, expiresBefore: now, limit: 0 }),
    count({ statuses: ARCHIVABLE_DEAD_LETTER_STATUSES, updatedBefore: before, limit: 0 }),
    count({ statuses: PURGEABLE_DEAD_LETTER_STATUSES, updatedBefore: before, limit: 0 }),
  ]);
  return {
    retentionDays: deps.config.retentionDays,
    expirable,
    archivable,
    purgeable,
    canArchive: archivable > 0,
    canPurge: purgeable > 0,
    byStatus: stats.byStatus,
    purgedTotal: stats.purgedTotal,
  };
}
