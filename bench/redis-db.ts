/**
 * A fresh Redis "database" for one benchmark scenario: a RedisStore under a key prefix no one else
 * uses, on the Redis at BENCH_REDIS_URL (or REDIS_URL, default redis://127.0.0.1:6379); its keys
 * are deleted (SCAN + UNLINK of the prefix) afterwards.
 */
import { Redis } from 'ioredis';
import { LATEST_FORMAT_VERSION } from '../src/store/redis/keys.js';
import { RedisStore } from '../src/store/redis/redis-store.js';
import type { BenchDb } from './scenarios/context.js';
import { sleep } from './wait.js';

export function benchRedisUrl(): string {
  return process.env.BENCH_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379';
}

/** Deletes every key matching `pattern` (SCAN, then UNLINK in batches). */
export async function deleteKeys(url: string, pattern: string): Promise<number> {
  const admin = new Redis(url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) deleted += await admin.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    admin.disconnect();
  }
  return deleted;
}

/**
 * BENCH_REDIS_FORMAT, the format version to measure instead of the default (a fresh prefix gets
 * the newest): 1 measures what an upgraded deployment writes before it raises the key. Undefined
 * when unset.
 */
function benchFormat(): 1 | 2 | 3 | 4 | undefined {
  const wanted = Number(process.env.BENCH_REDIS_FORMAT || 0);
  if (!wanted) return undefined;
  return wanted === 1 || wanted === 2 || wanted === 3 ? wanted : 4;
}

export function createRedisBenchDb(): BenchDb {
  const url = benchRedisUrl();
  const prefix = `bench-${process.pid}-${Date.now().toString(36)}`;
  const stores: RedisStore[] = [];
  return {
    path: url,
    open: () => {
      const format = benchFormat();
      const store = new RedisStore({ url, prefix, formatVersion: format });
      // An older version: the key as an upgraded prefix has it, sent before the store's first
      // command on the same connection (so before the store settles its format), then raised.
      if (format !== undefined && format < LATEST_FORMAT_VERSION)
        store.redis.set(store.keys.format, '1', 'NX').catch(() => {});
      stores.push(store);
      return store;
    },
    // Nothing to checkpoint; a short pause lets the prefill's replies and GC settle.
    settle: () => sleep(250),
    remove: async () => {
      await Promise.all(stores.map((s) => s.close()));
      await deleteKeys(url, `{${prefix}}:*`);
    },
  };
}
