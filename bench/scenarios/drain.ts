/**
 * Runs a Worker with a no-op async handler until `count` jobs are durably completed; returns the
 * seconds from the worker's construction to that point.
 *
 * The handler only increments a counter. When it has run `count` times the worker is closed,
 * which stops claiming, returns prefetched jobs and commits the pending completions; the clock
 * stops when that resolves. (Polling `stats()` or `getCounts()` on a timer does not work here: a
 * busy worker runs claim, handlers and completion writes as one chain of microtasks, so timers
 * do not fire until the queue is empty. `eventLoopStallMs` reports how long they were held.)
 */
import { type Store, Worker } from '../../src/index.js';
import { LoopStallMonitor } from '../loop-stall.js';
import { deferred } from '../wait.js';
import { QUEUE, secondsSince } from './context.js';

export interface DrainResult {
  seconds: number;
  /** Completions committed when the clock stopped (at least `count`). */
  completed: number;
  /** Longest time timers could not run during the drain. */
  eventLoopStallMs: number;
  errors: string[];
}

export interface DrainOptions {
  concurrency: number;
  /** Called from the handler every `progressEvery` jobs (e.g. to sample RSS while timers starve). */
  onProgress?: (handled: number) => void;
  progressEvery?: number;
}

export async function drain(store: Store, count: number, options: DrainOptions): Promise<DrainResult> {
  const handledAll = deferred();
  const errors: string[] = [];
  const { onProgress, progressEvery = Number.POSITIVE_INFINITY } = options;
  let handled = 0;
  let nextProgress = progressEvery;
  const stalls = new LoopStallMonitor();
  const start = performance.now();
  const worker = new Worker(
    QUEUE,
    async () => {
      handled++;
      if (handled === nextProgress) {
        nextProgress += progressEvery;
        onProgress?.(handled);
      }
      if (handled === count) handledAll.resolve();
    },
    { store, concurrency: options.concurrency },
  );
  worker.on('error', ({ error }) => errors.push(error.message));
  worker.on('alert', ({ type, message }) => errors.push(`alert ${type}: ${message}`));
  await handledAll.promise;
  await worker.close();
  const seconds = secondsSince(start);
  const eventLoopStallMs = stalls.stop();
  const completed = worker.stats().completed;
  if (completed < count) throw new Error(`only ${completed} of ${count} completions were committed`);
  return {
    seconds,
    completed,
    eventLoopStallMs,
    errors,
  };
}
