/**
 * The poison-pill scenarios (see poison-pill-scenarios.ts) on Redis: each scenario under its own
 * key prefix, deleted afterwards. Skipped loudly without Redis, except under CI=true.
 */
import { Redis } from 'ioredis';
import { afterAll, describe } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  deleteKeysWithPrefix,
  redisService,
  type ScanningClient,
  uniqueKeyPrefix,
} from '../support/services.js';
import { runPoisonPillScenarios } from './poison-pill-scenarios.js';

const redis = await redisService();

describe.skipIf(!redis.available)('Redis store', () => {
  const admin = redis.available ? new Redis(redis.url, { lazyConnect: true }) : undefined;
  afterAll(async () => {
    await admin?.quit();
  });

  runPoisonPillScenarios('Redis', async () => {
    const prefix = uniqueKeyPrefix('poison').slice(0, -1);
    const store = new RedisStore({ url: redis.url, prefix });
    return {
      store,
      spec: { kind: 'redis', url: redis.url, prefix },
      async cleanup() {
        await store.close();
        await deleteKeysWithPrefix(admin as unknown as ScanningClient, store.keys.base);
      },
    };
  });
});
