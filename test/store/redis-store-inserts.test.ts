/**
 * Redis store on a real server: chunked inserts in one transaction, idempotency keys across chunks.
 */
import { describe, expect, it } from 'vitest';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

describe.skipIf(!redis.available)('RedisStore', () => {
  const { open } = redisStoreHarness(redis);

  describe('inserts', () => {
    it('inserts a batch larger than a chunk in one transaction, idempotency keys across chunks', async () => {
      const store = open({ insertChunk: 100 });
      const jobs = Array.from({ length: 350 }, (_, i) =>
        job({ payload: { i }, idempotencyKey: i % 50 === 0 ? `k${i % 100}` : null }),
      );
      const results = await store.insertJobs({ jobs, now: T0 });
      expect(results).toHaveLength(350);
      // k0 appears at 0, 100, 200, 300; k50 at 50, 150, 250: only the first of each is created.
      for (const i of [100, 200, 300]) expect(results[i]).toEqual({ id: results[0]!.id, created: false });
      for (const i of [150, 250]) expect(results[i]).toEqual({ id: results[50]!.id, created: false });
      expect((await store.countJobs({ queue: 'q' })).waiting).toBe(345);
      const listed = await store.listJobs({ queue: 'q', limit: 1000 });
      expect(listed.map((j) => j.payload)).toEqual(
        jobs.map((_, i) => ({ i })).filter(({ i }) => !(i % 50 === 0 && i >= 100)),
      );
    });
  });
});
