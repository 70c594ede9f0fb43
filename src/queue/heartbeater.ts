/**
 * The heartbeater: every `heartbeatMs` it extends the leases of the jobs this worker runs or holds,
 * in one store call. A lease the store refuses belongs to another worker now: the handler's signal
 * is aborted so it can stop early, and its outcome will be discarded. A heartbeat that runs late
 * means the event loop was blocked, and is raised as an alert before leases start to expire.
 */
import { intervalNow, type TimerHandle } from '../core/clock.js';
import { LeaseLostError } from './active-job.js';
import type { WorkerContext } from './worker-context.js';

/** Renews the leases of one worker's jobs. */
export class Heartbeater<Payload = unknown> {
  private timer: TimerHandle | undefined;
  private last = 0;

  constructor(private readonly ctx: WorkerContext<Payload>) {}

  /** Starts the heartbeat; the first beat comes one interval from now. */
  start(): void {
    this.last = intervalNow(this.ctx.clock);
    this.schedule();
  }

  /** Stops the heartbeat (a beat in flight finishes but schedules no other). */
  stop(): void {
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.ctx.clock.setTimeout(() => void this.beat(), this.ctx.options.heartbeatMs);
  }

  /** One heartbeat: the lag check, then the leases of every unsettled held job. */
  async beat(): Promise<void> {
    const { ctx } = this;
    const { heartbeatMs, leaseMs } = ctx.options;
    const elapsedAt = intervalNow(ctx.clock);
    const lag = Math.round(elapsedAt - this.last - heartbeatMs);
    this.last = elapsedAt;
    const now = ctx.clock.now();
    if (lag > heartbeatMs) {
      ctx.emitter.emit('alert', {
        type: 'heartbeat_lag',
        queue: ctx.queue,
        message: `heartbeat ran ${lag} ms late: something blocks the event loop; leases may expire and jobs run twice`,
        value: lag,
        threshold: heartbeatMs,
      });
    }
    const leases = [...ctx.held.values()]
      .filter((j) => !j.settled)
      .map((j) => ({ id: j.id, token: j.token }));
    if (leases.length > 0) {
      try {
        const results = await ctx.store.extendLeases({ leases, leaseMs, now });
        for (const result of results) {
          if (result.ok) continue;
          const job = ctx.held.get(result.id);
          // A transaction in progress holds the job row until its commit, whose fence decides.
          if (!job || job.settled || job.committing || job.completedInTransaction) continue;
          job.lost = true;
          job.abort(new LeaseLostError(job.id));
          ctx.leaseLost(job.id, `heartbeat refused (${result.reason}); the handler's signal was aborted`);
        }
      } catch (error) {
        ctx.reportError(error);
      }
    }
    if (ctx.state === 'running' || ctx.state === 'closing') this.schedule();
  }
}
