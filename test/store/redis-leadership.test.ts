/**
 * The Redis store's leader lease on the server clock (the default): the lease key carries a PX
 * expiry, so an abandoned lease vanishes by itself, and the caller's clock plays no part in who
 * leads. The shared behaviour (caller clock) is in src/store/conformance/cases/leadership.ts.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  deleteKeysWithPrefix,
  redisService,
  type ScanningClient,
  uniqueKeyPrefix,
} from '../support/services.js';

const redis = await redisService();

describe.skipIf(!redis.available)('Redis store: leader lease on the server clock', () => {
  const admin = redis.available ? new Redis(redis.url, { lazyConnect: true }) : undefined;
  const stores: RedisStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) {
      await store.close();
      await deleteKeysWithPrefix(admin as unknown as ScanningClient, store.keys.base);
    }
  });
  afterAll(async () => {
    await admin?.quit();
  });

  function open(): RedisStore {
    const store = new RedisStore({ url: redis.url, prefix: uniqueKeyPrefix('leader').slice(0, -1) });
    stores.push(store);
    return store;
  }

  it('keeps the lease in one key under the store tag, expiring with the lease (PX)', async () => {
    const store = open();
    const won = await store.acquireLeadership({ candidate: 'a', leaseMs: 60_000, now: 0 });
    expect(won.leader).toBe(true);
    expect(store.keys.leader.startsWith(store.keys.base)).toBe(true);
    const ttl = await store.redis.pttl(store.keys.leader);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // The expiry is server time plus the lease, whatever `now` the caller passed.
    if (won.leader) expect(Math.abs(won.lease.expiresAt - Date.now() - 60_000)).toBeLessThan(10_000);
  });

  it("ignores the caller's clock: a candidate far ahead cannot take a live lease", async () => {
    const store = open();
    expect((await store.acquireLeadership({ candidate: 'a', leaseMs: 60_000, now: 0 })).leader).toBe(true);
    const far = Date.now() + 365 * 24 * 3600_000;
    expect(await store.acquireLeadership({ candidate: 'b', leaseMs: 60_000, now: far })).toMatchObject({
      leader: false,
      current: { holder: 'a' },
    });
    expect(await store.getLeader({ now: far })).toMatchObject({ holder: 'a' });
  });

  it('an abandoned lease vanishes with its key; the next holder gets a higher epoch', async () => {
    const store = open();
    const first = await store.acquireLeadership({ candidate: 'a', leaseMs: 60_000, now: 0 });
    // Stand in for the expiry passing: the key's PX runs out.
    await store.redis.pexpire(store.keys.leader, 1);
    let gone = false;
    for (let i = 0; i < 20 && !gone; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      gone = (await store.redis.exists(store.keys.leader)) === 0;
    }
    expect(gone).toBe(true);
    expect(await store.getLeader({ now: 0 })).toBeNull();
    const second = await store.acquireLeadership({ candidate: 'b', leaseMs: 60_000, now: 0 });
    expect(second.leader && first.leader && second.lease.epoch > first.lease.epoch).toBe(true);
    if (first.leader) {
      expect(
        (await store.renewLeadership({ candidate: 'a', epoch: first.lease.epoch, leaseMs: 1000, now: 0 }))
          .leader,
      ).toBe(false);
    }
  });
});
