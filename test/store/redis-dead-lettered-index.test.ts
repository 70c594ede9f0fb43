/**
 * Redis store on a real server: the dead-lettered jobs' index. From format 4 a failure batch's
 * dead-lettered jobs are one member of `q:<queue>:dfin` (their ids joined, scored by the batch's
 * time) and a count in `q:<queue>:ndfin`; counts and the removal of dead-lettered jobs read it
 * together with `q:<queue>:dead`, where earlier formats put one id per job.
 */
import { describe, expect, it } from 'vitest';
import { deadLetterFromJob, failedAttempt } from '../../src/store/conformance/fixtures.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

describe.skipIf(!redis.available)('RedisStore dead-lettered index', () => {
  const { admin, open, openOlder } = redisStoreHarness(redis);

  /** Inserts `n` jobs, claims them as one batch and dead-letters them in one failJobs at `at`. */
  async function deadLetterBatch(store: RedisStore, n: number, at: number): Promise<string[]> {
    await store.insertJobs({ jobs: Array.from({ length: n }, (_, i) => job({ payload: { i } })), now: at });
    const claimed = await store.claimJobs({
      queue: 'q',
      workerId: 'w1',
      limit: n,
      leaseMs: 60_000,
      now: at,
      claimId: `c${at}`,
    });
    expect(claimed).toHaveLength(n);
    const results = await store.failJobs({
      failures: claimed.map((j) => ({
        id: j.id,
        token: j.token,
        attempt: failedAttempt(j, at),
        outcome: { kind: 'dead_letter' as const, deadLetter: deadLetterFromJob(`dl-${j.id}`, at) },
      })),
      now: at,
    });
    expect(results.every((r) => r.ok)).toBe(true);
    return claimed.map((j) => j.id);
  }

  const deadLettered = async (store: RedisStore) => (await store.countJobs({ queue: 'q' })).dead_lettered;
  const exists = async (store: RedisStore, id: string) => (await store.getJob({ id })) !== null;

  it('format 4: a failure batch is one member listing its ids, counted per job', async () => {
    const store = open({ formatVersion: 4 });
    const ids = await deadLetterBatch(store, 4, T0);
    expect(await admin!.zrange(store.keys.queue('q', 'dfin'), '0', '-1', 'WITHSCORES')).toEqual([
      ids.join(','),
      String(T0),
    ]);
    expect(await admin!.get(store.keys.queue('q', 'ndfin'))).toBe('4');
    expect(await admin!.exists(store.keys.queue('q', 'dead'))).toBe(0);
    expect(await deadLettered(store)).toBe(4);
  });

  it('counts and removes the jobs of both layouts, earlier format first, splitting a batch at the limit', async () => {
    const store = await openOlder({ formatVersion: 3 });
    const older = await deadLetterBatch(store, 2, T0);
    expect(await admin!.zcard(store.keys.queue('q', 'dead'))).toBe(2);
    await admin!.set(store.keys.format, '4');
    const newer = open({ prefix: store.keys.prefix });
    const batch = await deadLetterBatch(newer, 3, T0 + 1000);
    expect(await deadLettered(newer)).toBe(5);

    expect(await newer.removeJobs({ queue: 'q', states: ['dead_lettered'], limit: 3 })).toBe(3);
    for (const id of [...older, batch[0]!]) expect(await exists(newer, id)).toBe(false);
    for (const id of batch.slice(1)) expect(await exists(newer, id)).toBe(true);
    expect(await admin!.zrange(newer.keys.queue('q', 'dfin'), '0', '-1')).toEqual([batch.slice(1).join(',')]);
    expect(await deadLettered(newer)).toBe(2);
    // The removed jobs' dead letters are still found by their jobs.
    expect((await newer.getDeadLetterByJob({ jobId: batch[0]! }))?.id).toBe(`dl-${batch[0]}`);

    expect(await newer.removeJobs({ queue: 'q', states: ['dead_lettered'], limit: 10 })).toBe(2);
    expect(await deadLettered(newer)).toBe(0);
    expect(
      await admin!.exists(
        newer.keys.queue('q', 'dfin'),
        newer.keys.queue('q', 'ndfin'),
        newer.keys.queue('q', 'dead'),
      ),
    ).toBe(0);
  });
});
