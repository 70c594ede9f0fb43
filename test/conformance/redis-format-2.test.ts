/**
 * The store conformance suite on a Redis store at format version 2 (`formatVersion: 2`: a failing
 * job's dead letter keeps its rarely read properties in one JSON field, see
 * src/store/redis/dead-letter-codec.ts), against a real server as test/conformance/redis.test.ts.
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

describe.skipIf(!redis.available)('Redis store at format version 2', () => {
  const admin = redis.available ? new Redis(redis.url, { lazyConnect: true }) : undefined;
  afterAll(async () => {
    await admin?.quit();
  });

  const factory = async () => {
    const store = new RedisStore({
      url: redis.url,
      prefix: uniqueKeyPrefix('conformance-f2').slice(0, -1),
      clock: 'caller',
      formatVersion: 2,
    });
    return {
      store,
      async cleanup() {
        await store.close();
        await deleteKeysWithPrefix(admin as unknown as ScanningClient, store.keys.base);
      },
    };
  };

  runStoreConformance('redis-format-2', factory, { modelTimeoutMs: 120_000 });
});
