/**
 * Test harness for Queue and Worker behaviour: a SqliteStore in a temp dir, a FakeClock, seeded
 * randomness, and helpers that drive fake time while letting promises and immediates settle.
 * Nothing here sleeps on the real clock.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSeededRandom,
  FakeClock,
  type JobHandler,
  Queue,
  type QueueOptions,
  SqliteStore,
  Worker,
  type WorkerOptions,
} from '../../src/index.js';
import { ProcessQuarantine } from '../../src/queue/process-quarantine.js';

/** Lets pending microtasks and immediates run, `rounds` times. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A promise settled from outside. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export type Harness = ReturnType<typeof createHarness>;

export function createHarness(options: { storePollIntervalMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-queue-test-'));
  const store = new SqliteStore({
    path: join(dir, 'jobs.db'),
    pollIntervalMs: options.storePollIntervalMs ?? 0,
  });
  const clock = new FakeClock();
  const t0 = clock.now();
  let seed = 1;
  const workers: { worker: Worker<never, unknown>; clock: FakeClock }[] = [];
  const otherStores: SqliteStore[] = [];

  const h = {
    dir,
    store,
    clock,
    t0,
    /** A fresh seeded random source (a different seed each call, so claim ids never collide). */
    random: () => createSeededRandom(seed++),

    queue<P = unknown>(name: string, opts: Partial<QueueOptions> = {}): Queue<P> {
      return new Queue<P>(name, { store, clock, ...opts });
    },

    worker<P = unknown, R = unknown>(
      name: string,
      handler: JobHandler<P, R>,
      opts: Partial<WorkerOptions> = {},
    ): Worker<P, R> {
      // A worker on another process's connection is in that process: it has its own quarantine gate.
      const otherProcess = opts.store !== undefined && opts.store !== store;
      const worker = new Worker<P, R>(name, handler, {
        store,
        clock,
        random: h.random(),
        pollIntervalMs: 10,
        ...(otherProcess ? { quarantineGate: new ProcessQuarantine() } : {}),
        ...opts,
      });
      const workerClock = opts.clock instanceof FakeClock ? opts.clock : clock;
      workers.push({ worker: worker as unknown as Worker<never, unknown>, clock: workerClock });
      return worker;
    },

    /**
     * Another connection to the same database file, as another process would open it. It does not
     * watch for this process's commits (no data_version polling), so its workers only see jobs when
     * they poll.
     */
    otherProcess(): SqliteStore {
      const other = new SqliteStore({ path: join(dir, 'jobs.db'), pollIntervalMs: 0 });
      otherStores.push(other);
      return other;
    },

    /** Advances fake time by `totalMs` in steps of `stepMs`, letting async work settle after each. */
    async advance(totalMs: number, stepMs = 10): Promise<void> {
      let left = totalMs;
      while (left > 0) {
        const step = Math.min(stepMs, left);
        clock.advance(step);
        left -= step;
        await flush(3);
      }
      if (totalMs === 0) {
        clock.advance(0);
        await flush(3);
      }
    },

    /**
     * Waits until `predicate` holds, advancing fake time by `advanceMs` (default 0) per round.
     * Fails after `rounds` rounds.
     */
    async waitFor(
      predicate: () => boolean | Promise<boolean>,
      {
        advanceMs = 0,
        rounds = 300,
        what = 'condition',
      }: { advanceMs?: number; rounds?: number; what?: string } = {},
    ): Promise<void> {
      for (let i = 0; i < rounds; i++) {
        if (await predicate()) return;
        clock.advance(advanceMs);
        await flush(1);
      }
      if (await predicate()) return;
      throw new Error(`waitFor: ${what} did not hold after ${rounds} rounds`);
    },

    /** Closes a worker, driving its fake clock so that a shutdown deadline can pass. */
    async closeWorker(worker: Worker<never, unknown> | Worker, timeoutMs = 0): Promise<void> {
      const workerClock = workers.find((w) => w.worker === worker)?.clock ?? clock;
      let done = false;
      const closing = worker.close({ timeoutMs }).then(() => {
        done = true;
      });
      for (let i = 0; i < 100 && !done; i++) {
        workerClock.advance(timeoutMs > 0 ? Math.ceil(timeoutMs / 10) : 0);
        await flush(1);
      }
      await closing;
    },

    async cleanup(): Promise<void> {
      for (const { worker } of workers) await h.closeWorker(worker);
      for (const other of otherStores) await other.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
