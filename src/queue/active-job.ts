/**
 * The job as a handler sees it. The abort controller is created only when the handler reads
 * `signal` or a timeout is set, so handlers that ignore cancellation pay nothing for it.
 */
import type { ClaimedJob } from '../core/job.js';
import type { ProgressReporter } from './job-progress.js';

/** A claimed job handed to a handler. */
export interface ActiveJob<Payload = unknown> {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly payload: Payload;
  /** 1-based number of this attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Times this job was recovered after its worker lost the lease. */
  readonly orphanCount: number;
  readonly createdAt: number;
  /** The dead letter this job replays, if any. */
  readonly replayOf: string | null;
  /** The job's headers (given at enqueue, plus the trace context with tracing on), or null. */
  readonly headers: Readonly<Record<string, string>> | null;
  /** The fencing token of this attempt. */
  readonly token: string;
  /** Aborted when the attempt times out, the lease is lost, or shutdown gives up waiting. */
  readonly signal: AbortSignal;
  /**
   * Runs `fn` in a transaction of the store's database and completes the job in that same
   * transaction, fenced by its token: the writes `fn` makes and the completion commit together or
   * not at all. `fn` gets the transaction: on a {@link SqliteStore} the better-sqlite3 connection
   * inside `db.transaction` (`fn` must be synchronous), on a {@link PostgresStore} a pg client
   * inside `BEGIN`. If the lease was lost, everything rolls back and this rejects with
   * {@link LeaseLostError}; if `fn` throws, everything rolls back and the error fails the job as
   * usual. Once per attempt; the handler's return value is still the job's result. Stores without
   * `capabilities.transactionalCompletion` (Redis) reject with a `ValidationError`.
   */
  transaction<T, Tx = unknown>(fn: (transaction: Tx) => T | Promise<T>): Promise<T>;
  /**
   * Reports progress: a number (a percentage, say) or a small JSON value (at most 1 KB). Stored on
   * the job (`Job.progress`, shown by the dashboard), fenced by the lease like a completion, and
   * emitted as `job.progress` to the worker's listeners and to {@link QueueEvents} in other
   * processes. Rejects with {@link LeaseLostError} when the lease was lost.
   */
  updateProgress(value: unknown): Promise<void>;
}

/** Runs {@link ActiveJob.transaction} for a worker's jobs (job-transactions.ts). */
export interface JobTransactionRunner {
  run<T>(job: RunningJob<unknown>, fn: (transaction: unknown) => T | Promise<T>): Promise<T>;
}

/** A job handler. Its return value (JSON-serializable) is stored as the job's result. */
export type JobHandler<Payload = unknown, Result = unknown> = (
  job: ActiveJob<Payload>,
) => Promise<Result> | Result;

/** The lease was lost; defined in core (errors.ts) so that classification knows it. */
export { LeaseLostError } from '../core/errors.js';

/** Worker-side state of one claimed job. */
export class RunningJob<Payload = unknown> implements ActiveJob<Payload> {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly payload: Payload;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly orphanCount: number;
  readonly createdAt: number;
  readonly replayOf: string | null;
  readonly headers: Readonly<Record<string, string>> | null;
  readonly token: string;
  /**
   * The attempt's trace span while tracing is on (see telemetry/), ended when the attempt's
   * outcome is known.
   */
  span: unknown = undefined;
  /** When the handler started (0 while buffered). */
  startedAt = 0;
  /** The attempt has an outcome (or was given up); later results are ignored. */
  settled = false;
  /** The store no longer lets this worker finish the job. */
  lost = false;
  /** Start sequence number (see start-horizon.ts); -1 for a job claimed alone, in quarantine. */
  seq = -1;
  /** A suspect claimed alone: nothing else is claimed or runs beside it until it settles. */
  quarantined = false;
  /** `transaction` is running: its commit, not a heartbeat, decides whether the lease held. */
  committing = false;
  /** `transaction` committed the job's completion; the handler's outcome must not complete it again. */
  completedInTransaction = false;
  timer: unknown;
  private controller: AbortController | undefined;

  constructor(
    readonly claimed: ClaimedJob<Payload>,
    private readonly transactions?: JobTransactionRunner,
    private readonly progress?: ProgressReporter,
  ) {
    this.id = claimed.id;
    this.queue = claimed.queue;
    this.name = claimed.name;
    this.payload = claimed.payload;
    this.attempt = claimed.attemptsMade + 1;
    this.maxAttempts = claimed.maxAttempts;
    this.orphanCount = claimed.orphanCount;
    this.createdAt = claimed.createdAt;
    this.replayOf = claimed.replayOf;
    this.headers = claimed.headers ?? null;
    this.token = claimed.token;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  transaction<T, Tx = unknown>(fn: (transaction: Tx) => T | Promise<T>): Promise<T> {
    if (!this.transactions) {
      return Promise.reject(new Error(`job ${this.id} has no worker to run a transaction for it`));
    }
    return this.transactions.run(this as RunningJob<unknown>, fn as (transaction: unknown) => T | Promise<T>);
  }

  updateProgress(value: unknown): Promise<void> {
    if (!this.progress)
      return Promise.reject(new Error(`job ${this.id} has no worker to report progress to`));
    return this.progress.report(this as RunningJob<unknown>, value);
  }

  /** Aborts the handler's signal with `reason`. */
  abort(reason: Error): void {
    this.controller ??= new AbortController();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}
