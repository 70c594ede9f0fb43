/**
 * The executor: starts buffered jobs in free slots and runs their handlers. Before a job starts it
 * checks that the store knows it may have started (the start horizon, for poison-pill detection),
 * takes a rate-limit token and a circuit-breaker permit; while it runs it owns the job's timeout
 * and abort signal; when the handler settles it hands the outcome to the completer, once.
 */
import { readableCopy } from '../core/as-error.js';
import type { CircuitPermit } from '../core/breaker/types.js';
import type { TimerHandle } from '../core/clock.js';
import { JobTimeoutError } from '../core/errors.js';
import { TokenBucket } from '../core/rate-limit/token-bucket.js';
import type { AttemptOutcome, Tracing } from '../telemetry/tracing.js';
import type { JobHandler, RunningJob } from './active-job.js';
import type { Completer } from './completer.js';
import type { FailureDecision } from './failure-outcome.js';
import type { StartHorizon } from './start-horizon.js';
import type { WorkerContext } from './worker-context.js';

/** A settled promise whose reactions start handlers in a microtask. */
const RESOLVED = Promise.resolve();

/** What the executor needs from the fetcher. */
export interface ExecutorHooks {
  /** Claims more jobs if the buffer runs low. */
  kick(): void;
  /** Hands the buffered jobs back to the queue. */
  releaseBuffered(): Promise<void>;
}

/** Runs one worker's handlers, up to `concurrency` at a time. */
export class Executor<Payload = unknown, Result = unknown> {
  private running_ = 0;
  private avgDurationMs_ = Number.NaN;
  private readonly limiter: TokenBucket | undefined;
  private dispatchTimer: TimerHandle | undefined;
  private drained: (() => void) | undefined;
  /** Jobs started whose handlers run in the next microtask, and their circuit permits. */
  private starting: RunningJob<Payload>[] = [];
  private startPermits: (CircuitPermit | undefined)[] = [];

  constructor(
    private readonly ctx: WorkerContext<Payload>,
    private readonly handler: JobHandler<Payload, Result>,
    private readonly completer: Completer<Payload>,
    private readonly starts: StartHorizon,
    private readonly hooks: ExecutorHooks,
  ) {
    const rateLimit = ctx.options.rateLimit;
    this.limiter = rateLimit
      ? new TokenBucket({ limit: rateLimit.limit, intervalMs: rateLimit.intervalMs, clock: ctx.clock })
      : undefined;
  }

  /** Handlers running now. */
  get running(): number {
    return this.running_;
  }

  /** Moving average of handler time in ms (NaN before the first job settles). */
  get avgDurationMs(): number {
    return this.avgDurationMs_;
  }

  /** How many jobs ahead of the next one to start the start horizon should reach. */
  lookahead(): number {
    return this.starts.lookahead(this.ctx.options.concurrency, this.avgDurationMs_);
  }

  /**
   * Starts buffered jobs while slots are free, then asks the fetcher for more. `now`, when the
   * caller just read the clock in the same turn, saves reading it again (a clock read costs about
   * as much as the rest of a job's bookkeeping).
   */
  dispatch(now?: number): void {
    const { ctx } = this;
    const { buffer } = ctx;
    while (this.running_ < ctx.options.concurrency && buffer.size > 0) {
      if (ctx.state !== 'running') break;
      const next = buffer.peek()!;
      if (!next.quarantined && !next.lost && !this.starts.mayStart(next.seq)) {
        // The store must know this job may start before it does (see start-horizon.ts).
        this.starts.advance(next.seq, this.lookahead(), () => this.dispatch());
        break;
      }
      if (this.limiter && !this.limiter.tryTake()) {
        this.dispatchLater(Math.max(1, this.limiter.retryAfterMs()));
        return;
      }
      const job = buffer.shift();
      if (job.lost) continue;
      const breaker = ctx.raw.circuitBreaker;
      let permit: CircuitPermit | false | undefined;
      if (breaker) {
        permit = breaker.tryAcquire();
        if (!permit) {
          buffer.putBack();
          void this.hooks.releaseBuffered();
          return;
        }
      }
      now ??= ctx.clock.now();
      this.start(job, permit || undefined, now);
    }
    // Claims first: a claim sent now carries a horizon, which the check below counts.
    this.hooks.kick();
    // Fast handlers get the horizon raised ahead of need; slow ones (a lookahead of `concurrency`)
    // when a job waits on it, which keeps the jobs judged `running` after a crash to those started.
    const nextSeq = buffer.nextSeq();
    if (nextSeq !== undefined && nextSeq >= 0) {
      const lookahead = this.lookahead();
      if (lookahead > ctx.options.concurrency && this.starts.isClose(nextSeq, lookahead)) {
        this.starts.advance(nextSeq, lookahead, () => this.dispatch());
      }
    }
    buffer.compact();
  }

