/**
 * Helpers of the maintenance tests: a SQLite store in a temp dir, a FakeClock, a service that
 * counts its runs, a store wrapper that can be cut off (a process that froze or lost its network),
 * and a driver that advances fake time in steps while letting promises settle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { Maintainer } from '../../src/maintenance/maintainer.js';
import type { MaintenanceService } from '../../src/maintenance/service.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

/** Lets pending microtasks and immediates run, `rounds` times. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Advances `clock` by `ms` in steps of `step`, settling promises after each. */
export async function advance(clock: FakeClock, ms: number, step = 100): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await flush();
  }
}

/** A fresh SQLite store and a fake clock; `cleanup` closes and deletes. */
export function sqliteFixture() {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-maintenance-'));
  const store = new SqliteStore({ path: join(dir, 'jobs.db'), pollIntervalMs: 0 });
  const clock = new FakeClock();
  return {
    dir,
    store,
    clock,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A service that records when it ran. */
export function countingService(name: string, intervalMs: number) {
  const runs: number[] = [];
  const service: MaintenanceService & { runs: number[] } = {
    name,
    intervalMs,
    runs,
    async run(ctx) {
      runs.push(ctx.now);
      return { n: runs.length };
    },
  };
  return service;
}

/**
 * The store as one process sees it; `cut()` makes every call fail as if the process froze or lost
 * the network (its timers keep firing, its store calls fail), `restore()` undoes it.
 */
export function cuttable(store: Store): { store: Store; cut(): void; restore(): void } {
  let down = false;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (down) return Promise.reject(new StoreUnavailableError('the store is out of reach'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    store: proxy,
    cut: () => {
      down = true;
    },
    restore: () => {
      down = false;
    },
  };
}

/** The store without its optional `nextLeaseExpiry`, as a store that cannot tell would be. */
export function withoutLeaseExpiry(store: Store): Store {
  return withLeaseExpiry(store, undefined);
}

/** The store with `nextLeaseExpiry` replaced by `answer` (or removed, given undefined). */
export function withLeaseExpiry(store: Store, answer: Store['nextLeaseExpiry']): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'nextLeaseExpiry') return answer;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A started maintainer running `services` alone, on the fixture's store and clock. */
export async function runAlone(
  fx: { store: Store; clock: FakeClock },
  services: MaintenanceService[],
  leaseMs = 60_000,
): Promise<Maintainer> {
  // Tests advance fake time in steps shorter than a third of the lease, so renewals keep up.
  const m = new Maintainer({ store: fx.store, services, leaseMs, clock: fx.clock });
  m.start();
  await flush();
  return m;
}

/**
 * Registers hooks giving each test a fresh fixture; returns getters for it and a slot for the
 * test's maintainer (closed after the test).
 */
export function useFixture() {
  let fx: ReturnType<typeof sqliteFixture> | undefined;
  const state: { maintainer: Maintainer | undefined } = { maintainer: undefined };
  beforeEach(() => {
    fx = sqliteFixture();
  });
  afterEach(async () => {
    await state.maintainer?.close();
    state.maintainer = undefined;
    await fx?.cleanup();
  });
  return {
    fx: () => {
      if (!fx) throw new Error('no fixture: useFixture hooks did not run');
      return fx;
    },
    /** Starts a maintainer running `services` alone (on `store`, by default the fixture's); closed after the test. */
    async run(services: MaintenanceService[], leaseMs?: number, store?: Store): Promise<Maintainer> {
      const fixture = this.fx();
      state.maintainer = await runAlone(store ? { ...fixture, store } : fixture, services, leaseMs);
      return state.maintainer;
    },
  };
}
