/**
 * The replay pipeline for one entry — cap gate, atomic acquire (`pending` -> `replaying`), the
 * handler, a cap-aware finish (`resolved`, back to `pending`, or `requires_review` when the budget
 * is spent) — and the batch replays built on it, plain and throttle-aware.
 */

import type { AdaptiveThrottle } from '../core/adaptive-throttle.js';
import { asError } from '../core/as-error.js';
import type { CircuitBreakerLike } from '../core/circuit-breaker.js';
import type { Clock } from '../core/clock.js';
import type { DeadLetter, DeadLetterStatus } from '../core/dead-letter.js';
import { REDRIVABLE_DEAD_LETTER_STATUSES, REPLAYABLE_DEAD_LETTER_STATUSES } from '../core/dead-letter.js';
import { NotFoundError, ReplayError, StateConflictError } from '../core/errors.js';
import type { TypedEmitter } from '../events.js';
import type { DeadLetterChangeResult, DeadLetterFilter } from '../store/dead-letter-store.js';
import type { Store } from '../store/store.js';
import type { DeadLetterQueueEvents, DeadLetterQueueMetrics } from './events.js';
import type { DeadLetterQueueConfig } from './options.js';
import type { ReplayRegistry, ResolvedHandler } from './replay-registry.js';
import { forReplay, type PayloadSealer } from './sealed-payload.js';

/** What the pipeline needs from the queue. */
export interface ReplayDeps {
  store: Store;
  clock: Clock;
  registry: ReplayRegistry;
  config: DeadLetterQueueConfig;
  emitter: TypedEmitter<DeadLetterQueueEvents>;
  metrics: DeadLetterQueueMetrics;
  /** Opens the sealed payloads of `store()` entries for their replay handler (sealed-payload.ts). */
  sealer: PayloadSealer | null;
}

/** Options of one replay. */
export interface ReplayOptions {
  /** The generation the operator saw; a changed entry is refused with 409. */
  expectedGeneration?: number;
  /** Recorded in the audit trail. Default `system`. */
  actor?: string;
  /** Check everything, change nothing. */
  dryRun?: boolean;
}

/** The result of a replay (`success` means the handler succeeded). */
export interface ReplayResult {
  success: boolean;
  id: string;
  dryRun: boolean;
  /** The entry's status afterwards. */
  status: DeadLetterStatus;
  replayCount: number;
  previousReplayCount: number;
  maxReplays: number;
  generation: number;
  /** The handler that ran (or would run). */
  handler: string;
  /** The job a queue replay enqueued. */
  jobId: string | null;
  error: string | null;
  message: string;
}

/** @deprecated Renamed {@link ReplayOptions} (a replay, not a retry: see docs/glossary.md). */
export type RetryOptions = ReplayOptions;
/** @deprecated Renamed {@link ReplayResult} (a replay, not a retry: see docs/glossary.md). */
export type RetryResult = ReplayResult;

/** Throws the typed error for a refused change. */
export function conflictError(
  id: string,
  result: Extract<DeadLetterChangeResult, { ok: false }>,
  action: string,
): Error {
  const entry = result.deadLetter;
  switch (result.reason) {
    case 'not_found':
      return new NotFoundError(`dead letter ${id} does not exist`, { id });
    case 'stale_generation':
      return new StateConflictError(
        `dead letter ${id} changed since you saw it (now generation ${entry?.generation}, status ${entry?.status}); reload before you ${action}`,
        { id, reason: 'stale_generation', status: entry?.status, generation: entry?.generation },
      );
    case 'at_cap':
      return new StateConflictError(
        `dead letter ${id} has spent its replay budget (${entry?.replayCount} of ${entry?.maxReplays}); force-redrive it after fixing the cause`,
        { id, reason: 'at_cap', status: entry?.status, generation: entry?.generation },
      );
    default:
      return new StateConflictError(
        entry?.status === 'replaying'
          ? `dead letter ${id} is being replayed by someone else`
          : `dead letter ${id} is ${entry?.status}; it cannot ${action}`,
        {
          id,
          reason: entry?.status === 'replaying' ? 'replaying' : 'invalid_status',
          status: entry?.status,
          generation: entry?.generation,
        },
      );
  }
}

