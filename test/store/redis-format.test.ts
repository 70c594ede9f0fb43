/**
 * Redis store on a real server: the store's format version (`{p}:format`, absent = 1). The
 * `formatVersion` option raises it before the store's first failure write, never lowers it, and a
 * store opened without the option leaves it as it is.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisService } from '../support/services.js';
import { redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

/** A failure write (of a job that does not exist: only the format raise before it matters here). */
async function failSomething(store: RedisStore): Promise<void> {
  const [result] = await store.failJobs({
    failures: [
      {
        id: '404',
        token: 't',
        attempt: { attempt: 1, outcome: 'failed', startedAt: T0, endedAt: T0 } as never,
        outcome: { kind: 'retry', runAt: T0 },
      },
    ],
    now: T0,
  });
  expect(result?.ok).toBe(false);
}

describe.skipIf(!redis.available)('RedisStore format version', () => {
  const { admin, open } = redisStoreHarness(redis);

  it('is absent (version 1) unless the option raises it', async () => {
    const store = open();
    await failSomething(store);
    expect(await admin!.get(store.keys.format)).toBeNull();
  });

  it('is raised by the option before the first failure write, and never lowered', async () => {
    const store = open({ formatVersion: 2 });
    expect(await admin!.get(store.keys.format)).toBeNull();
    await failSomething(store);
    expect(await admin!.get(store.keys.format)).toBe('2');
    const older = open({ prefix: store.keys.prefix, formatVersion: 1 });
    await failSomething(older);
    expect(await admin!.get(store.keys.format)).toBe('2');
  });

  it('refuses a version this release does not know', () => {
    expect(() => open({ formatVersion: 99 as never })).toThrow(ValidationError);
  });
});
