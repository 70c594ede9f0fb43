/**
 * The dead-letter queue: forensic records of failed operations (queue jobs land here by
 * themselves; anything else through `store()`), operator workflows with generation checks and an
 * audit trail, retention, queries and throttled replay. It talks only to the `Store` interface.
 */
import type { AdaptiveThrottle } from '../core/adaptive-throttle.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { DeadLetter, DeadLetterAuditEntry } from '../core/dead-letter.js';
import {
  OPEN_DEAD_LETTER_STATUSES,
  REPLAYABLE_DEAD_LETTER_STATUSES,
  TTL_DEAD_LETTER_STATUSES,
} from '../core/dead-letter.js';
import { NotFoundError, RedriveError, ValidationError } from '../core/errors.js';
import { createRedactor } from '../dead-letter-record/redact.js';
import { TypedEmitter } from '../events.js';
import type { DeadLetterFacets, DeadLetterFilter, ScanReport } from '../store/dead-letter-store.js';
import type { Store } from '../store/store.js';
import { createPooledRandom, type FailureInput } from './capture.js';
import { type DeadLetterQueueEvents, type DeadLetterQueueMetrics, emptyDeadLetterMetrics } from './events.js';
import { type DescribedFailureGroup, describeFailureGroups } from './failure-groups.js';
import type { FallbackRecoveryResult } from './fallback.js';
import {
  type DeadLetterQueueConfig,
  type DeadLetterQueueOptions,
  type OperatorAction,
  resolveDeadLetterQueueOptions,
} from './options.js';
import {
  type DeadLetterListFilter,
  type DeadLetterListPage,
  type DeadLetterStats,
  deadLetterStats,
  type ListOptions,
  listDeadLetters,
  type SlaBreachReport,
  selectEntries,
  slaBreached,
  toStoreFilter,
} from './queries.js';
import { FailureRecorder, type StoreFailureResult } from './recorder.js';
import { type RegroupOptions, type RegroupResult, regroupDeadLetters } from './regroup.js';
import { ReplayRegistry } from './replay-registry.js';
import {
  type BatchReplayOptions,
  type BatchReplayResult,
  type ReplayDeps,
  type ReplayOptions,
  type ReplayResult,
  replayBatch,
  replayEntry,
  replayOneThrottled,
  type ThrottledReplayResult,
} from './replay-runner.js';
import { type Replayability, replayability } from './replayability.js';
import {
  assertActor,
  type ResolveBatchOptions,
  type ResolveBatchResult,
  type ResolveOptions,
  type ResolveResult,
  resolveEntries,
  resolveEntry,
} from './resolve.js';
import * as retention from './retention.js';
import { PayloadSealer, withoutSealedPayload } from './sealed-payload.js';

export type { DescribedFailureGroup } from './failure-groups.js';
export type { StoreFailureResult } from './recorder.js';
export type { RegroupOptions, RegroupResult } from './regroup.js';
export type { Replayability } from './replayability.js';
export type { ResolveBatchOptions, ResolveBatchResult, ResolveOptions, ResolveResult } from './resolve.js';

/** Options of {@link DeadLetterQueue.forceReplay}. */
export interface ForceReplayOptions {
  actor: string;
  reason: string;
  ticket?: string;
  expectedGeneration?: number;
}

/** @deprecated Renamed {@link ForceReplayOptions} (see docs/glossary.md). */
export type ForceRedriveOptions = ForceReplayOptions;

/** A dead-letter queue on a {@link Store}. */
export class DeadLetterQueue {
  /** The store the entries live in. */
  readonly backing: Store;
  readonly config: DeadLetterQueueConfig;
  readonly registry: ReplayRegistry;
  private readonly clock: Clock;
  private readonly recorder: FailureRecorder;
  private readonly emitter = new TypedEmitter<DeadLetterQueueEvents>();
  private readonly counters: DeadLetterQueueMetrics = emptyDeadLetterMetrics();
  private readonly authorize: DeadLetterQueueOptions['authorize'];
  private readonly deps: ReplayDeps;

  /** @throws ValidationError naming the offending option */
  constructor(options: DeadLetterQueueOptions) {
    this.config = resolveDeadLetterQueueOptions(options);
    this.backing = options.store;
    this.clock = options.clock ?? systemClock;
    this.registry = options.replayHandlers ?? new ReplayRegistry();
    this.authorize = options.authorize;
    const sealer = options.sealedPayloads === undefined ? null : new PayloadSealer(options.sealedPayloads);
    this.recorder = new FailureRecorder(
      this.backing,
      this.config,
      this.clock,
      options.random ?? createPooledRandom(),
      options.redact === false ? null : createRedactor(options.redact ?? {}),
      this.emitter,
      this.counters,
      sealer,
    );
    this.deps = {
      sealer,
      store: this.backing,
      clock: this.clock,
      registry: this.registry,
      config: this.config,
      emitter: this.emitter,
      metrics: this.counters,
    };
  }

