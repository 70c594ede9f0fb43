/**
 * Redis store on a real server: a job or dead-letter hash that vanished under its index entries.
 * Under an allkeys-* maxmemory policy Redis may evict a hash (or an operator may DEL it) while its
 * id stays in the indexes the sweeps read: a queue's active jobs (lease recovery) and the dead
 * letters to expire, archive, purge or release from a stuck replay (retention). No sweep can
 * change such a record, so the sweep that meets the entry drops it: it must not read as an expired
 * lease for ever (the rescuer aims at `nextLeaseExpiry`), nor hide the live records behind it from
 * a sweep's limit.
 */
import { describe, expect, it } from 'vitest';
import { standaloneDeadLetter } from '../../src/store/conformance/fixtures.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();
const LEASE = 1000;

describe.skipIf(!redis.available)('RedisStore with a vanished job hash', () => {
  const { admin, open } = redisStoreHarness(redis);

  const claimAt = async (store: RedisStore, now: number, limit: number) =>
    store.claimJobs({ queue: 'q', workerId: 'w1', limit, leaseMs: LEASE, now, claimId: `c${now}` });

  const sweep = (store: RedisStore, now: number, limit = 10) =>
    store.recoverExpiredLeases({
      now,
      maxOrphans: 3,
      limit,
      deadLetterFor: () => {
        throw new Error('no poison pill expected');
      },
    });

  it('drops the active entry of a job whose hash is gone, and then reports no lease', async () => {
    const store = open();
    await store.insertJobs({ jobs: [job()], now: T0 });
    const [claimed] = await claimAt(store, T0, 1);
    await admin!.del(store.keys.job(claimed!.id));
    const active = store.keys.queue('q', 'active');
    expect(await admin!.zscore(active, claimed!.id)).not.toBeNull();

    const after = T0 + LEASE + 1;
    expect(await sweep(store, after)).toEqual({ recovered: [], deadLettered: [], orphanedWhile: {} });
    expect(await admin!.zscore(active, claimed!.id)).toBeNull();
    expect(await store.nextLeaseExpiry({ now: after })).toBeNull();
  });

  it('recovers live expired leases behind as many vanished ones as the sweep takes', async () => {
    const store = open();
    await store.insertJobs({ jobs: [job(), job(), job()], now: T0 });
    const gone = await claimAt(store, T0, 2);
    const [live] = await claimAt(store, T0 + 100, 1);
    for (const c of gone) await admin!.del(store.keys.job(c.id));

    const after = T0 + 100 + LEASE + 1;
    // The sweep that meets the vanished entries drops them; the rescuer's next one takes the live job.
    const first = await sweep(store, after, 2);
    const second = await sweep(store, after, 2);
    expect([...first.recovered, ...second.recovered]).toEqual([live!.id]);
    expect(await store.getJob({ id: live!.id })).toMatchObject({ state: 'waiting' });
    expect(await store.nextLeaseExpiry({ now: after })).toBeNull();
  });

  describe('dead-letter sweeps', () => {
    const ids = ['dl-1', 'dl-2', 'dl-3'];
    const later = T0 + 10;

    /** Stores three entries, brings them to a sweep's input, deletes the first two hashes. */
    async function threeWithTwoGone(store: RedisStore, prepare: () => Promise<unknown>): Promise<void> {
      const deadLetters = ids.map((id) => standaloneDeadLetter(id, T0, { expiresAt: T0 + 5 }));
      await store.insertDeadLetters({ deadLetters, now: T0 });
      await prepare();
      await admin!.del(store.keys.deadLetter('dl-1'), store.keys.deadLetter('dl-2'));
    }

    /** Two sweeps of limit 2: the first drops the vanished entries, the second takes the live one. */
    async function twice(sweep: () => Promise<{ ids: string[] }>, index: string): Promise<void> {
      const taken = [...(await sweep()).ids, ...(await sweep()).ids];
      expect(taken).toEqual(['dl-3']);
      expect(await admin!.zscore(index, 'dl-1')).toBeNull();
      expect(await admin!.zscore(index, 'dl-2')).toBeNull();
    }

    const expire = (store: RedisStore, limit: number) =>
      store.transitionDeadLetters({ action: 'expire', now: later, limit });
    const archive = (store: RedisStore, limit: number) =>
      store.transitionDeadLetters({ action: 'archive', now: later + 10, before: later + 10, limit });

    it('expiry', async () => {
      const store = open();
      await threeWithTwoGone(store, async () => {});
      await twice(() => expire(store, 2), store.keys.deadLetterExpiry);
    });

    it('archiving', async () => {
      const store = open();
      await threeWithTwoGone(store, () => expire(store, 3));
      await twice(() => archive(store, 2), `${store.keys.base}dl:closed`);
    });

    it('purging', async () => {
      const store = open();
      await threeWithTwoGone(store, async () => {
        await expire(store, 3);
        await archive(store, 3);
      });
      await twice(
        () => store.purgeDeadLetters({ limit: 2, now: later + 20 }),
        `${store.keys.base}dl:archived`,
      );
    });

    it('releasing stuck replays', async () => {
      const store = open();
      await threeWithTwoGone(store, async () => {
        for (const id of ids) await store.acquireDeadLetterForReplay({ id, now: T0 + 1 });
      });
      const release = () =>
        store.transitionDeadLetters({ action: 'release_stuck', now: later, before: later, limit: 2 });
      await twice(release, `${store.keys.base}dl:replaying`);
    });
  });
});
