/**
 * The consumer side. A worker claims batches of jobs with leases, runs them up to `concurrency`
 * at a time, heartbeats their leases, writes completions back in batches, and sweeps expired
 * leases of crashed workers. Delivery is at-least-once; a stale worker's result is refused by
 * the fencing token, never applied twice.
 */

import type { CircuitPermit } from '../core/breaker/types.js';
import {
  type Clock,
  intervalNow,
  type Random,
  systemClock,
  systemRandom,
  type TimerHandle,
} from '../core/clock.js';
import { JobTimeoutError, StoreUnavailableError, ValidationError } from '../core/errors.js';
import type { ClaimedJob } from '../core/job.js';
import { TokenBucket } from '../core/rate-limit/token-bucket.js';
import { createRetryPolicy, type RetryPolicy } from '../core/retry.js';
import type { RedriveEvents } from '../events.js';
import { TypedEmitter } from '../events.js';
import type { FailJobResult, FenceResult } from '../store/job-store.js';
import type { Store } from '../store/store.js';
import { type ActiveJob, LeaseLostError, RunningJob } from './active-job.js';
import { buildJobDeadLetter } from './dead-letter-builder.js';
import { decideFailure, type FailureDecision } from './failure-outcome.js';
import { jobFailure } from './job-failure.js';
import { assertQueueName } from './job-options.js';
import { type PendingFailure, Settlements } from './settlements.js';
import { StartHorizon } from './start-horizon.js';
import { type ResolvedWorkerOptions, resolveWorkerOptions, type WorkerOptions } from './worker-options.js';

/** A job handler. Its return value (JSON-serializable) is stored as the job's result. */
export type JobHandler<Payload = unknown, Result = unknown> = (
  job: ActiveJob<Payload>,
) => Promise<Result> | Result;

/** Counters of a worker since it started. */
export interface WorkerStats {
  workerId: string;
  queue: string;
  state: 'idle' | 'running' | 'closing' | 'closed';
  running: number;
  buffered: number;
  completed: number;
  failed: number;
  retried: number;
  deadLettered: number;
  leasesLost: number;
  recovered: number;
}

/** Largest automatic prefetch. */
const MAX_AUTO_PREFETCH = 1000;
/** Automatic prefetch aims to hold this much work (by average handler time) per slot. */
const PREFETCH_TARGET_MS = 20;

/** Runs a queue's jobs. */
export class Worker<Payload = unknown, Result = unknown> {
  readonly queue: string;
  readonly workerId: string;
  private readonly store: Store;
  private readonly handler: JobHandler<Payload, Result>;
  private readonly options: ResolvedWorkerOptions;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly emitter = new TypedEmitter<RedriveEvents>();
  private readonly defaultPolicy: RetryPolicy;
  private readonly limiter: TokenBucket | undefined;
  private readonly raw: WorkerOptions;

  private state: WorkerStats['state'] = 'idle';
  private readonly held = new Map<string, RunningJob<Payload>>();
  private buffer: RunningJob<Payload>[] = [];
  private head = 0;
  private running = 0;
  /** Completions and failures waiting to be written (in batches, or with the next claim). */
  private readonly settlements: Settlements;
  private readonly completionJobs = new Map<string, { job: RunningJob<Payload>; durationMs: number }>();
  private claiming = false;
  private claimInFlight: Promise<number> | undefined;
  private wakeRequested = false;
  private idleDelay = 1;
  private pollTimer: TimerHandle | undefined;
  private dispatchTimer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private maintenanceTimer: TimerHandle | undefined;
  private lastHeartbeat = 0;
  private unwatch: (() => void) | undefined;
  private unwatchBreaker: (() => void) | undefined;
  private avgDurationMs = Number.NaN;
  private drained: (() => void) | undefined;
  private readonly starts: StartHorizon;
  /** The suspect running alone, until it settles. */
  private quarantined: RunningJob<Payload> | undefined;
  /** A recovery sweep found suspects: stop claiming batches until held jobs finish, then claim alone. */
  private quarantineWanted = false;
  private readonly stats_ = {
    completed: 0,
    failed: 0,
    retried: 0,
    deadLettered: 0,
    leasesLost: 0,
    recovered: 0,
  };

