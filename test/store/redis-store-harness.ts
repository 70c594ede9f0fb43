/**
 * Shared setup of the Redis store tests on a real server: a job builder, a bound on how long a call
 * may take, and stores opened under unique key prefixes whose keys are deleted after each test.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach } from 'vitest';
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis/redis-store.js';
import {
  deleteKeysWithPrefix,
  type ScanningClient,
  type ServiceStatus,
  uniqueKeyPrefix,
} from '../support/services.js';

/** The caller time the tests start at, and a new job for queue `q` due then (the conformance fixtures'). */
export { newJob as job, T0 } from '../../src/store/conformance/fixtures.js';

/** Resolves when `promise` settles, or rejects after `ms` (so a hung call fails the test). */
export function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * Call inside a `describe`: an admin client, and `open()` for stores under unique key prefixes.
 * After each test the stores are closed and their keys deleted; after all, the admin client quits.
 */
export function redisStoreHarness(redis: ServiceStatus) {
  const admin = redis.available ? new Redis(redis.url) : undefined;
  const stores: RedisStore[] = [];
  const prefixes = new Set<string>();

  function open(options: RedisStoreOptions = {}): RedisStore {
    const prefix = options.prefix ?? uniqueKeyPrefix('redis-store').slice(0, -1);
    const store = new RedisStore({ url: redis.url, clock: 'caller', ...options, prefix });
    stores.push(store);
    prefixes.add(store.keys.base);
    return store;
  }

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const base of prefixes) await deleteKeysWithPrefix(admin as unknown as ScanningClient, base);
    prefixes.clear();
  });
  afterAll(async () => {
    await admin?.quit();
  });

  /**
   * Writes what every earlier release's first enqueue to queue `q` leaves under `prefix` (the queue
   * registry entry; no format key), so a store opened on it stays at format version 1.
   */
  async function olderData(prefix: string): Promise<void> {
    await admin!.hset(`{${prefix}}:queues`, 'q', '0');
  }

  /** {@link open} on a prefix holding data an earlier release wrote (format version 1). */
  async function openOlder(options: RedisStoreOptions = {}): Promise<RedisStore> {
    const prefix = options.prefix ?? uniqueKeyPrefix('redis-store').slice(0, -1);
    await olderData(prefix);
    return open({ ...options, prefix });
  }

  return { admin, open, olderData, openOlder };
}
