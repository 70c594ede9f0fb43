/**
 * The fetcher: claims batches of jobs into the worker's buffer. It prefetches ahead of free slots
 * (adaptively, by average handler time), claims single-flight, is woken by the store's notify and
 * by circuit-breaker recovery, and otherwise polls with a backoff. Pending outcomes ride along with
 * a claim when the store can write both in one step. A suspect (a job whose worker died while it
 * may have been running) is claimed alone and runs in quarantine.
 */
import type { TimerHandle } from '../core/clock.js';
import type { ClaimedJob } from '../core/job.js';
import type { ClaimJobsParams } from '../store/job-store.js';
import { RunningJob } from './active-job.js';
import { LostClaims } from './lost-claims.js';
import type { Settlements } from './settlements.js';
import type { StartHorizon } from './start-horizon.js';
import type { WorkerContext } from './worker-context.js';

/** Largest automatic prefetch. */
const MAX_AUTO_PREFETCH = 1000;
/** Automatic prefetch aims to hold this much work (by average handler time) per slot. */
const PREFETCH_TARGET_MS = 20;
/** First wait before claiming again when a wake came during a claim that failed; doubles. */
const WAKE_RETRY_MIN_MS = 10;

/** What the fetcher needs from the executor. */
export interface FetcherHooks {
  /** Starts buffered jobs in free slots. */
  dispatch(): void;
  /** Handlers running now. */
  running(): number;
  /** Moving average of handler time (NaN before the first job). */
  avgDurationMs(): number;
}

/** Claims jobs for one worker. */
export class Fetcher<Payload = unknown> {
  private claiming = false;
  private inFlight: Promise<number> | undefined;
  private wakeRequested = false;
  private idleDelay = 1;
  /** A wake (notification, breaker closing) whose claim has not yet got through. */
  private wakePending = false;
  /** Wait before the next try of a wake whose claims failed. */
  private wakeRetryDelay = 0;
  private pollTimer: TimerHandle | undefined;
  private unwatch: (() => void) | undefined;
  private unwatchBreaker: (() => void) | undefined;
  /**
   * The last claim was answered in a later turn of the event loop (a store across a network): the
   * next claim is sent at once, so the store works on it while this worker runs the jobs it holds.
   */
  private answeredLater = false;
  /**
   * Failed claims the store may have run (the reply lost with the connection): the next claim
   * names them, and the store returns the jobs they took to waiting first.
   */
  private readonly lostClaims = new LostClaims();

  constructor(
    private readonly ctx: WorkerContext<Payload>,
    private readonly settlements: Settlements,
    private readonly starts: StartHorizon,
    private readonly hooks: FetcherHooks,
  ) {}

  /** True while a claim is in flight (it writes pending outcomes itself where it can). */
  get claimPending(): boolean {
    return this.claiming;
  }

  /** True when the store answered the last claim in a later turn of the event loop (a server). */
  get answersLater(): boolean {
    return this.answeredLater;
  }

  /** Subscribes to wake-ups: the store's notify, and the circuit breaker closing again. */
  start(): void {
    const { ctx } = this;
    if (ctx.store.capabilities.notify && ctx.store.watchQueue) {
      this.unwatch = ctx.store.watchQueue(ctx.queue, () => this.wake());
    }
    this.unwatchBreaker = ctx.raw.circuitBreaker?.onStateChange((change) => {
      if (change.to.name === 'open' || change.to.name === 'forced_open') {
        ctx.emitter.emit('alert', {
          type: 'circuit_open',
          queue: ctx.queue,
          message: `circuit breaker opened (${change.reason}); the worker stops claiming until it recovers`,
        });
      }
      if (change.to.name === 'closed' || change.to.name === 'half_open') this.wake();
    });
  }

