/**
 * A pool of workers for one queue: one handler, one set of options, N workers. With auto-scaling
 * the pool measures the queue's backlog on the injected clock and adds a worker when it is high,
 * or gracefully retires one when it is low, between `min` and `max`.
 */
import { asError } from '../core/as-error.js';
import { type Clock, systemClock, type TimerHandle } from '../core/clock.js';
import { StateConflictError, ValidationError } from '../core/errors.js';
import { type Listener, type RedriveEvents, TypedEmitter } from '../events.js';
import type { Store } from '../store/store.js';
import { type JobHandler, Worker, type WorkerStats } from './worker.js';
import type { WorkerCounters, WorkerState } from './worker-context.js';
import type { WorkerOptions } from './worker-options.js';
import { type ResolvedAutoScale, resolvePoolOptions, type WorkerPoolOptions } from './worker-pool-options.js';

/** The events of a pool: every worker event, plus the pool's own. */
export interface WorkerPoolEvents extends RedriveEvents {
  /** The pool added or retired workers after a backlog check. */
  'pool.scaled': {
    queue: string;
    direction: 'up' | 'down';
    from: number;
    to: number;
    backlog: number;
  };
}

/** A snapshot of a pool: the sum of its workers' counters (retired workers included). */
export interface WorkerPoolStats extends WorkerCounters {
  queue: string;
  state: WorkerState;
  /** Workers serving the queue now (retiring ones excluded). */
  workers: number;
  /** Workers finishing their jobs after a scale-down. */
  retiring: number;
  running: number;
  buffered: number;
  /** The backlog measured by the last auto-scaling check, or null before the first. */
  lastBacklog: number | null;
  scaledUp: number;
  scaledDown: number;
  /** Each current and retiring worker's own stats. */
  perWorker: WorkerStats[];
}

const COUNTERS: readonly (keyof WorkerCounters)[] = [
  'completed',
  'failed',
  'retried',
  'deadLettered',
  'leasesLost',
  'recovered',
];

/** Events the pool emits itself rather than forwarding from workers. */
const POOL_ONLY_EVENTS: ReadonlySet<keyof WorkerPoolEvents> = new Set<keyof WorkerPoolEvents>([
  'pool.scaled',
]);

/**
 * Runs `size` {@link Worker}s of one queue with a shared handler and options, started together,
 * closed together, counted together. Listeners added with {@link WorkerPool.on} hear every current
 * and future worker.
 *
 * ```ts
 * const pool = new WorkerPool('emails', sendEmail, {
 *   store,
 *   concurrency: 4,
 *   autoScale: { min: 2, max: 10, scaleUpAbove: 500, scaleDownBelow: 50 },
 * });
 * pool.on('job.failed', (e) => log.warn(e));
 * pool.start();
 * // …
 * await pool.close({ timeoutMs: 10_000 });
 * ```
 */
export class WorkerPool<Payload = unknown, Result = unknown> {
  readonly queue: string;
  private readonly store: Store;
  private readonly handler: JobHandler<Payload, Result>;
  private readonly workerOptions: WorkerOptions;
  private readonly clock: Clock;
  private readonly size: number;
  private readonly autoScale: ResolvedAutoScale | undefined;
  private readonly emitter = new TypedEmitter<WorkerPoolEvents>();
  /** Worker events forwarded to the pool's emitter, with each worker's unsubscribe functions. */
  private readonly links = new Map<Worker<Payload, Result>, Map<keyof RedriveEvents, () => void>>();
  private readonly forwarded = new Set<keyof RedriveEvents>();
  private workers: Worker<Payload, Result>[] = [];
  private readonly retiring = new Map<Worker<Payload, Result>, Promise<void>>();
  private readonly retired: WorkerCounters = {
    completed: 0,
    failed: 0,
    retried: 0,
    deadLettered: 0,
    leasesLost: 0,
    recovered: 0,
  };
  private state: WorkerPoolStats['state'] = 'idle';
  private created = 0;
  private checkTimer: TimerHandle | undefined;
  private checking: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private lastBacklog: number | null = null;
  private scaledUp = 0;
  private scaledDown = 0;

