/**
 * How a worker takes part in lease recovery. It no longer sweeps on a timer: the store's elected
 * maintainer (src/maintenance/) does, once per store. The worker reacts to what recovery did to
 * its queue — counts it, reports `job.stalled`, asks for quarantine when a recovered job may have
 * been running, and wakes its fetcher — whether the sweep ran in the maintainer or on demand
 * ({@link LeaseSweeper.recoverOrphans}).
 */
import type { RedriveEvents } from '../events.js';
import { poisonPillDeadLetter } from '../maintenance/lease-rescuer.js';
import type { WorkerContext } from './worker-context.js';

/** What one recovery sweep did. */
export interface SweepResult {
  recovered: string[];
  deadLettered: string[];
}

/** Sweeps one queue's expired leases on demand, and reacts to recoveries of its jobs. */
export class LeaseSweeper<Payload = unknown> {
  /**
   * @param wake called when jobs were returned to the queue, so the worker claims them
   * @param publish sends what an on-demand sweep did to other processes (job events)
   */
  constructor(
    private readonly ctx: WorkerContext<Payload>,
    private readonly wake: () => void,
    private readonly publish?: (event: RedriveEvents['job.stalled']) => void,
  ) {}

  /**
   * A job was recovered or dead-lettered by a recovery sweep; only this worker's queue concerns
   * it. Wakes the fetcher for a recovered job unless `wake` is false (a sweep wakes it once).
   */
  stalled(event: RedriveEvents['job.stalled'], wake = true): void {
    const { ctx } = this;
    if (event.queue !== ctx.queue) return;
    if (event.action === 'recovered') {
      ctx.counters.recovered++;
      // Suspects wait for a process that holds nothing else: this one, once its jobs finish.
      if (event.orphanedWhile !== 'prefetched') ctx.quarantine.gate.want(ctx.quarantine.member);
    }
    ctx.emitter.emit('job.stalled', event);
    if (wake && event.action === 'recovered') this.wake();
  }

  /** Runs one recovery sweep of this worker's queue now; returns what it did. */
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
    for (const jobId of result.recovered) {
      const orphanedWhile = result.orphanedWhile[jobId] ?? 'running';
      const event = { queue: ctx.queue, jobId, action: 'recovered', orphanedWhile } as const;
      this.stalled(event, false);
      this.publish?.(event);
    }
    for (const { jobId, deadLetterId } of result.deadLettered) {
      const orphanedWhile = result.orphanedWhile[jobId] ?? 'quarantine';
      const event = {
        queue: ctx.queue,
        jobId,
        action: 'dead_lettered',
        deadLetterId,
        orphanedWhile,
      } as const;
      this.stalled(event);
      this.publish?.(event);
    }
    if (result.recovered.length > 0) this.wake();
    return { recovered: result.recovered, deadLettered: result.deadLettered.map((d) => d.jobId) };
  }
}
