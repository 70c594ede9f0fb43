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
import { closeSync, openSync, readSync } from 'node:fs';
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
  /**
   * The main thread's CPU time inside the store's job methods (claims, completions, failures)
   * before they returned: for a synchronous store (SQLite) its whole work on that thread, apart
   * from the worker runtime's (Linux; NaN elsewhere).
   */
  storeCpuSeconds: number;
  /**
   * CPU time of the main thread alone (Linux), without the threads beside it (garbage collection
   * helpers, a store's checkpoint thread): what limits jobs/s when another core is free.
   */
  mainThreadCpuSeconds: number | undefined;
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
  const storeCpu = meterStoreCpu(store);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const mainStart = mainThreadCpuMicros();
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
  const mainCpu = mainThreadCpuMicros() - mainStart;
  const eventLoopStallMs = stalls.stop();
  const storeCpuSeconds = storeCpu.stop();
  const completed = committedOf(worker.stats());
  if (completed < expected) throw new Error(`only ${completed} of ${expected} outcomes were committed`);
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    storeCpuSeconds,
    mainThreadCpuSeconds: Number.isNaN(mainCpu) ? undefined : mainCpu / 1e6,
    completed,
    eventLoopStallMs,
    errors,
  };
}

/** The main thread's scheduler: its CPU time in ns is the first field. */
let schedstat: number | null | undefined;
const schedBuffer = Buffer.alloc(128);

/** The main thread's CPU time in µs (Linux's per-thread scheduler stats), or NaN elsewhere. */
function mainThreadCpuMicros(): number {
  if (schedstat === undefined) {
    try {
      schedstat = openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
      process.once('exit', () => closeSync(schedstat as number));
    } catch {
      schedstat = null;
    }
  }
  if (schedstat === null) return Number.NaN;
  const n = readSync(schedstat, schedBuffer, 0, schedBuffer.length, 0);
  const text = schedBuffer.toString('latin1', 0, n);
  return Number(text.slice(0, text.indexOf(' '))) / 1000;
}

/** The store's job methods whose synchronous part {@link meterStoreCpu} times. */
const METERED = ['claimJobs', 'completeAndClaimJobs', 'completeJobs', 'failJobs'] as const;

/**
 * Wraps the store's job methods to add up the main thread's CPU time in their synchronous part;
 * `stop` puts the methods back and returns the seconds.
 */
function meterStoreCpu(store: Store): { stop(): number } {
  let micros = 0;
  const target = store as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (const name of METERED) {
    const method = target[name];
    if (typeof method !== 'function') continue;
    originals.set(name, Object.hasOwn(target, name) ? method : undefined);
    target[name] = function metered(this: unknown, ...args: unknown[]) {
      const before = mainThreadCpuMicros();
      try {
        return (method as (...a: unknown[]) => unknown).apply(this, args);
      } finally {
        micros += mainThreadCpuMicros() - before;
      }
    };
  }
  return {
    stop() {
      for (const [name, own] of originals) {
        if (own === undefined) delete target[name];
        else target[name] = own;
      }
      return micros / 1e6;
    },
  };
}
