/**
 * Runs the store conformance suite on the queue-slot Redis store (one hash tag per queue) against
 * a real server (`REDIS_URL`, default redis://127.0.0.1:6379). Each store gets its own prefix; its
 * keys (`{prefix}:...` and every queue's `{prefix#n}....`) are deleted afterwards.
 */
import { Redis } from 'ioredis';
import { afterAll, describe } from 'vitest';
import { runStoreConformance } from '../../src/entries/store-conformance.js';
import { QueueSlotRedisStore } from '../../src/store/redis/queue-slot-redis-store.js';
import {
  deleteKeysWithPrefix,
  redisService,
  type ScanningClient,
  uniqueKeyPrefix,
} from '../support/services.js';

const redis = await redisService();

describe.skipIf(!redis.available)('Redis store with queue slots', () => {
  const admin = redis.available ? new Redis(redis.url, { lazyConnect: true }) : undefined;
  afterAll(async () => {
    await admin?.quit();
  });

  runStoreConformance(
    'redis-queue-slots',
    async () => {
      const prefix = uniqueKeyPrefix('slots').slice(0, -1);
      const store = new QueueSlotRedisStore({ url: redis.url, prefix, clock: 'caller' });
      return {
        store,
        async cleanup() {
          await store.close();
          const scanning = admin as unknown as ScanningClient;
          await deleteKeysWithPrefix(scanning, store.keys.base);
          await deleteKeysWithPrefix(scanning, `{${prefix}#`);
        },
      };
    },
    { modelTimeoutMs: 120_000 },
  );
});
