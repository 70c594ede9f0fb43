/**
 * The worker's write-behind of attempt outcomes. Completions and failures (retries, rate-limit
 * pauses, dead letters) settled by handlers wait here and are written together: one store call per
 * kind and batch (`completeJobs`, `failJobs`: each one transaction or script), or folded into the
 * worker's next claim (`completeAndClaimJobs`). A failure storm then costs about what a success
 * storm costs, instead of one transaction per failed job.
 */
import type { Clock } from '../core/clock.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { FailJobResult, FenceResult, JobCompletion, JobFailure } from '../store/job-store.js';
import type { Store } from '../store/store.js';

/** Outcomes written per store call at most (a larger backlog is written at once, not waited on). */
export const MAX_SETTLEMENT_BATCH = 1000;

/**
 * Failures written at once, beside any write or claim in flight, once this many are pending and
 * the store works apart from this process (see {@link SettlementHandlers.overlapsWrites}): the
 * store records them while the worker runs the next jobs, instead of after.
 */
export const OVERLAPPED_FAILURE_BATCH = 500;

/** A failure waiting to be written, with what the worker does with the store's answer. */
export interface PendingFailure {
  failure: JobFailure;
  /** The store's answer. */
  written(result: FailJobResult): void;
  /** The write failed and the failure will not be sent again (its lease expires; recovery returns it). */
  dropped(): void;
}

/** What one write carries. */
export interface SettlementBatch {
  completions: JobCompletion[];
  failures: PendingFailure[];
}

/** What the worker does with the answers. */
export interface SettlementHandlers {
  completed(results: readonly FenceResult[]): void;
  error(error: unknown): void;
  /** True while a claim is about to run: it writes the pending outcomes in its own step. */
  claimPending(): boolean;
  /**
   * True when the store answers in a later turn of the event loop (a server): writes sent beside
   * one in flight are worked on while this process runs jobs.
   */
  overlapsWrites?(): boolean;
}

/**
 * Pending completions and failures of one worker, and their writes: one general write (completions
 * and failures together) at a time, plus full batches of failures sent beside it on a store that
 * answers later (see {@link OVERLAPPED_FAILURE_BATCH}).
 */
export class Settlements {
  private completions: JobCompletion[] = [];
  private failures: PendingFailure[] = [];
  private flushing_: Promise<void> | undefined;
  /** Failure batches sent beside the general write (see {@link OVERLAPPED_FAILURE_BATCH}). */
  private readonly overlapped = new Set<Promise<void>>();
  private timer: NodeJS.Immediate | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly handlers: SettlementHandlers,
  ) {}

  /** Outcomes waiting to be written. */
  get size(): number {
    return this.completions.length + this.failures.length;
  }

  /** Whether a write is in flight. */
  get flushing(): boolean {
    return this.flushing_ !== undefined;
  }

  addCompletion(completion: JobCompletion): void {
    this.completions.push(completion);
    this.scheduleFlush();
  }

  addFailure(failure: PendingFailure): void {
    this.failures.push(failure);
    if (this.failures.length >= OVERLAPPED_FAILURE_BATCH && this.handlers.overlapsWrites?.()) {
      this.writeFailuresNow();
      return;
    }
    this.scheduleFlush();
  }

  /** Sends the pending failures now, beside whatever write or claim is in flight. */
  private writeFailuresNow(): void {
    const failures = this.failures;
    this.failures = [];
    const write = this.write({ completions: [], failures }).finally(() => {
      this.overlapped.delete(write);
    });
    this.overlapped.add(write);
  }

  /**
   * Writes what is pending after the current turn unless a claim takes it. For outcomes settled
   * while a claim was in flight (their write was left to the next claim) when none follows.
   */
  flushSoon(): void {
    if (this.size > 0) this.scheduleFlush();
  }

  /**
   * Writes at once when a batch is full, else after the current turn (unless a claim takes them).
   * While a claim is pending no timer is set: the claim writes what is pending or, when it is done,
   * calls {@link flushSoon} for what settled after it took its batch. A second immediate queued
   * behind the claim's own made Node run the claim's microtasks (and so the handlers it starts)
   * from `runNextTicks` between the two, and every error a handler threw then captured and
   * formatted two more frames (`runNextTicks`, `process.processImmediate`).
   */
  private scheduleFlush(): void {
    if (this.size >= MAX_SETTLEMENT_BATCH) {
      void this.flush();
      return;
    }
    if (this.timer || this.handlers.claimPending()) return;
    this.timer = setImmediate(() => {
      this.timer = undefined;
      if (!this.handlers.claimPending()) void this.flush();
    });
  }

  /** Takes every pending outcome (for a write the caller makes, e.g. with a claim). */
  take(): SettlementBatch {
    if (this.timer) {
      clearImmediate(this.timer);
      this.timer = undefined;
    }
    const batch = { completions: this.completions, failures: this.failures };
    this.completions = [];
    this.failures = [];
    return batch;
  }

  /** Hands the store's answers for `batch` to the worker (answers in input order). */
  written(batch: SettlementBatch, completed: readonly FenceResult[], failed: readonly FailJobResult[]): void {
    if (completed.length > 0) this.handlers.completed(completed);
    for (let i = 0; i < batch.failures.length; i++) batch.failures[i]!.written(failed[i]!);
  }

  /**
   * A write of `batch` failed. Completions are kept and sent again; if their leases expire
   * meanwhile the tokens refuse them and the jobs run again (at-least-once). Failures are kept
   * only when the store was unreachable (a resend is answered `duplicate` if the first write did
   * land); any other error drops them, and recovery returns the jobs when their leases expire.
   */
  writeFailed(batch: SettlementBatch, error: unknown): void {
    this.completions.unshift(...batch.completions);
    if (error instanceof StoreUnavailableError) this.failures.unshift(...batch.failures);
    else for (const failure of batch.failures) failure.dropped();
    this.handlers.error(error);
  }

  /** Writes every pending outcome: one store call per kind. Single-flight; resolves when written. */
  flush(): Promise<void> {
    if (this.flushing_) {
      return this.flushing_.then(() => (this.size > 0 ? this.flush() : undefined));
    }
    if (this.size === 0) return Promise.resolve();
    this.flushing_ = this.write(this.take()).finally(() => {
      this.flushing_ = undefined;
    });
    return this.flushing_;
  }

  /** Each kind is its own store call, answered (or failed) on its own. */
  private async write(batch: SettlementBatch): Promise<void> {
    const now = this.clock.now();
    const { completions, failures } = batch;
    if (completions.length > 0) {
      try {
        this.written({ completions, failures: [] }, await this.store.completeJobs({ completions, now }), []);
      } catch (error) {
        this.writeFailed({ completions, failures: [] }, error);
      }
    }
    if (failures.length > 0) {
      try {
        const failed = await this.store.failJobs({ failures: failures.map((f) => f.failure), now });
        this.written({ completions: [], failures }, [], failed);
      } catch (error) {
        this.writeFailed({ completions: [], failures }, error);
      }
    }
  }

  /** Waits until no write is in flight (for shutdown). */
  async idle(): Promise<void> {
    while (this.flushing_ || this.overlapped.size > 0) {
      await this.flushing_;
      await Promise.all(this.overlapped);
    }
  }
}