  /** Listens to an event; returns an unsubscribe function. */
  on<E extends keyof DeadLetterQueueEvents>(
    event: E,
    listener: (payload: DeadLetterQueueEvents[E]) => void,
  ): () => void {
    return this.emitter.on(event, listener);
  }

  /** Counters since creation (stored, fallback writes, lost, replays, removals ...). */
  metrics(): DeadLetterQueueMetrics {
    return { ...this.counters };
  }

  // ---- capture (recorder.ts) -------------------------------------------------------------------

  /** The fallback file path, or null when disabled. */
  get fallbackPath(): string | null {
    return this.recorder.fallbackPath;
  }

  /**
   * Records a failed operation. Secrets are redacted and the error fingerprinted before anything
   * is written. In `sync` mode resolves once the record is durable (store or fallback file); in
   * `async` mode resolves at once. If neither the store nor the fallback file takes the record, a
   * sync call rejects with `StoreUnavailableError` and an async one emits `dead_letter.lost`.
   *
   * @throws ValidationError naming the offending field
   */
  store(failure: FailureInput, options: { mode?: 'sync' | 'async' } = {}): Promise<StoreFailureResult> {
    return this.recorder.store(failure, options);
  }

  /** Resolves when every `store()` call so far has settled (for fire-and-forget mode and shutdown). */
  flush(): Promise<void> {
    return this.recorder.flush();
  }

  /**
   * Imports the fallback file into the store (call it once the store is healthy again).
   * Idempotent by id: a crash mid-import, or a second call, duplicates nothing.
   */
  recoverFallback(options: { batchSize?: number } = {}): Promise<FallbackRecoveryResult> {
    return this.recorder.recoverFallback(options);
  }

  // ---- queries ------------------------------------------------------------------------------

  /** One entry, or null. */
  async get(id: string): Promise<DeadLetter | null> {
    return withoutSealedPayload(await this.backing.getDeadLetter({ id }));
  }

  /** One entry, or a {@link NotFoundError}. */
  async mustGet(id: string): Promise<DeadLetter> {
    const entry = await this.backing.getDeadLetter({ id });
    if (!entry) throw new NotFoundError(`dead letter ${id} does not exist`, { id });
    return withoutSealedPayload(entry);
  }

  /** The dead letter of a job, or null. */
  async getByJob(jobId: string): Promise<DeadLetter | null> {
    return withoutSealedPayload(await this.backing.getDeadLetterByJob({ jobId }));
  }

  /** A page of entries (all statuses unless filtered), newest first, with totals. */
  list(filter: DeadLetterListFilter = {}, options: ListOptions = {}): Promise<DeadLetterListPage> {
    return listDeadLetters(this.backing, filter, options);
  }

  /** Status x domain counts; `byStatus` scoped by `domain`, `byDomain` by `status`. */
  facets(scope: Parameters<Store['facetDeadLetters']>[0] = {}): Promise<DeadLetterFacets> {
    return this.backing.facetDeadLetters(scope);
  }

  /**
   * The most frequent failures, grouped by error fingerprint, each with what identifies it (class,
   * parameterized message, first application frame). Default: open entries, top 10.
   */
  async topFailures(
    filter: DeadLetterListFilter & { limit?: number } = {},
  ): Promise<{ groups: DescribedFailureGroup[]; scan: ScanReport | null }> {
    const { limit = 10, ...rest } = filter;
    const storeFilter = toStoreFilter({ status: [...OPEN_DEAD_LETTER_STATUSES], ...rest });
    const top = await this.backing.topDeadLetterFailures({ ...storeFilter, limit });
    return { groups: await describeFailureGroups(this.backing, top.groups), scan: top.scan };
  }

  /**
   * Recomputes stored fingerprints with the current grouping algorithm (entries of older versions,
   * or every entry with `all`), moving entries between groups. Audited when anything changed.
   */
  regroup(options: RegroupOptions = {}): Promise<RegroupResult> {
    return regroupDeadLetters(this.backing, this.clock, options);
  }

