/**
 * The lease sweeper: every `recoveryIntervalMs` it returns jobs whose leases expired (their worker
 * crashed or hung) to the queue, dead-letters the ones that keep killing their worker (poison
 * pills), and deletes old completed jobs. Housekeeping of the whole queue, not of this worker's
 * jobs: it is kept apart from the worker's own work so it can run elsewhere.
 */
import type { TimerHandle } from '../core/clock.js';
import { poisonPillDeadLetter } from '../maintenance/lease-rescuer.js';
import type { WorkerContext } from './worker-context.js';

/** What one recovery sweep did. */
export interface SweepResult {
  recovered: string[];
  deadLettered: string[];
}

/** Sweeps one queue's expired leases and old completed jobs on a timer. */
export class LeaseSweeper<Payload = unknown> {
  private timer: TimerHandle | undefined;

  /** @param wake called when jobs were returned to the queue, so the worker claims them */
  constructor(
    private readonly ctx: WorkerContext<Payload>,
    private readonly wake: () => void,
  ) {}

  /** Sweeps now, then every `recoveryIntervalMs` while the worker runs. */
  start(): void {
    this.schedule(0);
  }

  /** Stops sweeping. */
  stop(): void {
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delay: number): void {
    this.timer = this.ctx.clock.setTimeout(() => void this.sweep(), delay);
  }

  private async sweep(): Promise<void> {
    const { ctx } = this;
    if (ctx.state !== 'running') return;
    try {
      await this.recoverOrphans();
      const retention = ctx.options.completedRetentionMs;
      if (retention !== false) {
        await ctx.store.removeJobs({
          queue: ctx.queue,
          states: ['completed'],
          before: ctx.clock.now() - retention,
          limit: 1000,
        });
      }
    } catch (error) {
      ctx.reportError(error);
    }
    if (ctx.state === 'running') this.schedule(ctx.options.recoveryIntervalMs);
  }

  /** Runs one recovery sweep now; returns what it did. */
  async recoverOrphans(): Promise<SweepResult> {
    const { ctx } = this;
    const now = ctx.clock.now();
    const result = await ctx.store.recoverExpiredLeases({
      now,
      queue: ctx.queue,
      maxOrphans: ctx.options.maxOrphans,
      limit: 1000,
      deadLetterFor: (job) => poisonPillDeadLetter(job, now, ctx.raw.deadLetter ?? {}, ctx.random),
    });
    ctx.counters.recovered += result.recovered.length;
    for (const jobId of result.recovered) {
      const orphanedWhile = result.orphanedWhile[jobId] ?? 'running';
      // Suspects wait for a process that holds nothing else: this one, once its jobs finish.
      if (orphanedWhile !== 'prefetched') ctx.quarantine.gate.want(ctx.quarantine.member);
      ctx.emitter.emit('job.stalled', { queue: ctx.queue, jobId, action: 'recovered', orphanedWhile });
    }
    for (const { jobId, deadLetterId } of result.deadLettered) {
      ctx.emitter.emit('job.stalled', {
        queue: ctx.queue,
        jobId,
        action: 'dead_lettered',
        deadLetterId,
        orphanedWhile: result.orphanedWhile[jobId] ?? 'quarantine',
      });
    }
    if (result.recovered.length > 0) this.wake();
    return { recovered: result.recovered, deadLettered: result.deadLettered.map((d) => d.jobId) };
  }
}
