/**
 * Runs the store conformance suite (jobs, dead letters, the model) on the Redis store against a real server
 * (`REDIS_URL`, default redis://127.0.0.1:6379). Every store gets its own key prefix, and its keys
 * are deleted (SCAN + DEL) afterwards. Without Redis the file is skipped with a loud warning —
 * except under CI=true, where `redisService()` throws and the file fails.
 *
 * The cases pass explicit times, so the store runs with `clock: 'caller'` here; the server clock
 * has its own tests in test/store/redis-store-server-clock.test.ts.
 */
import { Redis } from 'ioredis';
import { afterAll, describe } from 'vitest';
import { runStoreConformance } from '../../src/entries/store-conformance.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  deleteKeysWithPrefix,
  redisService,
  type ScanningClient,
  uniqueKeyPrefix,
} from '../support/services.js';

const redis = await redisService();

describe.skipIf(!redis.available)('Redis store', () => {
  const admin = redis.available ? new Redis(redis.url, { lazyConnect: true }) : undefined;
  afterAll(async () => {
    await admin?.quit();
  });

  function redisFactory(label: string) {
    return async () => {
      const store = new RedisStore({
        url: redis.url,
        prefix: uniqueKeyPrefix(label).slice(0, -1),
        clock: 'caller',
      });
      return {
        store,
        async cleanup() {
          await store.close();
          await deleteKeysWithPrefix(admin as unknown as ScanningClient, store.keys.base);
        },
      };
    };
  }

  // The model makes thousands of round trips per run: on a busy machine, more than the default timeout.
  runStoreConformance('redis', redisFactory('conformance'), { modelTimeoutMs: 120_000 });
});