  /** Unsubscribes and cancels the next poll; a claim in flight still lands (see {@link settled}). */
  stop(): void {
    this.unwatch?.();
    this.unwatchBreaker?.();
    if (this.pollTimer) this.ctx.clock.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  /** Resolves when no claim is in flight. */
  async settled(): Promise<void> {
    await this.inFlight?.catch(() => 0);
  }

  /** Claims at once (new jobs may be waiting), resetting the poll backoff. */
  wake(): void {
    if (this.ctx.state !== 'running') return;
    this.idleDelay = 1;
    this.wakePending = true;
    this.wakeRetryDelay = 0;
    if (this.pollTimer) {
      this.ctx.clock.clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
    }
    this.kick();
  }

  /** Claims more jobs when the buffer runs low. Single-flight: a kick during a claim reruns it after. */
  kick(): void {
    const { ctx } = this;
    if (ctx.state !== 'running') return;
    if (this.claiming) {
      this.wakeRequested = true;
      return;
    }
    // Held jobs (running + prefetched) count against the target, so slow handlers, whose target
    // is `concurrency`, never hoard leases on jobs they cannot start yet.
    const running = this.hooks.running();
    const buffered = ctx.buffer.size;
    const held = buffered + running;
    // Nothing is claimed beside a suspect in quarantine, in this process; a worker that saw
    // suspects drains first, and the process's other workers wait for it.
    const { gate, member } = ctx.quarantine;
    if (ctx.quarantine.job || gate.blocks(member) || (gate.wants(member) && held > 0)) return;
    const freeSlots = ctx.options.concurrency - running;
    const target = this.prefetchTarget();
    if (buffered > 0 && buffered >= freeSlots && held >= Math.ceil(target / 2)) return;
    const limit = Math.max(target - held, freeSlots - buffered);
    if (limit <= 0) return;
    this.claiming = true;
    this.inFlight = this.claim(limit);
    this.inFlight.then(
      (count) => {
        this.claiming = false;
        this.wakePending = false;
        this.wakeRetryDelay = 0;
        if (count > 0) {
          this.idleDelay = 1;
          this.hooks.dispatch();
        }
        if (this.wakeRequested || count === limit) {
          this.wakeRequested = false;
          this.kick();
        } else if (count === 0) {
          void this.schedulePoll();
        }
        // Outcomes settled while this claim was in flight were left for the next claim to carry.
        if (!this.claiming) this.settlements.flushSoon();
      },
      (error: unknown) => {
        this.claiming = false;
        ctx.reportError(error);
        if (this.wakeRequested || this.wakePending) {
          // A wake led to this failed claim or came during it (the store's notification after a
          // reconnect, say, answered before its command connection is ready): work may be
          // waiting, so try again soon, backing off, until a claim gets through, instead of
          // sleeping a whole poll interval.
          this.wakeRequested = false;
          this.wakeRetryDelay = Math.min(
            Math.max(this.wakeRetryDelay * 2, WAKE_RETRY_MIN_MS),
            ctx.options.pollIntervalMs,
          );
          this.kickAfter(this.wakeRetryDelay);
        } else {
          this.idleDelay = ctx.options.pollIntervalMs;
          void this.schedulePoll();
        }
        // Outcomes settled during the claim were left for it to carry; they must not wait either.
        this.settlements.flushSoon();
      },
    );
  }

  /** Hands the buffered jobs back to the queue at once (shutdown, or the breaker refused a start). */
  async releaseBuffered(): Promise<void> {
    const { ctx } = this;
    const jobs = ctx.buffer.drain().filter((j) => !j.lost);
    if (ctx.quarantine.job && jobs.includes(ctx.quarantine.job)) {
      ctx.quarantine.job = undefined;
      ctx.quarantine.gate.release(ctx.quarantine.member);
    }
    if (jobs.length === 0) return;
    for (const job of jobs) ctx.held.delete(job.id);
    try {
      await ctx.store.releaseJobs({
        leases: jobs.map((j) => ({ id: j.id, token: j.token })),
        now: ctx.clock.now(),
      });
    } catch (error) {
      // Their leases will expire and recovery returns them.
      ctx.reportError(error);
    }
  }

  /**
   * On shutdown: hands back the jobs of claims whose replies were lost and that no claim has named
   * yet, with a claim of nothing that names them.
   */
  async releaseLostClaims(): Promise<void> {
    const { ctx } = this;
    const named = this.lostClaims.toName();
    if (!named.lostClaims) return;
    const params = { queue: ctx.queue, workerId: ctx.workerId, limit: 0, leaseMs: ctx.options.leaseMs };
    try {
      await ctx.store.claimJobs({ ...params, now: ctx.clock.now(), claimId: ctx.random.id(6), ...named });
      this.lostClaims.released(named.lostClaims);
    } catch (error) {
      // Their leases will expire and recovery returns them.
      ctx.reportError(error);
    }
  }

  private prefetchTarget(): number {
    const { concurrency, prefetch } = this.ctx.options;
    if (prefetch !== 'auto') return Math.max(prefetch, concurrency);
    const avg = this.hooks.avgDurationMs();
    if (Number.isNaN(avg)) return concurrency;
    const perSlot = Math.ceil(PREFETCH_TARGET_MS / Math.max(avg, 0.001));
    return Math.min(MAX_AUTO_PREFETCH, Math.max(concurrency, perSlot * concurrency));
  }

  private async claim(limit: number): Promise<number> {
    const { ctx, settlements } = this;
    // Yield to the event loop once per batch: with a store that answers in the same turn (SQLite)
    // and fast handlers, claims, handlers and completions would otherwise chain as microtasks for
    // the whole drain and starve heartbeats, timers and I/O (an HTTP server in the same process,
    // say). A store across a network answers in a later turn anyway, and sending its claim now,
    // rather than after the held jobs have run, lets the store and this worker work at once.
    if (!this.answeredLater) await new Promise<void>((resolve) => setImmediate(resolve));
    const breaker = ctx.raw.circuitBreaker;
    const allowed = !breaker || breaker.isAllowed();
    // A store that answers later gets the claim at once, beside any outcome write in flight (it
    // works through them in order while this worker runs jobs); one that answers in the same turn
    // writes the outcomes first.
    const overlap = this.answeredLater;
    const combined =
      allowed && ctx.store.completeAndClaimJobs && (overlap || !settlements.flushing) && settlements.size > 0;
    if (!combined) {
      if (overlap) void settlements.flush();
      else await settlements.flush();
    }
    if (!allowed || ctx.state !== 'running') return 0;
    const marks = this.starts.claimMarks(
      ctx.buffer.nextSeq(),
      this.starts.lookahead(ctx.options.concurrency, this.hooks.avgDurationMs()),
    );
    const params = {
      queue: ctx.queue,
      workerId: ctx.workerId,
      limit: breaker && breaker.state.name === 'half_open' ? 1 : limit,
      leaseMs: ctx.options.leaseMs,
      now: ctx.clock.now(),
      claimId: ctx.random.id(6),
      ...this.lostClaims.toName(),
      starts: marks,
      // When nothing is held in the whole process, this worker may run a suspect alone.
      quarantine: ctx.quarantine.gate.tryTake(ctx.quarantine.member, this.hooks.running() + ctx.buffer.size),
    };
    try {
      const count = await this.claimInto(params, Boolean(combined), marks);
      // The store released what those claims took, in the same step as this claim.
      this.lostClaims.released(params.lostClaims);
      return count;
    } catch (error) {
      // Unless it surely never reached the store, the claim may have run (its reply lost).
      this.lostClaims.failed(params, error);
      this.starts.claimFailed();
      if (params.quarantine) ctx.quarantine.gate.release(ctx.quarantine.member);
      throw error;
    }
  }

  private async claimInto(
    params: ClaimJobsParams,
    combined: boolean,
    marks: { firstSeq: number; horizon: number },
  ): Promise<number> {
    // Tells whether the answer came in a later turn: this runs in the check phase of this turn or
    // the next, after a store that answers synchronously (SQLite) has answered, and almost always
    // before one across a network has (a wrong guess only costs the yield above).
    let turned = false;
    const marker = setImmediate(() => {
      turned = true;
    });
    try {
      return await this.claimFromStore(params, combined, marks);
    } finally {
      clearImmediate(marker);
      this.answeredLater = turned;
    }
  }

  private async claimFromStore(
    params: ClaimJobsParams,
    combined: boolean,
    marks: { firstSeq: number; horizon: number },
  ): Promise<number> {
    const { ctx, settlements } = this;
    let claimed: ClaimedJob[];
    if (combined && ctx.store.completeAndClaimJobs) {
      const batch = settlements.take();
      try {
        const result = await ctx.store.completeAndClaimJobs({
          completions: batch.completions,
          failures: batch.failures.map((f) => f.failure),
          claim: params,
        });
        // Before the claimed jobs are held: a retry may be among them, claimed again at once.
        settlements.written(batch, result.completed, result.failed);
        claimed = result.claimed;
      } catch (error) {
        settlements.writeFailed(batch, error);
        throw error;
      }
    } else {
      claimed = await ctx.store.claimJobs(params);
    }
    if (claimed[0]?.suspect) {
      // A suspect is not numbered: it starts in quarantine, without a horizon.
      this.starts.claimed(marks, 0);
      const suspect = new RunningJob(claimed[0] as ClaimedJob<Payload>, ctx.transactions, ctx.progress);
      suspect.quarantined = true;
      ctx.quarantine.job = suspect;
      ctx.held.set(suspect.id, suspect);
      ctx.buffer.push(suspect);
      return 1;
    }
    if (params.quarantine) {
      ctx.quarantine.gate.release(ctx.quarantine.member);
      ctx.quarantine.gate.satisfied(ctx.quarantine.member);
    }
    this.starts.claimed(marks, claimed.length);
    for (let i = 0; i < claimed.length; i++) {
      const running = new RunningJob(claimed[i] as ClaimedJob<Payload>, ctx.transactions, ctx.progress);
      running.seq = marks.firstSeq + i;
      ctx.held.set(running.id, running);
      ctx.buffer.push(running);
    }
    return claimed.length;
  }

  private kickAfter(delay: number): void {
    if (this.pollTimer) this.ctx.clock.clearTimeout(this.pollTimer);
    this.pollTimer = this.ctx.clock.setTimeout(() => {
      this.pollTimer = undefined;
      this.kick();
    }, delay);
  }

  private async schedulePoll(): Promise<void> {
    const { ctx } = this;
    if (ctx.state !== 'running' || this.pollTimer) return;
    // Without notify, poll adaptively: a few ms right after work, backing off to pollIntervalMs.
    let delay = this.idleDelay;
    this.idleDelay = Math.min(this.idleDelay * 2, ctx.options.pollIntervalMs);
    const breakerState = ctx.raw.circuitBreaker?.state;
    if (breakerState?.name === 'open') {
      delay = Math.max(delay, breakerState.reopenAt - ctx.clock.now());
    } else if (ctx.store.capabilities.notify) {
      // Notify covers new and released jobs; polling only catches delayed jobs falling due and
      // anything notify cannot see, so sleep until the next due job, at most pollIntervalMs.
      delay = ctx.options.pollIntervalMs;
      try {
        const next = await ctx.store.nextScheduledAt({ queue: ctx.queue });
        if (next !== null) delay = Math.min(delay, Math.max(0, next - ctx.clock.now()));
      } catch (error) {
        ctx.reportError(error);
      }
    }
    if (ctx.state !== 'running' || this.pollTimer) return;
    this.pollTimer = ctx.clock.setTimeout(() => {
      this.pollTimer = undefined;
      this.kick();
    }, delay);
  }
}
