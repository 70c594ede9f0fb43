/**
 * Redis store on a real server: due times and leases decided by the Redis server clock.
 */
import { describe, expect, it } from 'vitest';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness } from './redis-store-harness.js';

const redis = await redisService();

describe.skipIf(!redis.available)('RedisStore', () => {
  const { open } = redisStoreHarness(redis);

  describe('server clock', () => {
    it('decides due times and leases by the Redis server time, re-basing the caller times', async () => {
      const store = open({ clock: 'server' });
      const ahead = Date.now() + 86_400_000; // the caller's clock runs a day ahead
      const [due, later] = await store.insertJobs({
        jobs: [job({ runAt: ahead }), job({ runAt: ahead + 60_000 })],
        now: ahead,
      });
      const before = Date.now();
      const dueJob = await store.getJob({ id: due!.id });
      expect(dueJob!.state).toBe('waiting');
      expect(Math.abs(dueJob!.runAt - before)).toBeLessThan(5_000);
      const laterJob = await store.getJob({ id: later!.id });
      expect(laterJob!.state).toBe('scheduled');
      expect(Math.abs(laterJob!.runAt - (before + 60_000))).toBeLessThan(5_000);
      expect(Math.abs((await store.nextScheduledAt({ queue: 'q' }))! - (before + 60_000))).toBeLessThan(
        5_000,
      );

      // A claim by a caller a year ahead gets only the due job, with a lease from the server's now.
      const claimed = await store.claimJobs({
        queue: 'q',
        workerId: 'w',
        limit: 10,
        leaseMs: 30_000,
        now: ahead + 365 * 86_400_000,
        claimId: 'c',
      });
      expect(claimed.map((j) => j.id)).toEqual([due!.id]);
      expect(Math.abs(claimed[0]!.leaseExpiresAt! - (Date.now() + 30_000))).toBeLessThan(5_000);
      // A sweep by a caller whose clock jumped ten years ahead expires nothing.
      const sweep = await store.recoverExpiredLeases({
        now: ahead + 3650 * 86_400_000,
        maxOrphans: 3,
        limit: 10,
        deadLetterFor: () => {
          throw new Error('no poison pill');
        },
      });
      expect(sweep).toEqual({ recovered: [], deadLettered: [], orphanedWhile: {} });
      // The time to the next lease expiry is counted on the server's clock too, not the caller's.
      const untilExpiry = await store.nextLeaseExpiry({ now: ahead + 3650 * 86_400_000 });
      expect(untilExpiry).toBeGreaterThan(25_000);
      expect(untilExpiry).toBeLessThanOrEqual(30_000);
    });

    it('expires a lease once the server time passes it, whatever the caller clock says', async () => {
      const store = open({ clock: 'server' });
      await store.insertJobs({ jobs: [job({ runAt: 0 })], now: 0 });
      const [claimed] = await store.claimJobs({
        queue: 'q',
        workerId: 'w',
        limit: 1,
        leaseMs: 5,
        now: 0,
        claimId: 'c',
      });
      const deadline = Date.now() + 2000;
      let recovered: string[] = [];
      while (recovered.length === 0 && Date.now() < deadline) {
        recovered = (
          await store.recoverExpiredLeases({
            now: 0,
            maxOrphans: 3,
            limit: 10,
            deadLetterFor: () => ({}) as never,
          })
        ).recovered;
      }
      expect(recovered).toEqual([claimed!.id]);
    });
  });
});