  /**
   * Validates the options (the error names the field) and creates the initial workers without
   * starting them; call {@link WorkerPool.start}.
   */
  constructor(queue: string, handler: JobHandler<Payload, Result>, options: WorkerPoolOptions) {
    if (typeof handler !== 'function') throw new ValidationError('handler', 'must be a function');
    if (!options || typeof options.store?.countJobs !== 'function') {
      throw new ValidationError('store', 'a Store is required (for example new SqliteStore({ path }))');
    }
    const { size, autoScale } = resolvePoolOptions(options);
    const { size: _size, autoScale: _autoScale, ...workerOptions } = options;
    this.queue = queue;
    this.store = options.store;
    this.handler = handler;
    this.workerOptions = workerOptions;
    this.clock = options.clock ?? systemClock;
    this.size = size;
    this.autoScale = autoScale;
    // Validates the worker options once, up front.
    for (let i = 0; i < size; i++) this.workers.push(this.createWorker());
  }

  /** Workers serving the queue now (retiring ones excluded). */
  get workerCount(): number {
    return this.workers.length;
  }

  /**
   * Listens to an event of every current and future worker (and the pool's own `pool.scaled` and
   * `error` events). Returns a function that removes the listener.
   */
  on<E extends keyof WorkerPoolEvents>(event: E, listener: Listener<WorkerPoolEvents, E>): () => void {
    const off = this.emitter.on(event, listener);
    if (!POOL_ONLY_EVENTS.has(event)) this.forward(event as keyof RedriveEvents);
    return () => {
      off();
      if (!this.emitter.hasListeners(event) && !POOL_ONLY_EVENTS.has(event)) {
        this.unforward(event as keyof RedriveEvents);
      }
    };
  }

  /** Starts every worker and, with auto-scaling, the backlog checks. */
  start(): void {
    if (this.state === 'running') return;
    if (this.state !== 'idle') throw new StateConflictError(`worker pool of ${this.queue} is ${this.state}`);
    this.state = 'running';
    for (const worker of this.workers) worker.run();
    this.scheduleCheck();
  }

  /** The sum of the workers' counters, the worker count, and auto-scaling figures. */
  stats(): WorkerPoolStats {
    const perWorker = [...this.workers, ...this.retiring.keys()].map((w) => w.stats());
    const totals = { ...this.retired, running: 0, buffered: 0 };
    for (const s of perWorker) {
      totals.running += s.running;
      totals.buffered += s.buffered;
      for (const key of COUNTERS) totals[key] += s[key];
    }
    return {
      queue: this.queue,
      state: this.state,
      workers: this.workers.length,
      retiring: this.retiring.size,
      ...totals,
      lastBacklog: this.lastBacklog,
      scaledUp: this.scaledUp,
      scaledDown: this.scaledDown,
      perWorker,
    };
  }

  /**
   * Measures the backlog and scales once, now (the timer does this every `checkIntervalMs`).
   * Returns the backlog, or null without auto-scaling or when the pool is not running.
   */
  async checkNow(): Promise<number | null> {
    if (!this.autoScale || this.state !== 'running') return null;
    while (this.checking) await this.checking;
    const run = this.check();
    this.checking = run;
    try {
      await run;
    } finally {
      this.checking = undefined;
    }
    return this.lastBacklog;
  }

