/**
 * The consumer side. A worker claims batches of jobs with leases, runs them up to `concurrency`
 * at a time, heartbeats their leases, and writes completions back in batches; unless told
 * `maintenance: false` it is also a candidate for its store's maintainer, which (once elected)
 * sweeps crashed workers' expired leases and applies retention. Delivery is at-least-once; a stale worker's result is refused by
 * the fencing token, never applied twice.
 *
 * This file wires the parts together and closes them in order; each part is its own file:
 * fetcher (claims), executor (handlers), completer (outcome writes), heartbeater (lease renewal)
 * lease sweeper (how the worker reacts to recovery of its queue's jobs) and the store maintainer
 * (worker-maintenance.ts).
 */

import { systemClock, systemRandom } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { RedriveEvents } from '../events.js';
import type { Maintainer } from '../maintenance/maintainer.js';
import { loadTracing } from '../telemetry/load.js';
import type { Tracing } from '../telemetry/tracing.js';
import type { JobHandler } from './active-job.js';
import { Completer } from './completer.js';
import { EventPublisher } from './event-publisher.js';
import { Executor } from './executor.js';
import { Fetcher } from './fetcher.js';
import { Heartbeater } from './heartbeater.js';
import { assertQueueName } from './job-options.js';
import { LeaseSweeper, type SweepResult } from './lease-sweeper.js';
import { StartHorizon } from './start-horizon.js';
import { WorkerContext, type WorkerCounters, type WorkerState } from './worker-context.js';
import { workerMaintainer } from './worker-maintenance.js';
import { resolveWorkerOptions, type WorkerOptions } from './worker-options.js';

export type { JobHandler } from './active-job.js';

/** Counters of a worker since it started. */
export interface WorkerStats extends WorkerCounters {
  workerId: string;
  queue: string;
  state: WorkerState;
  running: number;
  buffered: number;
}

/** Runs a queue's jobs. */
export class Worker<Payload = unknown, Result = unknown> {
  readonly queue: string;
  readonly workerId: string;
  private readonly ctx: WorkerContext<Payload>;
  private readonly completer: Completer<Payload>;
  private readonly fetcher: Fetcher<Payload>;
  private readonly executor: Executor<Payload, Result>;
  private readonly heartbeater: Heartbeater<Payload>;
  private readonly sweeper: LeaseSweeper<Payload>;
  /** Sends this worker's job events to other processes; undefined when the store cannot or `publishEvents: false`. */
  private readonly publisher: EventPublisher | undefined;
  /** This process's candidate for the store's maintainer; undefined with `maintenance: false`. */
  readonly maintainer: Maintainer | undefined;
  /** Pending while the OpenTelemetry API loads; undefined when tracing is off. */
  private readonly tracingLoad: Promise<Tracing | null> | undefined;

  constructor(queue: string, handler: JobHandler<Payload, Result>, options: WorkerOptions) {
    if (typeof handler !== 'function') throw new ValidationError('handler', 'must be a function');
    this.queue = assertQueueName(queue);
    const clock = options?.clock ?? systemClock;
    const random = options?.random ?? systemRandom;
    const resolved = resolveWorkerOptions(options, random);
    this.workerId = resolved.workerId;
    const ctx = new WorkerContext<Payload>({
      queue: this.queue,
      store: options.store,
      clock,
      random,
      options: resolved,
      raw: options,
      quarantineMember: {
        held: (): number => this.executor.running + ctx.buffer.size + (this.fetcher.claimPending ? 1 : 0),
        wake: () => this.fetcher.wake(),
      },
      ...(options.quarantineGate ? { quarantineGate: options.quarantineGate } : {}),
    });
    this.ctx = ctx;
    this.completer = new Completer(
      ctx,
      () => this.fetcher.claimPending,
      () => this.fetcher.answersLater,
    );
    const starts = new StartHorizon(ctx.store, this.workerId, clock, (error) => {
      ctx.reportError(error);
      // A worker waiting on the horizon has nothing else that would dispatch again.
      if (ctx.state === 'running') this.executor.dispatchLater(resolved.pollIntervalMs);
    });
    this.fetcher = new Fetcher(ctx, this.completer.settlements, starts, {
      dispatch: () => this.executor.dispatch(),
      running: () => this.executor.running,
      avgDurationMs: () => this.executor.avgDurationMs,
    });
    this.executor = new Executor(ctx, handler, this.completer, starts, this.fetcher);
    this.heartbeater = new Heartbeater(ctx);
    const publisher =
      resolved.publishEvents && EventPublisher.supported(ctx.store)
        ? new EventPublisher(ctx.store, clock, (error) => ctx.reportError(error))
        : undefined;
    this.publisher = publisher;
    publisher?.follow(ctx.emitter);
    // Stalled jobs are published where recovery ran (the elected maintainer sweeps every queue).
    this.sweeper = new LeaseSweeper(
      ctx,
      () => this.fetcher.wake(),
      publisher && ((e) => publisher.stalled(e)),
    );
    this.maintainer = workerMaintainer(ctx, (event) => this.sweeper.stalled(event));
    this.tracingLoad = loadTracing(options.telemetry)?.then((tracing) => {
      ctx.tracing = tracing ?? undefined;
      return tracing;
    });
    if (publisher) this.maintainer?.on('job.stalled', (event) => publisher.stalled(event));
    if (resolved.autorun) this.run();
  }

