/**
 * Test harness for the dead-letter queue: a SqliteStore on a temp file behind a fault-injecting
 * proxy, a FakeClock, seeded randomness and a fallback file in the same temp directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSeededRandom,
  DeadLetterQueue,
  type DeadLetterQueueOptions,
  FakeClock,
  type NewDeadLetter,
  SqliteStore,
  type Store,
  StoreUnavailableError,
} from '../../src/index.js';

/** Switches that make store methods fail. */
export interface Faults {
  /** Methods that throw `StoreUnavailableError` while listed. */
  down: Set<string>;
  /** Calls per method. */
  calls: Map<string, number>;
}

/** Wraps a store so that tests can take methods down and count calls. */
export function withFaults(store: SqliteStore): { store: Store; faults: Faults } {
  const faults: Faults = { down: new Set(), calls: new Map() };
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        faults.calls.set(prop, (faults.calls.get(prop) ?? 0) + 1);
        if (faults.down.has(prop)) {
          return Promise.reject(new StoreUnavailableError(`injected: ${prop} is down`));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy as unknown as Store, faults };
}

export type DlqHarness = ReturnType<typeof createDlqHarness>;

export function createDlqHarness(options: Partial<DeadLetterQueueOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-dlq-test-'));
  const path = join(dir, 'dlq.db');
  const sqlite = new SqliteStore({ path, pollIntervalMs: 0 });
  const { store, faults } = withFaults(sqlite);
  const clock = new FakeClock();
  const fallbackPath = join(dir, 'fallback', 'dead-letters.jsonl');
  const extra: SqliteStore[] = [];
  const dlq = new DeadLetterQueue({
    store,
    clock,
    random: createSeededRandom(1),
    fallbackPath,
    identity: 'test-host:1',
    ...options,
  });
  return {
    dir,
    path,
    sqlite,
    store,
    faults,
    clock,
    t0: clock.now(),
    fallbackPath,
    dlq,
    /** Another DeadLetterQueue on its own connection to the same database (as another process). */
    otherProcess(more: Partial<DeadLetterQueueOptions> = {}): DeadLetterQueue {
      const other = new SqliteStore({ path, pollIntervalMs: 0 });
      extra.push(other);
      return new DeadLetterQueue({
        store: other,
        clock,
        random: createSeededRandom(99),
        fallbackPath,
        ...options,
        ...more,
      });
    },
    async cleanup(): Promise<void> {
      await dlq.close();
      for (const s of extra) await s.close();
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Lets pending microtasks and immediates run. */
export async function flush(rounds = 3): Promise<void> {
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

/** A minimal stored record for bulk inserts. */
export function record(id: string, at: number, overrides: Partial<NewDeadLetter> = {}): NewDeadLetter {
  return {
    id,
    queue: null,
    jobId: null,
    jobName: null,
    domain: 'billing',
    failureType: 'timeout',
    entityType: null,
    entityId: null,
    userId: null,
    errorClass: 'Error',
    errorCode: null,
    errorMessage: 'timed out',
    errorStack: null,
    fingerprint: 'fp',
    fingerprintVersion: 1,
    payload: null,
    attempts: [],
    snapshot: null,
    requestData: null,
    responseData: null,
    metadata: {},
    nextActionHint: null,
    recommendedAction: null,
    workerId: null,
    handlerVersion: null,
    maxReplays: 2,
    firstFailedAt: at,
    deadLetteredAt: at,
    expiresAt: null,
    ...overrides,
  };
}