  constructor(queue: string, handler: JobHandler<Payload, Result>, options: WorkerOptions) {
    if (typeof handler !== 'function') throw new ValidationError('handler', 'must be a function');
    this.queue = assertQueueName(queue);
    this.handler = handler;
    this.raw = options;
    this.clock = options?.clock ?? systemClock;
    this.random = options?.random ?? systemRandom;
    const resolved = resolveWorkerOptions(options, this.random);
    this.options = resolved;
    this.workerId = resolved.workerId;
    this.store = options.store;
    this.settlements = new Settlements(this.store, this.clock, {
      completed: (results) => this.completionsWritten(results),
      error: (error) => this.reportError(error),
      claimPending: () => this.claiming,
    });
    this.starts = new StartHorizon(this.store, this.workerId, this.clock, (error) => {
      this.reportError(error);
      // A worker waiting on the horizon has nothing else that would dispatch again.
      if (this.state === 'running' && !this.dispatchTimer) {
        this.dispatchTimer = this.clock.setTimeout(() => {
          this.dispatchTimer = undefined;
          this.dispatch();
        }, this.options.pollIntervalMs);
      }
    });
    this.defaultPolicy = createRetryPolicy(options.backoff);
    this.limiter = resolved.rateLimit
      ? new TokenBucket({
          limit: resolved.rateLimit.limit,
          intervalMs: resolved.rateLimit.intervalMs,
          clock: this.clock,
        })
      : undefined;
    if (resolved.autorun) this.run();
  }

