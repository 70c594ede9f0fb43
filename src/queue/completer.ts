/**
 * The completer: turns each attempt's outcome into a write and each write's answer into counters
 * and events. Completions and failures (retries, rate-limit pauses, dead letters) are batched by
 * {@link Settlements} and fenced by the attempt's token: a refused write means another worker owns
 * the job now, and its outcome is discarded.
 */
import { asError } from '../core/as-error.js';
import { createRetryPolicy, type RetryPolicy } from '../core/retry.js';
import { FingerprintMemo } from '../dead-letter-record/fingerprint-memo.js';
import type { FailJobResult, FenceResult, JobFailure } from '../store/job-store.js';
import type { RunningJob } from './active-job.js';
import { decideFailure, type FailureDecision } from './failure-outcome.js';
import { jobFailure } from './job-failure.js';
import { type PendingFailure, Settlements } from './settlements.js';
import type { WorkerContext } from './worker-context.js';

/** Writes a worker's outcomes and reports what the store made of them. */
export class Completer<Payload = unknown> {
  /** Outcomes waiting to be written (in batches, or with the next claim). */
  readonly settlements: Settlements;
  private readonly defaultPolicy: RetryPolicy;
  /** This worker's fingerprints of recent errors: a failure storm parses its stack once. */
  private readonly fingerprints = new FingerprintMemo();
  /** Completed jobs whose `job.completed` event waits for the write (only while someone listens). */
  private readonly completionJobs = new Map<string, { job: RunningJob<Payload>; durationMs: number }>();

  /**
   * @param claimPending true while a claim is about to run and will write the outcomes itself
   * @param overlapsWrites true when the store answers in a later turn (see {@link Settlements})
   */
  constructor(
    private readonly ctx: WorkerContext<Payload>,
    claimPending: () => boolean,
    overlapsWrites: () => boolean = () => false,
  ) {
    this.defaultPolicy = createRetryPolicy(ctx.raw.backoff);
    this.settlements = new Settlements(ctx.store, ctx.clock, {
      completed: (results) => this.completionsWritten(results),
      error: (error) => ctx.reportError(error),
      claimPending,
      overlapsWrites,
    });
  }

  /** Queues the completion of `job` with the handler's return value; it settled at `now`. */
  succeeded(job: RunningJob<Payload>, value: unknown, now: number): void {
    if (job.completedInTransaction) {
      this.ctx.transactions.recordResult(job as RunningJob<unknown>, value);
      this.finishedInTransaction(job);
      return;
    }
    let resultJson: string | null = null;
    if (value !== undefined) {
      try {
        resultJson = JSON.stringify(value) ?? null;
      } catch {
        resultJson = null;
      }
    }
    if (this.ctx.emitter.hasListeners('job.completed')) {
      this.completionJobs.set(job.id, { job, durationMs: now - job.startedAt });
    }
    this.settlements.addCompletion({ id: job.id, token: job.token, resultJson });
  }

  /** The handler threw after its transaction committed: the job stays completed; the error is reported. */
  threwAfterTransaction(job: RunningJob<Payload>, error: unknown): void {
    this.ctx.transactions.lateError(job as RunningJob<unknown>, error);
    this.finishedInTransaction(job);
  }

  /** A job its transaction completed: counted and announced here, never written through the batches. */
  private finishedInTransaction(job: RunningJob<Payload>): void {
    const { ctx } = this;
    ctx.held.delete(job.id);
    ctx.counters.completed++;
    ctx.emitter.emit('job.completed', {
      queue: ctx.queue,
      jobId: job.id,
      name: job.name,
      attempt: job.attempt,
      durationMs: ctx.clock.now() - job.startedAt,
    });
  }

  /** What the retry policy makes of `error` ending `job`'s attempt at `now`. */
  decide(job: RunningJob<Payload>, error: unknown, now: number): FailureDecision {
    return decideFailure({
      error,
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      rateLimitDelays: job.claimed.rateLimitDelays,
      maxRateLimitDelays: this.ctx.options.maxRateLimitDelays,
      backoff: job.claimed.backoff,
      defaultPolicy: this.defaultPolicy,
      now,
      random: this.ctx.random,
    });
  }