function handlerFor(deps: ReplayDeps, entry: DeadLetter): ResolvedHandler {
  const resolved = deps.registry.resolve(entry);
  if (!resolved) {
    throw new StateConflictError(
      `no replay handler for dead letter ${entry.id} (domain ${entry.domain}${entry.queue ? `, queue ${entry.queue}` : ''}); register one with ReplayRegistry.forDomain`,
      { id: entry.id, reason: 'no_replay_handler', domain: entry.domain },
    );
  }
  return resolved;
}

/** Checks what the store will check again atomically, so a dry run and a clear error need no write. */
function precheck(entry: DeadLetter, forced: boolean, expectedGeneration: number | undefined): void {
  if (expectedGeneration !== undefined && entry.generation !== expectedGeneration)
    throw conflictError(entry.id, { ok: false, reason: 'stale_generation', deadLetter: entry }, 'replay it');
  const allowed = forced ? REDRIVABLE_DEAD_LETTER_STATUSES : REPLAYABLE_DEAD_LETTER_STATUSES;
  if (!allowed.includes(entry.status))
    throw conflictError(
      entry.id,
      { ok: false, reason: 'invalid_status', deadLetter: entry },
      forced ? 'be force-redriven' : 'be replayed',
    );
  if (!forced && entry.replayCount >= entry.maxReplays)
    throw conflictError(entry.id, { ok: false, reason: 'at_cap', deadLetter: entry }, 'be replayed');
}

/**
 * Replays one entry. With `force`, also takes `requires_review` entries, skips the cap and grants
 * a fresh budget; `audit` is written in the acquire's transaction.
 *
 * @throws NotFoundError (404), StateConflictError (409), ReplayError (500) when the pipeline itself fails
 */
export async function replayEntry(
  deps: ReplayDeps,
  id: string,
  options: ReplayOptions & { force?: { reason: string; ticket: string | null } },
): Promise<ReplayResult> {
  const actor = options.actor ?? 'system';
  const forced = options.force !== undefined;
  const entry = await deps.store.getDeadLetter({ id });
  if (!entry) throw new NotFoundError(`dead letter ${id} does not exist`, { id });
  const resolved = handlerFor(deps, entry);
  precheck(entry, forced, options.expectedGeneration);
  // A sealed payload that cannot be opened fails here, before the replay spends budget.
  forReplay(entry, deps.sealer);
  if (options.dryRun) {
    return {
      success: true,
      id,
      dryRun: true,
      status: entry.status,
      replayCount: entry.replayCount,
      previousReplayCount: entry.replayCount,
      maxReplays: entry.maxReplays,
      generation: entry.generation,
      handler: resolved.name,
      jobId: null,
      error: null,
      message: `would replay with ${resolved.name}`,
    };
  }
  const acquired = await deps.store.acquireDeadLetterForReplay({
    id,
    now: deps.clock.now(),
    expectedGeneration: options.expectedGeneration,
    ...(forced ? { force: { freshBudget: deps.config.maxReplayAttempts } } : {}),
    ...(forced
      ? {
          audit: {
            action: 'force_redrive',
            actor,
            reason: options.force!.reason,
            ticket: options.force!.ticket,
            details: { freshBudget: deps.config.maxReplayAttempts, handler: resolved.name },
          },
        }
      : {}),
  });
  if (!acquired.ok) {
    deps.metrics.replayConflicts++;
    throw conflictError(id, acquired, forced ? 'be force-redriven' : 'be replayed');
  }
  const held = acquired.deadLetter;
  deps.metrics.replays++;
  let outcome: { jobId?: string; note?: string } | undefined;
  let failure: Error | null = null;
  try {
    outcome =
      (await resolved.handler(forReplay(held, deps.sealer), {
        store: deps.store,
        clock: deps.clock,
        actor,
        forced,
      })) ?? undefined;
  } catch (error) {
    failure = asError(error);
  }
  const status =
    failure === null ? 'resolved' : held.replayCount >= held.maxReplays ? 'requires_review' : 'pending';
  let finished: DeadLetterChangeResult;
  try {
    finished = await deps.store.finishDeadLetterReplay({
      id,
      generation: held.generation,
      now: deps.clock.now(),
      status,
      error: failure ? `${failure.name}: ${failure.message}` : null,
      replayJobId: outcome?.jobId ?? null,
      resolvedBy: failure === null ? actor : null,
      note: failure === null ? (outcome?.note ?? `replayed by ${resolved.name}`) : null,
      audit: {
        action: forced ? 'force_redrive_result' : 'replay',
        actor,
        details: { handler: resolved.name, success: failure === null, jobId: outcome?.jobId ?? null },
      },
    });
  } catch (error) {
    throw new ReplayError(
      `dead letter ${id} was replayed (${failure ? 'failed' : 'succeeded'}) but its outcome could not be recorded; it stays replaying until released`,
      { cause: error, details: { id } },
    );
  }
  if (!finished.ok) {
    throw new ReplayError(`dead letter ${id} changed while it was being replayed (${finished.reason})`, {
      details: { id, reason: finished.reason },
    });
  }
  const after = finished.deadLetter;
  if (failure === null) deps.metrics.replaySucceeded++;
  else deps.metrics.replayFailed++;
  deps.emitter.emit('dead_letter.replayed', {
    id,
    success: failure === null,
    status: after.status,
    actor,
    forced,
    jobId: outcome?.jobId ?? null,
    error: failure?.message ?? null,
  });
  return {
    success: failure === null,
    id,
    dryRun: false,
    status: after.status,
    replayCount: after.replayCount,
    previousReplayCount: entry.replayCount,
    maxReplays: after.maxReplays,
    generation: after.generation,
    handler: resolved.name,
    jobId: outcome?.jobId ?? null,
    error: failure?.message ?? null,
    message:
      failure === null
        ? (outcome?.note ?? 'replayed')
        : after.status === 'requires_review'
          ? `replay failed and the budget is spent: needs review (${failure.message})`
          : `replay failed; ${after.maxReplays - after.replayCount} replay(s) left (${failure.message})`,
  };
}

