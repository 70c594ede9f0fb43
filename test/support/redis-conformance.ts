/**
 * The store conformance suite on a single-slot RedisStore against a real server, for each stored
 * format the store can be at: every store gets its own key prefix, and its keys are deleted
 * (SCAN + DEL) afterwards. The cases pass explicit times, so the store runs with
 * `clock: 'caller'`.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect } from 'vitest';
import { runStoreConformance } from '../../src/entries/store-conformance.js';
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis/redis-store.js';
import {
  deleteKeysWithPrefix,
  type ScanningClient,
  type ServiceStatus,
  uniqueKeyPrefix,
} from './services.js';

/**
 * Declares `title`, which runs the conformance suite as `suite` on stores opened with `options`
 * (skipped when Redis is not available).
 *
 * @param redis what `redisService()` found
 * @param label the start of each store's key prefix
 * @param options store options besides url, prefix and clock (a format version, say)
 */
export function describeRedisConformance(
  redis: ServiceStatus,
  title: string,
  suite: string,
  label: string,
  options: Omit<RedisStoreOptions, 'url' | 'prefix' | 'clock'> = {},
): void {
  describe.skipIf(!redis.available)(title, () => {
    const admin = redis.available ? new Redis(redis.url, { lazyConnect: true }) : undefined;
    // Stores whose format key reached the version asked for: a suite whose option silently did
    // nothing would otherwise pass as one at version 1.
    let raised = 0;
    const version = options.formatVersion ?? 1;
    afterAll(async () => {
      await admin?.quit();
      if (version > 1) expect(raised).toBeGreaterThan(0);
    });

    const factory = async () => {
      const prefix = uniqueKeyPrefix(label).slice(0, -1);
      // The key as an upgraded prefix has it (a fresh one would get the newest version), so the
      // option alone brings the store to the version asked for.
      await admin!.set(`{${prefix}}:format`, '1');
      const store = new RedisStore({
        ...options,
        url: redis.url,
        prefix,
        clock: 'caller',
      });
      return {
        store,
        async cleanup() {
          await store.close();
          const format = await admin!.get(store.keys.format);
          // Still 1 when the case wrote nothing that raises it; never another version.
          expect(['1', String(version)]).toContain(format);
          if (version > 1 && format === String(version)) raised++;
          await deleteKeysWithPrefix(admin as unknown as ScanningClient, store.keys.base);
        },
      };
    };

    // The model makes thousands of round trips per run: on a busy machine, more than the default timeout.
    runStoreConformance(suite, factory, { modelTimeoutMs: 120_000 });
  });
}