  /** Counts per status and domain, the age of the oldest pending entry, and more. */
  stats(): Promise<DeadLetterStats> {
    return deadLetterStats(this.backing, this.clock);
  }

  /** Pending entries with replay budget left, oldest first. */
  replayable(options: { domain?: string; failureType?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    return selectEntries(
      this.backing,
      this.selection(REPLAYABLE_DEAD_LETTER_STATUSES, options, true),
      options.limit ?? 100,
    );
  }

  /** Pending entries, oldest first. */
  pending(options: { domain?: string; failureType?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    return selectEntries(this.backing, this.selection(['pending'], options, false), options.limit ?? 100);
  }

  /** Entries past their TTL: already expired, or open and due for the next `expire()`. */
  expired(options: { limit?: number } = {}): Promise<DeadLetter[]> {
    return selectEntries(
      this.backing,
      { statuses: TTL_DEAD_LETTER_STATUSES, expiresBefore: this.clock.now() },
      options.limit ?? 100,
    );
  }

  /** Open entries older than their domain's SLA (`sla` option). */
  slaBreached(options: { limit?: number } = {}): Promise<SlaBreachReport> {
    return slaBreached(this.backing, this.clock, this.config, options.limit ?? 100);
  }

  private selection(
    statuses: DeadLetterFilter['statuses'],
    options: { domain?: string; failureType?: string },
    belowReplayCap: boolean,
  ): DeadLetterFilter {
    return {
      statuses,
      ...(belowReplayCap ? { belowReplayCap } : {}),
      ...(options.domain !== undefined ? { domain: options.domain } : {}),
      ...(options.failureType !== undefined ? { failureType: options.failureType } : {}),
    };
  }

  /** The audit trail, newest first (of one entry, or all). */
  audit(
    options: { id?: string; action?: string; actor?: string; before?: number; limit?: number } = {},
  ): Promise<{ items: DeadLetterAuditEntry[]; nextBefore: number | null }> {
    return this.backing.listAudit({
      limit: Math.min(Math.max(1, options.limit ?? 50), 1000),
      ...(options.id !== undefined ? { deadLetterId: options.id } : {}),
      ...(options.action !== undefined ? { action: options.action } : {}),
      ...(options.actor !== undefined ? { actor: options.actor } : {}),
      ...(options.before !== undefined ? { before: options.before } : {}),
    });
  }

  // ---- operator workflows ---------------------------------------------------------------------

  private async allow(action: OperatorAction): Promise<void> {
    if (this.authorize && !(await this.authorize(action))) {
      throw new RedriveError('FORBIDDEN', 403, `${action.actor} may not ${action.action.replace('_', '-')}`, {
        details: { ...action },
      });
    }
  }

  /** Whether {@link replayOne} can replay this entry now, and if not, why (nothing is changed). */
  replayability(entry: DeadLetter): Promise<Replayability> {
    return replayability(this.deps, entry);
  }

  /**
   * Replays one entry through its handler: cap gate, atomic acquire, handler, cap-aware finish.
   * `success` means the handler succeeded.
   *
   * @throws NotFoundError (404); StateConflictError (409: resolved, archived, at cap, not
   *   replayable, no handler, stale generation, or being replayed by someone else); ReplayError (500)
   */
  async replayOne(id: string, options: ReplayOptions = {}): Promise<ReplayResult> {
    await this.allow({ action: 'retry', actor: options.actor ?? 'system', ids: [id] });
    return replayEntry(this.deps, id, options);
  }

  /** @deprecated Renamed {@link replayOne}: it replays the entry (see docs/glossary.md). */
  retry(id: string, options: ReplayOptions = {}): Promise<ReplayResult> {
    return this.replayOne(id, options);
  }

  /**
   * Admin override for an entry whose budget is spent (after fixing the cause): audited (actor,
   * reason, ticket, before/after state), grants a fresh budget of `maxReplayAttempts` replays
   * counting this one, so a still-broken entry converges to `requires_review` again.
   */
  async forceReplay(id: string, options: ForceReplayOptions): Promise<ReplayResult> {
    if (typeof options?.actor !== 'string' || options.actor.trim() === '')
      throw new ValidationError('actor', 'force-redrive needs the acting operator');
    if (typeof options.reason !== 'string' || options.reason.trim() === '')
      throw new ValidationError('reason', 'force-redrive needs a reason for the audit trail');
    await this.allow({ action: 'force_redrive', actor: options.actor, ids: [id] });
    return replayEntry(this.deps, id, {
      actor: options.actor,
      ...(options.expectedGeneration !== undefined ? { expectedGeneration: options.expectedGeneration } : {}),
      force: { reason: options.reason, ticket: options.ticket ?? null },
    });
  }
  /** @deprecated Renamed {@link forceReplay} (see docs/glossary.md). */
  forceRedrive(id: string, options: ForceReplayOptions): Promise<ReplayResult> {
    return this.forceReplay(id, options);
  }

  /**
   * Closes an entry by hand (`pending` or `requires_review` -> `resolved`), audited.
   *
   * @throws NotFoundError (404); StateConflictError (409) when resolved, archived, replaying or stale
   */
  async resolve(id: string, options: ResolveOptions): Promise<ResolveResult> {
    assertActor(options?.actor);
    await this.allow({ action: 'resolve', actor: options.actor, ids: [id] });
    return resolveEntry(this.deps, id, options);
  }

  /** Resolves many entries in chunks (one transaction each); reports resolved / skipped / not found. */
  async resolveBatch(ids: readonly string[], options: ResolveBatchOptions): Promise<ResolveBatchResult> {
    if (!Array.isArray(ids)) throw new ValidationError('ids', 'must be an array of ids');
    assertActor(options?.actor);
    await this.allow({ action: 'resolve', actor: options.actor, ids });
    return resolveEntries(this.deps, ids, options);
  }

  /** Replays up to `batchSize` replayable entries (oldest first); `dryRun` only counts them. */
  async replay(options: BatchReplayOptions = {}): Promise<BatchReplayResult> {
    await this.allow({ action: 'replay_batch', actor: options.actor ?? 'system', ids: [] });
    return replayBatch(this.deps, options);
  }

  /**
   * Throttle-aware batch replay (default up to 100 entries, health checked before each entry):
   * stops early with `earlyStopReason` when the throttle reports an emergency or the breaker is open.
   */
  async replayThrottled(
    options: BatchReplayOptions & { throttle: AdaptiveThrottle },
  ): Promise<BatchReplayResult> {
    if (!options?.throttle) throw new ValidationError('throttle', 'an AdaptiveThrottle is required');
    await this.allow({ action: 'replay_batch', actor: options.actor ?? 'system', ids: [] });
    return replayBatch(this.deps, options);
  }

  /** One throttle-aware replay: TTL, budget, throttle permit, replay. */
  async replayOneThrottled(
    id: string,
    throttle: AdaptiveThrottle,
    options: ReplayOptions = {},
  ): Promise<ThrottledReplayResult> {
    await this.allow({ action: 'retry', actor: options.actor ?? 'system', ids: [id] });
    return replayOneThrottled(this.deps, id, throttle, options);
  }

  // ---- retention ------------------------------------------------------------------------------

  /** Expires open entries past their TTL (drained in batches). Returns how many. */
  async expire(): Promise<number> {
    return (await retention.expireEntries(this.deps)).length;
  }

  /** Archives resolved and expired entries older than `days` (default: the retention period). */
  async archiveOlderThan(days = this.config.retentionDays): Promise<number> {
    return (await retention.archiveOlderThan(this.deps, days)).length;
  }

  /** Expire, then archive. */
  async cleanup(options: { daysOld?: number } = {}): Promise<{ expired: number; archived: number }> {
    const expired = await this.expire();
    const archived = await this.archiveOlderThan(options.daysOld ?? this.config.retentionDays);
    return { expired, archived };
  }

  /** Deletes archived entries (given ids, or archived more than `olderThanDays` ago). Counted and audited. */
  async purgeArchived(
    options: { ids?: readonly string[]; olderThanDays?: number; actor?: string } = {},
  ): Promise<number> {
    await this.allow({ action: 'purge', actor: options.actor ?? 'retention', ids: options.ids ?? [] });
    return (await retention.purgeArchived(this.deps, options)).length;
  }

  /** Archived entries older than `days`. */
  countArchivedOlderThan(days: number): Promise<number> {
    return retention.countArchivedOlderThan(this.deps, days);
  }

  /** What cleanup and purge would do now. */
  cleanupStats(): Promise<retention.CleanupStats> {
    return retention.cleanupStats(this.deps);
  }

  /** Returns abandoned replays (older than `stuckReplayMs`) to `pending` / `requires_review`. */
  async releaseStuckReplays(): Promise<number> {
    return (await retention.releaseStuckReplays(this.deps)).length;
  }

  /** Waits for pending writes. Does not close the store. */
  async close(): Promise<void> {
    await this.flush();
  }
}
