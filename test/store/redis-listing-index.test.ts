/**
 * The Redis store's listing index (lua/lib/jobs.lua): a bulk insert records one run of ids instead
 * of one member per job; listing pages through runs and single ids alike, in id order, skipping
 * removed jobs; a run leaves the index with the last of its jobs.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { NewJob } from '../../src/store/job-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  deleteKeysWithPrefix,
  redisService,
  type ScanningClient,
  uniqueKeyPrefix,
} from '../support/services.js';

const redis = await redisService();
const T0 = Date.UTC(2026, 0, 1);

function job(overrides: Partial<NewJob> = {}): NewJob {
  return {
    queue: 'q',
    name: 'job',
    payloadJson: '{}',
    priority: 1,
    runAt: T0,
    maxAttempts: 3,
    timeoutMs: null,
    backoff: null,
    idempotencyKey: null,
    replayOf: null,
    ...overrides,
  };
}

describe.skipIf(!redis.available)('Redis listing index', () => {
  const admin = redis.available ? new Redis(redis.url) : undefined;
  const stores: RedisStore[] = [];

  function open(): RedisStore {
    const prefix = uniqueKeyPrefix('listing-index').slice(0, -1);
    const store = new RedisStore({ url: redis.url, clock: 'caller', prefix });
    stores.push(store);
    return store;
  }

  afterEach(async () => {
    for (const store of stores.splice(0)) {
      await store.close();
      await deleteKeysWithPrefix(admin as unknown as ScanningClient, store.keys.base);
    }
  });
  afterAll(() => admin?.disconnect());

  /** Every id listing returns, `limit` at a time from `afterId`. */
  async function pageThrough(store: RedisStore, limit: number, afterId?: string): Promise<string[]> {
    const ids: string[] = [];
    let after = afterId;
    for (;;) {
      const page = await store.listJobs({ queue: 'q', limit, ...(after ? { afterId: after } : {}) });
      ids.push(...page.map((j) => j.id));
      if (page.length < limit) return ids;
      after = page[page.length - 1]!.id;
    }
  }

  const range = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

  it('pages through runs and single ids in id order, skips removed jobs and drops emptied runs', async () => {
    const store = open();
    const bulk = (n: number) => Array.from({ length: n }, () => job());
    const first = await store.insertJobs({ jobs: bulk(10), now: T0 });
    expect(first.map((r) => r.id)).toEqual(range(1, 10));
    expect(first.every((r) => r.created)).toBe(true);
    // An idempotency key makes a mixed batch: its job is indexed on its own.
    const keyed = await store.insertJobs({ jobs: [job({ idempotencyKey: 'k' })], now: T0 });
    expect(keyed).toEqual([{ id: '11', created: true }]);
    await store.insertJobs({ jobs: bulk(5), now: T0 });
    const index = store.keys.queue('q', 'ids');
    expect(await admin!.zrange(index, '0', '-1')).toEqual(['1-10', '11', '12-16']);

    for (const limit of [1, 3, 7, 100]) expect(await pageThrough(store, limit)).toEqual(range(1, 16));
    expect(await pageThrough(store, 4, '6')).toEqual(range(7, 16));
    const waiting = await store.listJobs({ queue: 'q', states: ['waiting'], limit: 100, afterId: '9' });
    expect(waiting.map((j) => j.id)).toEqual(range(10, 16));

    // The first four in claim order (ids 1-4) go; listing from inside the gap starts after it.
    expect(await store.removeJobs({ queue: 'q', states: ['waiting'], limit: 4 })).toBe(4);
    expect(await pageThrough(store, 3)).toEqual(range(5, 16));
    expect(await pageThrough(store, 2, '2')).toEqual(range(5, 16));
    expect(await admin!.zrange(index, '0', '-1')).toEqual(['1-10', '11', '12-16']);

    expect(await store.removeJobs({ queue: 'q', states: ['waiting'], limit: 100 })).toBe(12);
    expect(await store.listJobs({ queue: 'q', limit: 10 })).toEqual([]);
    expect(await admin!.zcard(index)).toBe(0);
  });
});