  /**
   * Resolves `true` once the queue is idle — no waiting job, no scheduled job that fell due, no
   * active job (in any process) and nothing running or prefetched in this pool — or `false` after
   * `timeoutMs`. Jobs scheduled for later do not count. Polls every `pollMs` (default 20) on the
   * pool's clock.
   */
  async waitForIdle(options: { timeoutMs?: number; pollMs?: number } = {}): Promise<boolean> {
    const pollMs = options.pollMs ?? 20;
    const deadline =
      options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + options.timeoutMs;
    for (;;) {
      if (await this.isIdle()) return true;
      if (this.clock.now() >= deadline) return false;
      await new Promise<void>((resolve) =>
        this.clock.setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - this.clock.now()))),
      );
    }
  }

  /**
   * Stops auto-scaling and closes every worker gracefully, in parallel: each stops claiming, waits
   * up to `timeoutMs` (default: the workers' `shutdownTimeoutMs`) for its running jobs, then
   * releases the rest to other workers. Does not close the store.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.timeoutMs);
    return this.closing;
  }

  private async shutdown(timeoutMs: number | undefined): Promise<void> {
    this.state = 'closing';
    if (this.checkTimer) this.clock.clearTimeout(this.checkTimer);
    this.checkTimer = undefined;
    if (this.checking) await this.checking.catch(() => undefined);
    const closeOptions = timeoutMs === undefined ? {} : { timeoutMs };
    await Promise.all([...this.workers.map((w) => w.close(closeOptions)), ...this.retiring.values()]);
    this.state = 'closed';
  }

  // ---- workers ----------------------------------------------------------------------------

  private createWorker(): Worker<Payload, Result> {
    this.created++;
    const base = this.workerOptions.workerId;
    const worker = new Worker<Payload, Result>(this.queue, this.handler, {
      ...this.workerOptions,
      ...(base === undefined ? {} : { workerId: `${base}-${this.created}` }),
      autorun: false,
    });
    const links = new Map<keyof RedriveEvents, () => void>();
    this.links.set(worker, links);
    for (const event of this.forwarded) links.set(event, this.link(worker, event));
    return worker;
  }

  private link(worker: Worker<Payload, Result>, event: keyof RedriveEvents): () => void {
    return worker.on(event, (payload) => this.emitter.emit(event, payload));
  }

  private forward(event: keyof RedriveEvents): void {
    if (this.forwarded.has(event)) return;
    this.forwarded.add(event);
    for (const [worker, links] of this.links) links.set(event, this.link(worker, event));
  }

  private unforward(event: keyof RedriveEvents): void {
    if (!this.forwarded.delete(event)) return;
    for (const links of this.links.values()) {
      links.get(event)?.();
      links.delete(event);
    }
  }

  private addWorkers(n: number): void {
    for (let i = 0; i < n; i++) {
      const worker = this.createWorker();
      this.workers.push(worker);
      worker.run();
    }
  }

  /** Retires the least busy workers: they stop claiming, finish their jobs and close. */
  private retireWorkers(n: number): void {
    for (let i = 0; i < n; i++) {
      let index = 0;
      let load = Number.POSITIVE_INFINITY;
      this.workers.forEach((w, j) => {
        const s = w.stats();
        if (s.running + s.buffered <= load) {
          load = s.running + s.buffered;
          index = j;
        }
      });
      const [worker] = this.workers.splice(index, 1);
      if (!worker) return;
      const closing = worker.close().then(() => {
        const s = worker.stats();
        for (const key of COUNTERS) this.retired[key] += s[key];
        this.retiring.delete(worker);
        for (const off of this.links.get(worker)?.values() ?? []) off();
        this.links.delete(worker);
      });
      this.retiring.set(worker, closing);
    }
  }

  // ---- auto-scaling -----------------------------------------------------------------------

  private scheduleCheck(): void {
    if (!this.autoScale || this.state !== 'running') return;
    this.checkTimer = this.clock.setTimeout(() => {
      this.checkTimer = undefined;
      void this.checkNow().finally(() => this.scheduleCheck());
    }, this.autoScale.checkIntervalMs);
  }

  private async check(): Promise<void> {
    const scale = this.autoScale;
    if (!scale) return;
    let backlog: number;
    let paused: boolean;
    try {
      backlog = await this.measureBacklog();
      paused = backlog > scale.scaleUpAbove && (await this.store.isQueuePaused({ queue: this.queue }));
    } catch (error) {
      this.emitter.emit('error', {
        queue: this.queue,
        error: asError(error),
      });
      return;
    }
    this.lastBacklog = backlog;
    if (this.state !== 'running') return;
    const from = this.workers.length;
    if (backlog > scale.scaleUpAbove && !paused && from < scale.max) {
      this.addWorkers(Math.min(scale.step, scale.max - from));
      this.scaledUp++;
    } else if (backlog < scale.scaleDownBelow && from > scale.min) {
      this.retireWorkers(Math.min(scale.step, from - scale.min));
      this.scaledDown++;
    } else {
      return;
    }
    this.emitter.emit('pool.scaled', {
      queue: this.queue,
      direction: this.workers.length > from ? 'up' : 'down',
      from,
      to: this.workers.length,
      backlog,
    });
  }

  /**
   * Waiting jobs plus scheduled jobs that fell due. Stores count states, not due times; a claim
   * promotes due jobs to `waiting`, so with workers polling they show up there within one poll.
   * Until then a due scheduled job counts as one.
   */
  private async measureBacklog(): Promise<number> {
    const counts = await this.store.countJobs({ queue: this.queue });
    let backlog = counts.waiting;
    if (counts.scheduled > 0) {
      const next = await this.store.nextScheduledAt({ queue: this.queue });
      if (next !== null && next <= this.clock.now()) backlog += 1;
    }
    return backlog;
  }

  private async isIdle(): Promise<boolean> {
    for (const worker of [...this.workers, ...this.retiring.keys()]) {
      const s = worker.stats();
      if (s.running > 0 || s.buffered > 0) return false;
    }
    const counts = await this.store.countJobs({ queue: this.queue });
    if (counts.waiting > 0 || counts.active > 0) return false;
    if (counts.scheduled === 0) return true;
    const next = await this.store.nextScheduledAt({ queue: this.queue });
    return next === null || next > this.clock.now();
  }
}
