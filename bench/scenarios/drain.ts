/**
 * Runs a Worker with a no-op async handler (or one that throws: `behaviour`) until it has been
 * called `count` times and the outcomes are durably committed; returns the seconds from the
 * worker's construction to that point.
 *
 * The handler only increments a counter. When it has run `count` times the worker is closed,
 * which stops claiming, returns prefetched jobs and commits the pending completions; the clock
 * stops when that resolves. (Polling `stats()` or `getCounts()` on a timer does not work here: a
 * busy worker runs claim, handlers and completion writes as one chain of microtasks, so timers
 * do not fire until the queue is empty. `eventLoopStallMs` reports how long they were held.)
 */
import { type ActiveJob, type Store, Worker, type WorkerStats } from '../../src/index.js';
import { LoopStallMonitor } from '../loop-stall.js';
import { deferred } from '../wait.js';
import { QUEUE, secondsSince } from './context.js';

export interface DrainResult {
  seconds: number;
  /** Outcomes committed when the clock stopped (at least `expected`). */
  completed: number;
  /** CPU time (user + system) this process spent during the drain: load on a shared machine
   * stretches the wall-clock figure, much less this one. */
  cpuSeconds: number;
  /** Longest time timers could not run during the drain. */
  eventLoopStallMs: number;
  errors: string[];
}

export interface DrainOptions {
  concurrency: number;
  /**
   * What the handler does after counting the call (throw, for the failure scenarios); by default
   * nothing, so every job completes.
   */
  behaviour?: (job: ActiveJob) => unknown;
  /**
   * The jobs whose outcome the worker must have committed when it closes (e.g.
   * `stats.deadLettered`); default `stats.completed`. The drain fails when fewer than `expected`.
   */
  committed?: (stats: WorkerStats) => number;
  /** How many outcomes `committed` must reach; default `count`. */
  expected?: number;
  /** Called from the handler every `progressEvery` jobs (e.g. to sample RSS while timers starve). */
  onProgress?: (handled: number) => void;
  progressEvery?: number;
}

export async function drain(store: Store, count: number, options: DrainOptions): Promise<DrainResult> {
  const handledAll = deferred();
  const errors: string[] = [];
  const { onProgress, progressEvery = Number.POSITIVE_INFINITY, behaviour } = options;
  const committedOf = options.committed ?? ((stats: WorkerStats) => stats.completed);
  const expected = options.expected ?? count;
  let handled = 0;
  let nextProgress = progressEvery;
  const stalls = new LoopStallMonitor();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const worker = new Worker(
    QUEUE,
    async (job) => {
      handled++;
      if (handled === nextProgress) {
        nextProgress += progressEvery;
        onProgress?.(handled);
      }
      if (handled === count) handledAll.resolve();
      const pending = behaviour?.(job);
      if (pending instanceof Promise) await pending;
    },
    { store, concurrency: options.concurrency },
  );
  worker.on('error', ({ error }) => errors.push(error.message));
  worker.on('alert', ({ type, message }) => errors.push(`alert ${type}: ${message}`));
  await handledAll.promise;
  await worker.close();
  const seconds = secondsSince(start);
  const cpu = process.cpuUsage(cpuStart);
  const eventLoopStallMs = stalls.stop();
  const completed = committedOf(worker.stats());
  if (completed < expected) throw new Error(`only ${completed} of ${expected} outcomes were committed`);
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    completed,
    eventLoopStallMs,
    errors,
  };
}