  /** Listens to this worker's events. */
  on<E extends keyof RedriveEvents>(event: E, listener: (payload: RedriveEvents[E]) => void): () => void {
    return this.ctx.emitter.on(event, listener);
  }

  /** Starts processing (called by the constructor unless `autorun: false`). */
  run(): void {
    if (this.ctx.state !== 'idle') return;
    this.ctx.state = 'running';
    this.ctx.quarantine.gate.join(this.ctx.quarantine.member);
    if (this.tracingLoad === undefined) {
      this.fetcher.start();
      this.heartbeater.start();
      this.maintainer?.start();
      this.fetcher.kick();
      return;
    }
    this.heartbeater.start();
    this.maintainer?.start();
    // Every attempt is traced: claiming waits until the API has loaded (or failed to).
    void this.tracingLoad.then(() => {
      if (this.ctx.state !== 'running') return;
      this.fetcher.start();
      this.fetcher.kick();
    });
  }

  /** A snapshot of the worker's counters. */
  stats(): WorkerStats {
    return {
      workerId: this.workerId,
      queue: this.queue,
      state: this.ctx.state,
      running: this.executor.running,
      buffered: this.ctx.buffer.size,
      ...this.ctx.counters,
    };
  }

  /** Runs one recovery sweep now; returns what it did. */
  recoverOrphans(): Promise<SweepResult> {
    return this.sweeper.recoverOrphans();
  }

  /**
   * Stops claiming, returns prefetched jobs to the queue at once, waits for running jobs up to
   * `timeoutMs` (default `shutdownTimeoutMs`), then aborts the rest and releases their leases so
   * another worker starts them without waiting for expiry. Does not close the store.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    const { ctx } = this;
    if (ctx.state === 'closed' || ctx.state === 'closing') return;
    const wasRunning = ctx.state === 'running';
    ctx.state = 'closing';
    this.fetcher.stop();
    this.executor.stop();
    // Resigns at once, so another process's maintainer takes over without waiting for the lease.
    const maintenance = this.maintainer?.close();
    if (wasRunning) {
      // A claim already at the store lands its jobs in the buffer: wait for it, then hand them back.
      await this.fetcher.settled();
      await this.fetcher.releaseBuffered();
      await this.fetcher.releaseLostClaims();
      await this.executor.waitForRunning(options.timeoutMs ?? ctx.options.shutdownTimeoutMs);
      const unfinished = this.executor.abandonRunning(
        () => new Error('worker shut down before the job finished; it was released to another worker'),
      );
      await this.completer.flush();
      if (unfinished.length > 0) {
        try {
          await ctx.store.releaseJobs({
            leases: unfinished.map((j) => ({ id: j.id, token: j.token })),
            now: ctx.clock.now(),
          });
        } catch (error) {
          ctx.reportError(error);
        }
      }
      await this.completer.idle();
    }
    this.heartbeater.stop();
    await maintenance;
    await this.publisher?.flush();
    ctx.quarantine.gate.leave(ctx.quarantine.member);
    ctx.state = 'closed';
  }
}