/** Which entries a batch replay takes. */
export interface BatchReplaySelection {
  domain?: string;
  queue?: string;
  failureType?: string;
}

/** Result of a batch replay. */
export interface BatchReplayResult {
  /** Entries looked at. */
  total: number;
  succeeded: number;
  failed: number;
  /** Expired, without a handler, taken by someone else, or shed by the throttle. */
  skipped: number;
  /** Set when the batch stopped before its end: `throttle_emergency`, `circuit_open`. */
  earlyStopReason: string | null;
  dryRun: boolean;
  /** Per-entry problems (skips and failures), for the operator. */
  errors: { id: string; error: string }[];
  /**
   * Dry runs only: the entries a run would replay, in the order it takes them (oldest first), so a
   * preview can show exactly what will run.
   */
  plannedIds?: string[];
}

/** Options of a batch replay. */
export interface BatchReplayOptions extends BatchReplaySelection {
  /** Entries per page, and per health check. Default the queue's `batchSize`. */
  batchSize?: number;
  /** Most entries to look at. Default `batchSize` (one page) for `replay`, 100 for `replayThrottled`. */
  maxEntries?: number;
  /** Count what would be replayed; change nothing. */
  dryRun?: boolean;
  actor?: string;
  /** Stop early while this breaker refuses calls. */
  breaker?: Pick<CircuitBreakerLike, 'isAllowed'>;
  /** Client-side throttling and AIMD concurrency (see `AdaptiveThrottle`). */
  throttle?: AdaptiveThrottle;
}

function replayableFilter(deps: ReplayDeps, sel: BatchReplaySelection, now: number): DeadLetterFilter {
  return {
    statuses: REPLAYABLE_DEAD_LETTER_STATUSES,
    belowReplayCap: true,
    lastReplayBefore: now - deps.config.retryDelayMs + 1,
    ...(sel.domain !== undefined ? { domain: sel.domain } : {}),
    ...(sel.queue !== undefined ? { queue: sel.queue } : {}),
    ...(sel.failureType !== undefined ? { failureType: sel.failureType } : {}),
  };
}

/**
 * Replays replayable entries, oldest first, page by page. Per entry: TTL check, handler check,
 * throttle permit (when a throttle is given), replay. Before each entry the throttle's health and
 * the breaker are checked; the batch stops early when either says the downstream is in trouble.
 */
