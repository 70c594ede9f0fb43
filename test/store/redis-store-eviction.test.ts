/**
 * A Redis that may evict keys deletes jobs and dead letters silently once it is full. The store
 * cannot stop it, so it warns: a process warning naming the policy, once per server, and nothing
 * on a server that never evicts (`noeviction`, Redis's default).
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { PrivateRedis, redisServerAvailable } from '../chaos/redis-server.js';
import { uniqueKeyPrefix } from '../support/services.js';
import { waitFor } from '../support/wait.js';

describe.skipIf(!redisServerAvailable())('RedisStore and the eviction policy', () => {
  let evicting: PrivateRedis;
  let keeping: PrivateRedis;
  const warnings: string[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === 'REDRIVE_REDIS_EVICTION') warnings.push(warning.message);
  };
  const stores: RedisStore[] = [];
  const open = (url: string) => {
    const store = new RedisStore({ url, prefix: uniqueKeyPrefix('evict').slice(0, -1) });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    [evicting, keeping] = await Promise.all([PrivateRedis.start(), PrivateRedis.start()]);
    const admin = new Redis(evicting.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await admin.quit();
  });
  afterAll(async () => {
    await Promise.all([evicting.stop(), keeping.stop()]);
  });
  beforeEach(() => {
    warnings.length = 0;
    process.on('warning', listener);
  });
  afterEach(async () => {
    process.off('warning', listener);
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('warns once per server about an evicting one, naming the policy and the fix', async () => {
    for (let i = 0; i < 3; i++) await open(evicting.url).countJobs({});
    await waitFor('the warning', () => warnings.length > 0);
    await open(evicting.url).countJobs({});
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`Redis store at ${evicting.url}`);
    expect(warnings[0]).toMatch(/maxmemory-policy is allkeys-lru.*set maxmemory-policy noeviction/);
  });

  it('raises no warning on a server that never evicts', async () => {
    const store = open(keeping.url);
    await store.countJobs({});
    // The policy is read before the first call's reply (same connection, in order).
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual([]);
  });
});
