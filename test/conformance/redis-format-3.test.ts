/**
 * The store conformance suite on a Redis store at format version 3 (`formatVersion: 3`: a new job
 * is stored without `pr` at normal priority and without `ra` when due when created, see
 * src/store/redis/lua/insert-jobs.lua), against a real server as test/conformance/redis.test.ts.
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

describe.skipIf(!redis.available)('Redis store at format version 3', () => {
  const admin = redis.available ? new Redis(redis.url, { lazyConnect: true }) : undefined;
  afterAll(async () => {
    await admin?.quit();
  });

  const factory = async () => {
    const store = new RedisStore({
      url: redis.url,
      prefix: uniqueKeyPrefix('conformance-f3').slice(0, -1),
      clock: 'caller',
      formatVersion: 3,
    });
    return {
      store,
      async cleanup() {
        await store.close();
        await deleteKeysWithPrefix(admin as unknown as ScanningClient, store.keys.base);
      },
    };
  };

  runStoreConformance('redis-format-3', factory, { modelTimeoutMs: 120_000 });
});