  /** Listens to this worker's events. */
  on<E extends keyof RedriveEvents>(event: E, listener: (payload: RedriveEvents[E]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /** Starts processing (called by the constructor unless `autorun: false`). */
  run(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    if (this.store.capabilities.notify && this.store.watchQueue) {
      this.unwatch = this.store.watchQueue(this.queue, () => this.wake());
    }
    this.unwatchBreaker = this.raw.circuitBreaker?.onStateChange((change) => {
      if (change.to.name === 'open' || change.to.name === 'forced_open') {
        this.emitter.emit('alert', {
          type: 'circuit_open',
          queue: this.queue,
          message: `circuit breaker opened (${change.reason}); the worker stops claiming until it recovers`,
        });
      }
      if (change.to.name === 'closed' || change.to.name === 'half_open') this.wake();
    });
    this.lastHeartbeat = intervalNow(this.clock);
    this.scheduleHeartbeat();
    this.scheduleMaintenance(0);
    this.kick();
  }

  /** A snapshot of the worker's counters. */
  stats(): WorkerStats {
    return {
      workerId: this.workerId,
      queue: this.queue,
      state: this.state,
      running: this.running,
      buffered: this.buffer.length - this.head,
      ...this.stats_,
    };
  }

  // ---- claiming ---------------------------------------------------------------------------

  private wake(): void {
    if (this.state !== 'running') return;
    this.idleDelay = 1;
    if (this.pollTimer) {
      this.clock.clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
    }
    this.kick();
  }

  private prefetchTarget(): number {
    const { concurrency, prefetch } = this.options;
    if (prefetch !== 'auto') return Math.max(prefetch, concurrency);
    if (Number.isNaN(this.avgDurationMs)) return concurrency;
    const perSlot = Math.ceil(PREFETCH_TARGET_MS / Math.max(this.avgDurationMs, 0.001));
    return Math.min(MAX_AUTO_PREFETCH, Math.max(concurrency, perSlot * concurrency));
  }

  /** Claims more jobs when the buffer runs low. Single-flight: a kick during a claim reruns it after. */
  private kick(): void {
    if (this.state !== 'running') return;
    if (this.claiming) {
      this.wakeRequested = true;
      return;
    }
    // Held jobs (running + prefetched) count against the target, so slow handlers, whose target
    // is `concurrency`, never hoard leases on jobs they cannot start yet.
    const buffered = this.buffer.length - this.head;
    const held = buffered + this.running;
    // Nothing is claimed beside a suspect in quarantine; a worker that saw suspects drains first.
    if (this.quarantined || (this.quarantineWanted && held > 0)) return;
    const freeSlots = this.options.concurrency - this.running;
    const target = this.prefetchTarget();
    if (buffered > 0 && buffered >= freeSlots && held >= Math.ceil(target / 2)) return;
    const limit = Math.max(target - held, freeSlots - buffered);
    if (limit <= 0) return;
    this.claiming = true;
    this.claimInFlight = this.claim(limit);
    this.claimInFlight.then(
      (count) => {
        this.claiming = false;
        if (count > 0) {
          this.idleDelay = 1;
          this.dispatch();
        }
        if (this.wakeRequested || count === limit) {
          this.wakeRequested = false;
          this.kick();
        } else if (count === 0) {
          void this.schedulePoll();
        }
      },
      (error: unknown) => {
        this.claiming = false;
        this.reportError(error);
        this.idleDelay = this.options.pollIntervalMs;
        void this.schedulePoll();
      },
    );
  }

  private async claim(limit: number): Promise<number> {
    // Yield to the event loop once per batch: with a synchronous store and fast handlers, claims,
    // handlers and completions would otherwise chain as microtasks for the whole drain and starve
    // heartbeats, timers and I/O (an HTTP server in the same process, say).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const breaker = this.raw.circuitBreaker;
    const allowed = !breaker || breaker.isAllowed();
    const combined =
      allowed && this.store.completeAndClaimJobs && !this.settlements.flushing && this.settlements.size > 0;
    if (!combined) await this.settlements.flush();
    if (!allowed || this.state !== 'running') return 0;
    const lookahead = this.lookahead();
    const marks = this.starts.claimMarks(this.nextToStart(), lookahead);
    const params = {
      queue: this.queue,
      workerId: this.workerId,
      limit: breaker && breaker.state.name === 'half_open' ? 1 : limit,
      leaseMs: this.options.leaseMs,
      now: this.clock.now(),
      claimId: this.random.id(6),
      starts: marks,
      // Holding nothing, this worker may run a suspect alone.
      quarantine: this.running === 0 && this.buffer.length === this.head,
    };
    let claimed: ClaimedJob[];
    if (combined && this.store.completeAndClaimJobs) {
      const batch = this.settlements.take();
      try {
        const result = await this.store.completeAndClaimJobs({
          completions: batch.completions,
          failures: batch.failures.map((f) => f.failure),
          claim: params,
        });
        // Before the claimed jobs are held: a retry may be among them, claimed again at once.
        this.settlements.written(batch, result.completed, result.failed);
        claimed = result.claimed;
      } catch (error) {
        this.settlements.writeFailed(batch, error);
        throw error;
      }
    } else {
      claimed = await this.store.claimJobs(params);
    }
    if (claimed[0]?.suspect) {
      const suspect = new RunningJob(claimed[0] as ClaimedJob<Payload>);
      suspect.quarantined = true;
      this.quarantined = suspect;
      this.held.set(suspect.id, suspect);
      this.buffer.push(suspect);
      return 1;
    }
    if (params.quarantine) this.quarantineWanted = false;
    this.starts.claimed(marks, claimed.length);
    claimed.forEach((job, i) => {
      const running = new RunningJob(job as ClaimedJob<Payload>);
      running.seq = marks.firstSeq + i;
      this.held.set(running.id, running);
      this.buffer.push(running);
    });
    return claimed.length;
  }

  private lookahead(): number {
    return StartHorizon.lookahead(this.options.concurrency, this.avgDurationMs);
  }

  /** The start sequence number of the next buffered job, if one is buffered. */
  private nextToStart(): number | undefined {
    return this.head < this.buffer.length ? this.buffer[this.head]!.seq : undefined;
  }

  private async schedulePoll(): Promise<void> {
    if (this.state !== 'running' || this.pollTimer) return;
    // Without notify, poll adaptively: a few ms right after work, backing off to pollIntervalMs.
    let delay = this.idleDelay;
    this.idleDelay = Math.min(this.idleDelay * 2, this.options.pollIntervalMs);
    const breakerState = this.raw.circuitBreaker?.state;
    if (breakerState?.name === 'open') {
      delay = Math.max(delay, breakerState.reopenAt - this.clock.now());
    } else if (this.store.capabilities.notify) {
      // Notify covers new and released jobs; polling only catches delayed jobs falling due and
      // anything notify cannot see, so sleep until the next due job, at most pollIntervalMs.
      delay = this.options.pollIntervalMs;
      try {
        const next = await this.store.nextScheduledAt({ queue: this.queue });
        if (next !== null) delay = Math.min(delay, Math.max(0, next - this.clock.now()));
      } catch (error) {
        this.reportError(error);
      }
    }
    if (this.state !== 'running' || this.pollTimer) return;
    this.pollTimer = this.clock.setTimeout(() => {
      this.pollTimer = undefined;
      this.kick();
    }, delay);
  }

  // ---- running ----------------------------------------------------------------------------

  private dispatch(): void {
    while (this.running < this.options.concurrency && this.head < this.buffer.length) {
      if (this.state !== 'running') break;
      const next = this.buffer[this.head]!;
      if (!next.quarantined && !next.lost && !this.starts.mayStart(next.seq)) {
        // The store must know this job may start before it does (see start-horizon.ts).
        this.starts.advance(next.seq, this.lookahead(), () => this.dispatch());
        break;
      }
      if (this.limiter && !this.limiter.tryTake()) {
        if (!this.dispatchTimer) {
          this.dispatchTimer = this.clock.setTimeout(
            () => {
              this.dispatchTimer = undefined;
              this.dispatch();
            },
            Math.max(1, this.limiter.retryAfterMs()),
          );
        }
        return;
      }
      const job = this.buffer[this.head++]!;
      if (job.lost) continue;
      const breaker = this.raw.circuitBreaker;
      let permit: CircuitPermit | false | undefined;
      if (breaker) {
        permit = breaker.tryAcquire();
        if (!permit) {
          this.head--;
          void this.releaseBuffered();
          return;
        }
      }
      this.start(job, permit || undefined);
    }
    // Fast handlers get the horizon raised ahead of need; slow ones (a lookahead of `concurrency`)
    // when a job waits on it, which keeps the jobs judged `running` after a crash to those started.
    const nextSeq = this.nextToStart();
    const lookahead = this.lookahead();
    if (
      nextSeq !== undefined &&
      nextSeq >= 0 &&
      lookahead > this.options.concurrency &&
      this.starts.isClose(nextSeq, lookahead)
    ) {
      this.starts.advance(nextSeq, lookahead, () => this.dispatch());
    }
    if (this.head === this.buffer.length && this.head > 0) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.buffer.length) {
      // A worker that claims again before its buffer empties would otherwise keep every job it
      // ever started reachable from the array.
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    this.kick();
  }

  private start(job: RunningJob<Payload>, permit: CircuitPermit | undefined): void {
    this.running++;
    job.startedAt = this.clock.now();
    if (this.emitter.hasListeners('job.active')) {
      this.emitter.emit('job.active', {
        queue: this.queue,
        jobId: job.id,
        name: job.name,
        attempt: job.attempt,
        workerId: this.workerId,
      });
    }
    const timeoutMs = job.claimed.timeoutMs;
    if (timeoutMs !== null) {
      job.timer = this.clock.setTimeout(() => {
        const error = new JobTimeoutError(timeoutMs);
        job.abort(error);
        this.onFailure(job, error, permit);
      }, timeoutMs);
    }
    let result: Promise<Result> | Result;
    try {
      result = this.handler(job);
    } catch (error) {
      this.onFailure(job, error, permit);
      return;
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

  /** Marks the attempt finished; false if it already was (timeout fired, lease lost, shutdown). */
  private settle(job: RunningJob<Payload>): boolean {
    if (job.settled) return false;
    job.settled = true;
    this.running--;
    if (this.quarantined === job) this.quarantined = undefined;
    if (job.timer !== undefined) this.clock.clearTimeout(job.timer as TimerHandle);
    const duration = this.clock.now() - job.startedAt;
    this.avgDurationMs = Number.isNaN(this.avgDurationMs)
      ? duration
      : this.avgDurationMs * 0.9 + duration * 0.1;
    if (this.running === 0 && this.drained) this.drained();
    return true;
  }

  private onSuccess(job: RunningJob<Payload>, value: Result, permit: CircuitPermit | undefined): void {
    if (!this.settle(job)) return;
    permit?.success();
    let resultJson: string | null = null;
    if (value !== undefined) {
      try {
        resultJson = JSON.stringify(value) ?? null;
      } catch {
        resultJson = null;
      }
    }
    if (this.emitter.hasListeners('job.completed')) {
      this.completionJobs.set(job.id, { job, durationMs: this.clock.now() - job.startedAt });
    }
    this.settlements.addCompletion({ id: job.id, token: job.token, resultJson });
    this.dispatch();
  }

  private completionsWritten(results: readonly FenceResult[]): void {
    for (const result of results) {
      this.held.delete(result.id);
      if (result.ok) {
        this.stats_.completed++;
        const entry = this.completionJobs.get(result.id);
        if (entry) {
          this.completionJobs.delete(result.id);
          this.emitter.emit('job.completed', {
            queue: this.queue,
            jobId: result.id,
            name: entry.job.name,
            attempt: entry.job.attempt,
            durationMs: entry.durationMs,
          });
        }
      } else {
        this.completionJobs.delete(result.id);
        this.leaseLost(result.id, `completion refused (${result.reason}): another worker owns the job now`);
      }
    }
  }

  private onFailure(job: RunningJob<Payload>, error: unknown, permit: CircuitPermit | undefined): void {
    if (!this.settle(job)) return;
    if (job.lost) {
      this.held.delete(job.id);
      this.dispatch();
      return;
    }
    const now = this.clock.now();
    const decision = decideFailure({
      error,
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      rateLimitDelays: job.claimed.rateLimitDelays,
      maxRateLimitDelays: this.options.maxRateLimitDelays,
      backoff: job.claimed.backoff,
      defaultPolicy: this.defaultPolicy,
      now,
      random: this.random,
    });
    if (permit) {
      if (decision.classification.kind === 'permanent') permit.success();
      else permit.failure(error);
    }
    const err = error instanceof Error ? error : new Error(String(error));
    const failure = jobFailure({
      job,
      error: err,
      decision,
      now,
      workerId: this.workerId,
      queue: this.queue,
      deadLetterSettings: this.raw.deadLetter ?? {},
      random: this.random,
    });
    this.settlements.addFailure({
      failure,
      written: (result) => this.failureWritten(job, err, decision, result),
      // The lease will expire and recovery will return the job without spending an attempt.
      dropped: () => this.held.delete(job.id),
    } satisfies PendingFailure);
    this.dispatch();
  }

  private failureWritten(
    job: RunningJob<Payload>,
    err: Error,
    decision: FailureDecision,
    result: FailJobResult,
  ): void {
    this.held.delete(job.id);
    if (!result.ok) {
      this.leaseLost(job.id, `failure refused (${result.reason}): another worker owns the job now`);
      return;
    }
    this.stats_.failed++;
    const base = { queue: this.queue, jobId: job.id, name: job.name };
    this.emitter.emit('job.failed', {
      ...base,
      attempt: job.attempt,
      error: err,
      willRetry: decision.kind !== 'dead_letter',
    });
    if (decision.kind === 'dead_letter') {
      this.stats_.deadLettered++;
      this.emitter.emit('job.dead_lettered', {
        ...base,
        deadLetterId: result.deadLetterId ?? '',
        failureType: decision.failureType,
      });
    } else {
      this.stats_.retried++;
      this.emitter.emit('job.retried', {
        ...base,
        attempt: job.attempt,
        runAt: decision.runAt,
        reason: decision.kind === 'rate_limited' ? 'rate_limited' : 'error',
      });
    }
  }

  private leaseLost(jobId: string, message: string): void {
    this.stats_.leasesLost++;
    this.emitter.emit('alert', {
      type: 'lease_lost',
      queue: this.queue,
      message: `job ${jobId}: ${message}`,
    });
  }

  private reportError(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.emitter.emit('error', { queue: this.queue, error: err });
    if (err instanceof StoreUnavailableError) {
      this.emitter.emit('alert', { type: 'store_error', queue: this.queue, message: err.message });
    }
  }

  // ---- leases -----------------------------------------------------------------------------

  private scheduleHeartbeat(): void {
    this.heartbeatTimer = this.clock.setTimeout(() => void this.heartbeat(), this.options.heartbeatMs);
  }

  private async heartbeat(): Promise<void> {
    const elapsedAt = intervalNow(this.clock);
    const lag = Math.round(elapsedAt - this.lastHeartbeat - this.options.heartbeatMs);
    this.lastHeartbeat = elapsedAt;
    const now = this.clock.now();
    if (lag > this.options.heartbeatMs) {
      this.emitter.emit('alert', {
        type: 'heartbeat_lag',
        queue: this.queue,
        message: `heartbeat ran ${lag} ms late: something blocks the event loop; leases may expire and jobs run twice`,
        value: lag,
        threshold: this.options.heartbeatMs,
      });
    }
    const leases = [...this.held.values()]
      .filter((j) => !j.settled)
      .map((j) => ({ id: j.id, token: j.token }));
    if (leases.length > 0) {
      try {
        const results = await this.store.extendLeases({ leases, leaseMs: this.options.leaseMs, now });
        for (const result of results) {
          if (result.ok) continue;
          const job = this.held.get(result.id);
          if (!job || job.settled) continue;
          job.lost = true;
          job.abort(new LeaseLostError(job.id));
          this.leaseLost(job.id, `heartbeat refused (${result.reason}); the handler's signal was aborted`);
        }
      } catch (error) {
        this.reportError(error);
      }
    }
    if (this.state === 'running' || this.state === 'closing') this.scheduleHeartbeat();
  }

  private scheduleMaintenance(delay: number): void {
    this.maintenanceTimer = this.clock.setTimeout(() => void this.maintain(), delay);
  }

  /** Sweeps expired leases (of any worker) and old completed jobs. */
  private async maintain(): Promise<void> {
    if (this.state !== 'running') return;
    try {
      await this.recoverOrphans();
      const retention = this.options.completedRetentionMs;
      if (retention !== false) {
        await this.store.removeJobs({
          queue: this.queue,
          states: ['completed'],
          before: this.clock.now() - retention,
          limit: 1000,
        });
      }
    } catch (error) {
      this.reportError(error);
    }
    if (this.state === 'running') this.scheduleMaintenance(this.options.recoveryIntervalMs);
  }

  /** Runs one recovery sweep now; returns what it did. */
  async recoverOrphans(): Promise<{ recovered: string[]; deadLettered: string[] }> {
    const now = this.clock.now();
    const result = await this.store.recoverExpiredLeases({
      now,
      queue: this.queue,
      maxOrphans: this.options.maxOrphans,
      limit: 1000,
      deadLetterFor: (job) =>
        buildJobDeadLetter({
          queue: job.queue,
          failureType: 'poison_pill',
          error: Object.assign(
            new Error(
              `job ${job.id} lost its worker ${job.orphanCount} times while running alone in quarantine (the lease expired each time)`,
            ),
            { name: 'PoisonPillError', code: 'POISON_PILL' },
          ),
          workerId: null,
          settings: this.raw.deadLetter ?? {},
          now,
          firstFailedAt: now,
          random: this.random,
        }),
    });
    this.stats_.recovered += result.recovered.length;
    for (const jobId of result.recovered) {
      const orphanedWhile = result.orphanedWhile[jobId] ?? 'running';
      // Suspects wait for a worker that holds nothing else: this one, once its jobs finish.
      if (orphanedWhile !== 'prefetched') this.quarantineWanted = true;
      this.emitter.emit('job.stalled', { queue: this.queue, jobId, action: 'recovered', orphanedWhile });
    }
    for (const { jobId, deadLetterId } of result.deadLettered) {
      this.emitter.emit('job.stalled', {
        queue: this.queue,
        jobId,
        action: 'dead_lettered',
        deadLetterId,
        orphanedWhile: result.orphanedWhile[jobId] ?? 'quarantine',
      });
    }
    if (result.recovered.length > 0) this.wake();
    return { recovered: result.recovered, deadLettered: result.deadLettered.map((d) => d.jobId) };
  }

  // ---- shutdown ---------------------------------------------------------------------------

  private async releaseBuffered(): Promise<void> {
    const jobs = this.buffer.slice(this.head).filter((j) => !j.lost);
    this.buffer = [];
    this.head = 0;
    if (this.quarantined && jobs.includes(this.quarantined)) this.quarantined = undefined;
    if (jobs.length === 0) return;
    for (const job of jobs) this.held.delete(job.id);
    try {
      await this.store.releaseJobs({
        leases: jobs.map((j) => ({ id: j.id, token: j.token })),
        now: this.clock.now(),
      });
    } catch (error) {
      // Their leases will expire and recovery returns them.
      this.reportError(error);
    }
  }

  /**
   * Stops claiming, returns prefetched jobs to the queue at once, waits for running jobs up to
   * `timeoutMs` (default `shutdownTimeoutMs`), then aborts the rest and releases their leases so
   * another worker starts them without waiting for expiry. Does not close the store.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    const wasRunning = this.state === 'running';
    this.state = 'closing';
    this.unwatch?.();
    this.unwatchBreaker?.();
    for (const timer of [this.pollTimer, this.dispatchTimer, this.maintenanceTimer]) {
      if (timer) this.clock.clearTimeout(timer);
    }
    if (wasRunning) {
      // A claim already at the store lands its jobs in the buffer: wait for it, then hand them back.
      await this.claimInFlight?.catch(() => 0);
      await this.releaseBuffered();
      if (this.running > 0) {
        const timeoutMs = options.timeoutMs ?? this.options.shutdownTimeoutMs;
        await new Promise<void>((resolve) => {
          const timer = this.clock.setTimeout(resolve, timeoutMs);
          this.drained = () => {
            this.clock.clearTimeout(timer);
            resolve();
          };
        });
        this.drained = undefined;
      }
      const unfinished = [...this.held.values()].filter((j) => !j.settled && j.startedAt > 0);
      for (const job of unfinished) {
        job.abort(new Error('worker shut down before the job finished; it was released to another worker'));
        job.settled = true;
        if (job.timer !== undefined) this.clock.clearTimeout(job.timer as TimerHandle);
        this.running--;
      }
      await this.settlements.flush();
      if (unfinished.length > 0) {
        try {
          await this.store.releaseJobs({
            leases: unfinished.map((j) => ({ id: j.id, token: j.token })),
            now: this.clock.now(),
          });
        } catch (error) {
          this.reportError(error);
        }
      }
      await this.settlements.idle();
    }
    if (this.heartbeatTimer) this.clock.clearTimeout(this.heartbeatTimer);
    this.state = 'closed';
  }
}
