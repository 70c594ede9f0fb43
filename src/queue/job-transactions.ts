/**
 * `job.transaction(fn)`: the handler's writes to the application's database and its job's
 * completion in one transaction of the store (SQLite on the application's database, PostgreSQL),
 * so the effect on that database happens exactly once even when workers crash or lose leases. The
 * completion bypasses the worker's batched completions; the handler's return value is written as
 * the result just after the commit.
 */
import { asError } from '../core/as-error.js';
import type { Clock } from '../core/clock.js';
import { StateConflictError, ValidationError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { type JobTransactionRunner, LeaseLostError, type RunningJob } from './active-job.js';

/** What {@link JobTransactions} tells its worker. */
export interface JobTransactionHooks {
  leaseLost(jobId: string, message: string): void;
  error(error: unknown): void;
}

/** Runs a worker's job transactions and writes their results. */
export class JobTransactions implements JobTransactionRunner {
  private readonly resultWrites = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly hooks: JobTransactionHooks,
  ) {}

  async run<T>(job: RunningJob<unknown>, fn: (transaction: unknown) => T | Promise<T>): Promise<T> {
    const store = this.store;
    if (!store.capabilities.transactionalCompletion || !store.completeJobInTransaction) {
      throw new ValidationError(
        'transaction',
        `the ${store.kind} store cannot complete a job inside the application's transaction: use a SqliteStore opened on the application's database (database option) or a PostgresStore`,
      );
    }
    if (typeof fn !== 'function') throw new ValidationError('transaction', 'must be given a function');
    if (job.completedInTransaction || job.committing) {
      throw new StateConflictError(`job ${job.id}: job.transaction runs once per attempt`, { jobId: job.id });
    }
    assertLive(job);
    job.committing = true;
    let outcome: Awaited<ReturnType<NonNullable<Store['completeJobInTransaction']>>>;
    try {
      outcome = await store.completeJobInTransaction<T>({
        id: job.id,
        token: job.token,
        now: () => this.clock.now(),
        run: (transaction) => whileLive(job, fn(transaction)),
      });
    } finally {
      job.committing = false;
    }
    if (!outcome.committed) {
      const error = new LeaseLostError(job.id);
      if (!job.lost) {
        job.lost = true;
        job.abort(error);
        this.hooks.leaseLost(
          job.id,
          `completion refused (${outcome.reason}): its transaction was rolled back; another worker owns the job now`,
        );
      }
      throw error;
    }
    job.completedInTransaction = true;
    return outcome.value as T;
  }

  /** Writes the handler's return value as the result of a job its transaction completed. */
  recordResult(job: RunningJob<unknown>, value: unknown): void {
    if (value === undefined || !this.store.recordJobResult) return;
    let resultJson: string | undefined;
    try {
      resultJson = JSON.stringify(value);
    } catch {
      return;
    }
    if (resultJson === undefined) return;
    const write = this.store
      .recordJobResult({ id: job.id, token: job.token, resultJson })
      .catch((error: unknown) => this.hooks.error(error))
      .finally(() => this.resultWrites.delete(write));
    this.resultWrites.add(write);
  }

  /** The handler threw after its transaction committed: the job stays completed; the error is reported. */
  lateError(job: RunningJob<unknown>, error: unknown): void {
    const text = asError(error).message;
    this.hooks.error(
      new Error(`job ${job.id} completed in its transaction, then its handler threw: ${text}`, {
        cause: error,
      }),
    );
  }

  /** Resolves once every result write has ended. */
  async idle(): Promise<void> {
    while (this.resultWrites.size > 0) await Promise.all([...this.resultWrites]);
  }
}

/** The attempt must still be this worker's: not timed out, given up or known lost. */
function assertLive(job: RunningJob<unknown>): void {
  if (!job.settled && !job.lost) return;
  const reason: unknown = job.signal.reason;
  throw reason instanceof Error ? reason : new LeaseLostError(job.id);
}

/** Checks the attempt is still live once `fn` has finished, before the completion is written. */
function whileLive<T>(job: RunningJob<unknown>, value: T | Promise<T>): T | Promise<T> {
  if (value instanceof Promise) {
    return value.then((resolved) => {
      assertLive(job);
      return resolved;
    });
  }
  assertLive(job);
  return value;
}