  /** Dispatches again after `delayMs`, unless a dispatch is already scheduled. */
  dispatchLater(delayMs: number): void {
    if (this.dispatchTimer) return;
    this.dispatchTimer = this.ctx.clock.setTimeout(() => {
      this.dispatchTimer = undefined;
      this.dispatch();
    }, delayMs);
  }

  /** Cancels a scheduled dispatch. */
  stop(): void {
    if (this.dispatchTimer) this.ctx.clock.clearTimeout(this.dispatchTimer);
    this.dispatchTimer = undefined;
  }

  /** Resolves when no handler runs, or after `timeoutMs`, whichever comes first. */
  async waitForRunning(timeoutMs: number): Promise<void> {
    if (this.running_ === 0) return;
    const { clock } = this.ctx;
    await new Promise<void>((resolve) => {
      const timer = clock.setTimeout(resolve, timeoutMs);
      this.drained = () => {
        clock.clearTimeout(timer);
        resolve();
      };
    });
    this.drained = undefined;
  }

  /** Gives up on every running handler: aborts its signal, ignores its outcome; returns the jobs. */
  abandonRunning(reason: () => Error): RunningJob<Payload>[] {
    const unfinished = [...this.ctx.held.values()].filter((j) => !j.settled && j.startedAt > 0);
    for (const job of unfinished) {
      const error = reason();
      this.endSpan(job, 'abandoned', error);
      job.abort(error);
      job.settled = true;
      if (job.timer !== undefined) this.ctx.clock.clearTimeout(job.timer as TimerHandle);
      this.running_--;
    }
    return unfinished;
  }

  private start(job: RunningJob<Payload>, permit: CircuitPermit | undefined, now: number): void {
    const { ctx } = this;
    this.running_++;
    job.startedAt = now;
    if (ctx.emitter.hasListeners('job.active')) {
      ctx.emitter.emit('job.active', {
        queue: ctx.queue,
        jobId: job.id,
        name: job.name,
        attempt: job.attempt,
        workerId: ctx.workerId,
      });
    }
    const timeoutMs = job.claimed.timeoutMs;
    if (timeoutMs !== null) {
      job.timer = ctx.clock.setTimeout(() => {
        const error = new JobTimeoutError(timeoutMs);
        job.abort(error);
        this.onFailure(job, error, permit);
      }, timeoutMs);
    }
    // Handlers run from a microtask of their own (a promise reaction: no frames of Node's
    // queueMicrotask wrapper either), not under the claim and dispatch frames. An error a handler
    // throws then captures and formats one frame of the worker instead of four or more; each
    // frame costs V8 about 18k instructions to capture and format, which a failure storm pays
    // for every attempt whose stack is kept.
    this.starting.push(job);
    this.startPermits.push(permit);
    if (this.starting.length === 1) void RESOLVED.then(this.runStarting);
  }