  /** Queues the failure of `job`'s attempt as `decision` says (retry, pause or dead letter). */
  failed(job: RunningJob<Payload>, error: unknown, decision: FailureDecision, now: number): void {
    const { ctx } = this;
    const err = asError(error);
    const failure = jobFailure({
      job: job as RunningJob<unknown>,
      error: err,
      decision,
      now,
      workerId: ctx.workerId,
      queue: ctx.queue,
      deadLetterSettings: ctx.raw.deadLetter ?? {},
      random: ctx.random,
      fingerprints: this.fingerprints,
    });
    this.settlements.addFailure(new PendingJobFailure(failure, this, job, err, decision));
  }

  /**
   * Stops holding `job` once its outcome is answered or will not be written (its lease expires),
   * unless the id is held by a later claim of the same job already: a retry written beside a
   * claim may be claimed again before this attempt's answer is handled.
   */
  forget(job: RunningJob<Payload>): void {
    if (this.ctx.held.get(job.id) === job) this.ctx.held.delete(job.id);
  }

  /** Writes every pending outcome now. */
  flush(): Promise<void> {
    return this.settlements.flush();
  }

  /** Waits until no write is in flight. */
  async idle(): Promise<void> {
    await this.settlements.idle();
    await this.ctx.transactions.idle();
  }

  private completionsWritten(results: readonly FenceResult[]): void {
    const { ctx } = this;
    for (const result of results) {
      ctx.held.delete(result.id);
      if (result.ok) {
        ctx.counters.completed++;
        const entry = this.completionJobs.size > 0 ? this.completionJobs.get(result.id) : undefined;
        if (entry) {
          this.completionJobs.delete(result.id);
          ctx.emitter.emit('job.completed', {
            queue: ctx.queue,
            jobId: result.id,
            name: entry.job.name,
            attempt: entry.job.attempt,
            durationMs: entry.durationMs,
          });
        }
      } else {
        this.completionJobs.delete(result.id);
        ctx.leaseLost(result.id, `completion refused (${result.reason}): another worker owns the job now`);
      }
    }
  }

  /** The store's answer to the failure of `job`'s attempt (see {@link PendingJobFailure}). */
  failureWritten(
    job: RunningJob<Payload>,
    err: Error,
    decision: FailureDecision,
    result: FailJobResult,
  ): void {
    const { ctx } = this;
    this.forget(job);
    if (!result.ok) {
      ctx.leaseLost(job.id, `failure refused (${result.reason}): another worker owns the job now`);
      return;
    }
    ctx.counters.failed++;
    if (decision.kind === 'dead_letter') ctx.counters.deadLettered++;
    else ctx.counters.retried++;
    // A storm settles thousands of failures a second: their events are built only for listeners.
    const { emitter } = ctx;
    if (emitter.hasListeners('job.failed')) {
      emitter.emit('job.failed', {
        queue: ctx.queue,
        jobId: job.id,
        name: job.name,
        attempt: job.attempt,
        error: err,
        willRetry: decision.kind !== 'dead_letter',
      });
    }
    if (decision.kind === 'dead_letter') {
      if (emitter.hasListeners('job.dead_lettered')) {
        emitter.emit('job.dead_lettered', {
          queue: ctx.queue,
          jobId: job.id,
          name: job.name,
          deadLetterId: result.deadLetterId ?? '',
          failureType: decision.failureType,
        });
      }
    } else if (emitter.hasListeners('job.retried')) {
      emitter.emit('job.retried', {
        queue: ctx.queue,
        jobId: job.id,
        name: job.name,
        attempt: job.attempt,
        runAt: decision.runAt,
        reason: decision.kind === 'rate_limited' ? 'rate_limited' : 'error',
      });
    }
  }
}

/**
 * A failure waiting in the settlements, with what the worker does with the store's answer: one
 * object per failure, without a closure per callback.
 */
class PendingJobFailure<Payload> implements PendingFailure {
  constructor(
    readonly failure: JobFailure,
    private readonly completer: Completer<Payload>,
    private readonly job: RunningJob<Payload>,
    private readonly error: Error,
    private readonly decision: FailureDecision,
  ) {}

  written(result: FailJobResult): void {
    this.completer.failureWritten(this.job, this.error, this.decision, result);
  }

  /** The lease will expire and recovery will return the job without spending an attempt. */
  dropped(): void {
    this.completer.forget(this.job);
  }
}
