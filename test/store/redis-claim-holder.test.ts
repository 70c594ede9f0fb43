/**
 * Redis store on a real server: who holds a claimed job. A claim writes its start time, start
 * sequence number and worker as one field, `ws` = `<startedAt>:<seq>:<workerId>`; an earlier
 * version's claim wrote the fields `sa`, `sq` and `w`. While processes of both versions share a
 * store, either kind of job must be read back, attributed and recovered right.
 */
import { describe, expect, it } from 'vitest';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();
const LEASE = 1000;

describe.skipIf(!redis.available)('RedisStore claim holder', () => {
  const { admin, open } = redisStoreHarness(redis);

  async function claimOne(store: RedisStore, at: number, worker = 'w1', firstSeq = 5) {
    const [claimed] = await store.claimJobs({
      queue: 'q',
      workerId: worker,
      limit: 1,
      leaseMs: LEASE,
      now: at,
      claimId: `c${at}`,
      starts: { firstSeq, horizon: 0 },
    });
    return claimed!;
  }

  async function insertOne(store: RedisStore): Promise<string> {
    const [inserted] = await store.insertJobs({ jobs: [job()], now: T0 });
    return inserted!.id;
  }

  const recover = (store: RedisStore, now: number) =>
    store.recoverExpiredLeases({
      now,
      queue: 'q',
      maxOrphans: 3,
      limit: 10,
      deadLetterFor: () => {
        throw new Error('no poison pill expected');
      },
    });

  it('writes one field for start, sequence number and worker, and reads the job back from it', async () => {
    const store = open();
    const id = await insertOne(store);
    await claimOne(store, T0 + 10);
    const fields = await admin!.hmget(store.keys.job(id), 'ws', 'w', 'sa', 'sq');
    expect(fields).toEqual([`${T0 + 10}:5:w1`, null, null, null]);
    expect(await store.getJob({ id })).toMatchObject({ state: 'active', startedAt: T0 + 10, workerId: 'w1' });
    // Back in waiting (the lease expired), the job has no worker but keeps its last start.
    await recover(store, T0 + 10 + LEASE + 1);
    expect(await store.getJob({ id })).toMatchObject({
      state: 'waiting',
      startedAt: T0 + 10,
      workerId: null,
    });
  });

  it("recovers a job an earlier version claimed (sa, sq, w) with that claim's start and worker", async () => {
    const store = open();
    const id = await insertOne(store);
    const claimed = await claimOne(store, T0 + 10, 'new-worker');
    // What an earlier version's claim leaves instead: no ws. Its sequence number is beyond the
    // worker's start horizon, so the job never started.
    await admin!.hdel(store.keys.job(id), 'ws');
    await admin!.hset(store.keys.job(id), 'w', 'old-worker', 'sa', String(T0 + 20), 'sq', '9');
    await admin!.hset(`${store.keys.base}horizons`, 'old-worker', '9');
    expect(await store.getJob({ id })).toMatchObject({ startedAt: T0 + 20, workerId: 'old-worker' });
    const result = await recover(store, T0 + 10 + LEASE + 1);
    expect(result.recovered).toEqual([id]);
    expect(result.orphanedWhile).toEqual({ [id]: 'prefetched' });
    const after = await store.getJob({ id });
    expect(after?.attempts.at(-1)).toMatchObject({ startedAt: T0 + 20, workerId: 'old-worker' });
    expect(after?.suspect).toBe(false);
    expect(claimed.token).toBeTruthy();
  });

  it('an earlier version claiming a job this version held before: its fields count, not the stale ws', async () => {
    const store = open();
    const id = await insertOne(store);
    const first = await claimOne(store, T0 + 10, 'new-worker');
    expect(await store.releaseJobs({ leases: [{ id, token: first.token }], now: T0 + 11 })).toEqual([
      { id, ok: true },
    ]);
    // The earlier version claims it again: w, sa and sq written, the ws of the release's claim left.
    await admin!.hset(
      store.keys.job(id),
      's',
      'active',
      'tk',
      '1:old',
      'le',
      String(T0 + 12 + LEASE),
      'w',
      'old',
    );
    await admin!.hset(store.keys.job(id), 'sa', String(T0 + 12), 'sq', '');
    await admin!.zadd(store.keys.queue('q', 'active'), String(T0 + 12 + LEASE), id);
    expect(await store.getJob({ id })).toMatchObject({ startedAt: T0 + 12, workerId: 'old' });
    const result = await recover(store, T0 + 12 + LEASE + 1);
    expect(result.orphanedWhile).toEqual({ [id]: 'running' });
    const after = await store.getJob({ id });
    expect(after?.attempts.at(-1)).toMatchObject({ startedAt: T0 + 12, workerId: 'old' });
    expect(after?.suspect).toBe(true);
  });

  it('attributes a job this version claimed by its sequence number against the horizon', async () => {
    const store = open();
    await store.insertJobs({ jobs: [job(), job()], now: T0 });
    const [a, b] = await store.claimJobs({
      queue: 'q',
      workerId: 'w1',
      limit: 2,
      leaseMs: LEASE,
      now: T0,
      claimId: 'c',
      starts: { firstSeq: 4, horizon: 0 },
    });
    // The worker started the first (seq 4) only: its horizon is 5.
    await store.advanceStartHorizon({ workerId: 'w1', horizon: 5, now: T0 + 1 });
    const result = await recover(store, T0 + LEASE + 1);
    expect(result.orphanedWhile).toEqual({ [a!.id]: 'running', [b!.id]: 'prefetched' });
    expect((await store.getJob({ id: a!.id }))?.attempts.at(-1)).toMatchObject({
      startedAt: T0,
      workerId: 'w1',
    });
  });
});