  /** Runs the handlers of the jobs started since the last microtask (one frame under each). */
  private readonly runStarting = (): void => {
    const jobs = this.starting;
    const permits = this.startPermits;
    this.starting = [];
    this.startPermits = [];
    const { tracing } = this.ctx;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      const permit = permits[i];
      // Settled before its handler ran: abandoned at shutdown.
      if (job.settled) continue;
      let result: Promise<Result> | Result;
      try {
        result = tracing === undefined ? this.handler(job) : this.runTraced(tracing, job);
      } catch (error) {
        this.onFailure(job, error, permit);
        continue;
      }
      if (result instanceof Promise) {
        result.then(
          (value) => this.onSuccess(job, value, permit),
          (error) => this.onFailure(job, error, permit),
        );
      } else {
        this.onSuccess(job, result, permit);
      }
    }
  };

  /** Runs the handler inside the attempt's consumer span (its own spans become children). */
  private runTraced(tracing: Tracing, job: RunningJob<Payload>): Promise<Result> | Result {
    const { span, context } = tracing.startProcess(this.ctx.queue, job);
    job.span = span;
    return tracing.runIn(context, () => this.handler(job));
  }

  /** Ends the attempt's span, if it has one, with its outcome. */
  private endSpan(
    job: RunningJob<Payload>,
    outcome: AttemptOutcome,
    error?: unknown,
    failureType?: string,
  ): void {
    if (job.span === undefined) return;
    this.ctx.tracing?.endProcess(job.span, outcome, error, failureType);
    job.span = undefined;
  }

  /**
   * Marks the attempt finished and returns the time it did; -1 if it already was (timeout fired,
   * lease lost, shutdown).
   */
  private settle(job: RunningJob<Payload>): number {
    if (job.settled) return -1;
    job.settled = true;
    this.running_--;
    const { ctx } = this;
    if (ctx.quarantine.job === job) {
      ctx.quarantine.job = undefined;
      ctx.quarantine.gate.release(ctx.quarantine.member);
    } else if (this.running_ === 0) {
      ctx.quarantine.gate.idle(ctx.quarantine.member);
    }
    if (job.timer !== undefined) ctx.clock.clearTimeout(job.timer as TimerHandle);
    const now = ctx.clock.now();
    const duration = now - job.startedAt;
    this.avgDurationMs_ = Number.isNaN(this.avgDurationMs_)
      ? duration
      : this.avgDurationMs_ * 0.9 + duration * 0.1;
    if (this.running_ === 0 && this.drained) this.drained();
    return now;
  }

  private onSuccess(job: RunningJob<Payload>, value: Result, permit: CircuitPermit | undefined): void {
    const now = this.settle(job);
    if (now < 0) return;
    permit?.success();
    if (job.span !== undefined) this.endSpan(job, 'completed');
    this.completer.succeeded(job, value, now);
    this.dispatch(now);
  }

  private onFailure(job: RunningJob<Payload>, error: unknown, permit: CircuitPermit | undefined): void {
    const now = this.settle(job);
    if (now < 0) return;
    if (job.completedInTransaction) {
      permit?.success();
      if (job.span !== undefined) this.endSpan(job, 'completed', error);
      this.completer.threwAfterTransaction(job, error);
      this.dispatch(now);
      return;
    }
    if (job.lost) {
      if (job.span !== undefined) this.endSpan(job, 'lease_lost', error);
      this.ctx.held.delete(job.id);
      this.dispatch(now);
      return;
    }
    const recorded = this.recordFailure(job, error, now);
    if (recorded === undefined) {
      // No outcome was recorded: the breaker is told none, and the span ends as given up on.
      permit?.release();
      if (job.span !== undefined) this.endSpan(job, 'abandoned', readableCopy(error));
      this.dispatch(now);
      return;
    }
    const { decision, readable } = recorded;
    if (job.span !== undefined) {
      const dead = decision.kind === 'dead_letter';
      const outcome = dead ? 'dead_lettered' : decision.kind === 'retry' ? 'retried' : 'rate_limited';
      this.endSpan(job, outcome, readable, dead ? decision.failureType : undefined);
    }
    if (permit) {
      if (decision.classification.kind === 'permanent') permit.success();
      else permit.failure(readable);
    }
    this.dispatch(now);
  }

  /**
   * Decides the failed attempt's outcome and queues its write. A thrown value that throws when
   * read (a getter, a Proxy) is recorded from a {@link readableCopy}. Should recording fail even
   * so, the job is let go: reported, no longer heartbeated, so its lease expires and recovery
   * runs it again, instead of the failure stopping every other job's bookkeeping.
   */
  private recordFailure(
    job: RunningJob<Payload>,
    error: unknown,
    now: number,
  ): { decision: FailureDecision; readable: unknown } | undefined {
    try {
      const decision = this.completer.decide(job, error, now);
      this.completer.failed(job, error, decision, now);
      return { decision, readable: error };
    } catch {
      // Read again below from a copy.
    }
    const readable = readableCopy(error);
    try {
      const decision = this.completer.decide(job, readable, now);
      this.completer.failed(job, readable, decision, now);
      return { decision, readable };
    } catch (unrecorded) {
      this.ctx.held.delete(job.id);
      this.ctx.reportError(unrecorded);
      return undefined;
    }
  }
}
