/**
 * A small harness for pool, task and scheduler tests: a SqliteStore in a temp dir, a FakeClock,
 * seeded randomness, and helpers that move fake time while letting promises and immediates settle.
 * Nothing here sleeps on the real clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeededRandom, FakeClock, Queue, SqliteStore } from '../../src/index.js';

/** Lets pending microtasks and immediates run, `rounds` times. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A promise settled from outside. */
export function gate<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

export type FakeTime = ReturnType<typeof createFakeTime>;

export function createFakeTime() {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-sched-test-'));
  const path = join(dir, 'jobs.db');
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  const clock = new FakeClock();
  const stores: SqliteStore[] = [store];
  const closers: (() => Promise<unknown>)[] = [];
  let seed = 1;

  /** Resolves `promise` while advancing fake time by `stepMs` per round. */
  async function drive<T>(promise: Promise<T>, { stepMs = 10, rounds = 500 } = {}): Promise<T> {
    let done = false;
    const tracked = promise.finally(() => {
      done = true;
    });
    for (let i = 0; i < rounds && !done; i++) {
      clock.advance(stepMs);
      await settle(1);
    }
    return tracked;
  }

  const t = {
    dir,
    store,
    clock,
    t0: clock.now(),
    random: () => createSeededRandom(seed++),

    queue<P = unknown>(name: string, on: SqliteStore = store): Queue<P> {
      return new Queue<P>(name, { store: on, clock });
    },

    /** A second connection to the same database file, as another process would open it. */
    otherProcess(): SqliteStore {
      const other = new SqliteStore({ path, pollIntervalMs: 0 });
      stores.push(other);
      return other;
    },

    /** Runs `close` on cleanup (before the stores close), driving fake time so deadlines can pass. */
    onCleanup(close: () => Promise<unknown>): void {
      closers.push(close);
    },

    /** Advances fake time by `totalMs` in steps of `stepMs`, letting async work settle after each. */
    async advance(totalMs: number, stepMs = 10): Promise<void> {
      let left = totalMs;
      do {
        const step = Math.min(stepMs, left);
        clock.advance(step);
        left -= step;
        await settle(3);
      } while (left > 0);
    },

    /** Waits until `predicate` holds, advancing fake time by `advanceMs` per round. */
    async waitFor(
      predicate: () => boolean | Promise<boolean>,
      { advanceMs = 0, rounds = 300, what = 'condition' } = {},
    ): Promise<void> {
      for (let i = 0; i < rounds; i++) {
        if (await predicate()) return;
        clock.advance(advanceMs);
        await settle(1);
      }
      if (await predicate()) return;
      throw new Error(`waitFor: ${what} did not hold after ${rounds} rounds`);
    },

    /** Resolves `promise` while advancing fake time by `stepMs` per round. */
    drive,

    async cleanup(): Promise<void> {
      for (const close of closers) await drive(close());
      for (const s of stores) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