export async function replayBatch(deps: ReplayDeps, options: BatchReplayOptions): Promise<BatchReplayResult> {
  const batchSize = options.batchSize ?? deps.config.batchSize;
  const maxEntries = options.maxEntries ?? (options.throttle ? 100 : batchSize);
  const result: BatchReplayResult = {
    total: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    earlyStopReason: null,
    dryRun: options.dryRun === true,
    errors: [],
    ...(options.dryRun === true ? { plannedIds: [] } : {}),
  };
  const filter = replayableFilter(deps, options, deps.clock.now());
  let cursor: string | undefined;
  const skip = (id: string, error: string) => {
    result.skipped++;
    result.errors.push({ id, error });
  };
  outer: while (result.total < maxEntries) {
    const page = await deps.store.listDeadLetters({
      ...filter,
      order: 'oldest',
      limit: Math.min(batchSize, maxEntries - result.total),
      withTotal: false,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    for (const entry of page.items) {
      const stop = earlyStop(options);
      if (stop) {
        result.earlyStopReason = stop;
        break outer;
      }
      result.total++;
      if (entry.expiresAt !== null && entry.expiresAt <= deps.clock.now()) {
        skip(entry.id, 'expired');
        continue;
      }
      if (!deps.registry.resolve(entry)) {
        skip(entry.id, `no replay handler for domain ${entry.domain}`);
        continue;
      }
      if (result.dryRun) {
        result.succeeded++;
        result.plannedIds?.push(entry.id);
        continue;
      }
      const decision = options.throttle?.tryAcquire();
      if (decision && !decision.ok) {
        skip(entry.id, `${decision.reason} (retry after ${decision.retryAfterMs} ms)`);
        continue;
      }
      const permit = decision?.permit;
      try {
        const r = await replayEntry(deps, entry.id, { actor: options.actor ?? 'system' });
        if (r.success) {
          result.succeeded++;
          permit?.success();
        } else {
          result.failed++;
          result.errors.push({ id: entry.id, error: r.error ?? 'failed' });
          permit?.failure();
        }
      } catch (error) {
        permit?.release();
        if (error instanceof StateConflictError || error instanceof NotFoundError) {
          skip(entry.id, error.message);
        } else {
          result.failed++;
          result.errors.push({ id: entry.id, error: asError(error).message });
        }
      }
    }
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  return result;
}

function earlyStop(options: BatchReplayOptions): string | null {
  if (options.breaker && !options.breaker.isAllowed()) return 'circuit_open';
  if (options.throttle && options.throttle.health().level === 'emergency') return 'throttle_emergency';
  return null;
}

/** Result of a single throttle-aware replay. */
export interface ThrottledReplayResult {
  success: boolean;
  id: string;
  error: string | null;
  /** Set when the throttle refused: try again after this long. */
  retryAfterMs: number | null;
  result: ReplayResult | null;
}

/** One throttle-aware replay: TTL check, budget check, throttle permit, replay. */
export async function replayOneThrottled(
  deps: ReplayDeps,
  id: string,
  throttle: AdaptiveThrottle,
  options: ReplayOptions = {},
): Promise<ThrottledReplayResult> {
  const entry = await deps.store.getDeadLetter({ id });
  if (!entry) throw new NotFoundError(`dead letter ${id} does not exist`, { id });
  const refuse = (error: string, retryAfterMs: number | null = null): ThrottledReplayResult => ({
    success: false,
    id,
    error,
    retryAfterMs,
    result: null,
  });
  if (entry.expiresAt !== null && entry.expiresAt <= deps.clock.now()) return refuse('expired');
  if (entry.replayCount >= entry.maxReplays) return refuse('at_cap');
  const decision = throttle.tryAcquire();
  if (!decision.ok) return refuse(decision.reason, decision.retryAfterMs);
  try {
    const result = await replayEntry(deps, id, options);
    if (result.success) decision.permit.success();
    else decision.permit.failure();
    return { success: result.success, id, error: result.error, retryAfterMs: null, result };
  } catch (error) {
    decision.permit.release();
    throw error;
  }
}
