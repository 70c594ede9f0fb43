/**
 * Closing entries by hand: one (`resolve`) or many in chunks (`resolveBatch`), each change in the
 * store's transaction with an audit row, refused on a stale generation.
 */
import type { Clock } from '../core/clock.js';
import { NotFoundError, StateConflictError, ValidationError } from '../core/errors.js';
import type { TypedEmitter } from '../events.js';
import type { Store } from '../store/store.js';
import type { DeadLetterQueueEvents, DeadLetterQueueMetrics } from './events.js';
import type { DeadLetterQueueConfig } from './options.js';

/** What resolving needs from the queue. */
export interface ResolveDeps {
  store: Store;
  clock: Clock;
  config: DeadLetterQueueConfig;
  emitter: TypedEmitter<DeadLetterQueueEvents>;
  metrics: DeadLetterQueueMetrics;
}

/** Options of {@link DeadLetterQueue.resolve}. */
export interface ResolveOptions {
  actor: string;
  note?: string;
  expectedGeneration?: number;
}

/** The report of {@link DeadLetterQueue.resolveBatch}. */
export interface ResolveBatchResult {
  requested: number;
  resolved: string[];
  skipped: { id: string; status: string; reason: string }[];
  notFound: string[];
  chunks: number;
}

/** The result of {@link resolveEntry}. */
export interface ResolveResult {
  success: true;
  id: string;
  previousStatus: string;
  status: 'resolved';
  resolvedAt: number;
  note: string | null;
}

/** Options of {@link resolveEntries}. */
export interface ResolveBatchOptions {
  actor: string;
  note?: string;
  chunkSize?: number;
  expectedGenerations?: Record<string, number>;
}

/** @throws ValidationError naming `actor` unless it names the operator */
export function assertActor(actor: unknown): void {
  if (typeof actor !== 'string' || actor.trim() === '')
    throw new ValidationError('actor', 'must name the operator');
}

/**
 * Closes an entry by hand (`pending` or `requires_review` -> `resolved`), audited.
 *
 * @throws NotFoundError (404); StateConflictError (409) when resolved, archived, replaying or stale
 */
export async function resolveEntry(
  deps: ResolveDeps,
  id: string,
  options: ResolveOptions,
): Promise<ResolveResult> {
  assertActor(options?.actor);
  const before = await deps.store.getDeadLetter({ id });
  if (!before) throw new NotFoundError(`dead letter ${id} does not exist`, { id });
  const now = deps.clock.now();
  const result = await deps.store.resolveDeadLetters({
    ids: [id],
    now,
    actor: options.actor,
    note: options.note ?? null,
    ...(options.expectedGeneration !== undefined
      ? { expectedGenerations: { [id]: options.expectedGeneration } }
      : {}),
  });
  if (result.notFound.length > 0) throw new NotFoundError(`dead letter ${id} does not exist`, { id });
  const skipped = result.skipped[0];
  if (skipped) {
    throw new StateConflictError(
      skipped.reason === 'stale_generation'
        ? `dead letter ${id} changed since you saw it; reload before you resolve it`
        : `dead letter ${id} is ${skipped.status}; it cannot be resolved`,
      { id, reason: skipped.reason, status: skipped.status },
    );
  }
  deps.metrics.resolved++;
  deps.emitter.emit('dead_letter.resolved', { ids: [id], actor: options.actor });
  return {
    success: true,
    id,
    previousStatus: before.status,
    status: 'resolved',
    resolvedAt: now,
    note: options.note ?? null,
  };
}

/** Resolves many entries in chunks (one transaction each); reports resolved / skipped / not found. */
export async function resolveEntries(
  deps: ResolveDeps,
  ids: readonly string[],
  options: ResolveBatchOptions,
): Promise<ResolveBatchResult> {
  if (!Array.isArray(ids)) throw new ValidationError('ids', 'must be an array of ids');
  assertActor(options?.actor);
  const chunkSize = options.chunkSize ?? deps.config.resolveChunkSize;
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new ValidationError('chunkSize', 'must be a positive integer');
  const report: ResolveBatchResult = {
    requested: ids.length,
    resolved: [],
    skipped: [],
    notFound: [],
    chunks: 0,
  };
  for (let i = 0; i < ids.length; i += chunkSize) {
    const r = await deps.store.resolveDeadLetters({
      ids: ids.slice(i, i + chunkSize),
      now: deps.clock.now(),
      actor: options.actor,
      note: options.note ?? null,
      ...(options.expectedGenerations ? { expectedGenerations: options.expectedGenerations } : {}),
    });
    report.chunks++;
    report.resolved.push(...r.resolved);
    report.skipped.push(...r.skipped);
    report.notFound.push(...r.notFound);
  }
  if (report.resolved.length > 0) {
    deps.metrics.resolved += report.resolved.length;
    deps.emitter.emit('dead_letter.resolved', { ids: report.resolved, actor: options.actor });
  }
  return report;
}
