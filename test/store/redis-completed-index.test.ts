/**
 * Redis store on a real server: the completed index. A batch of completions is one member of
 * `q:<queue>:fin` (its ids joined, scored by the finish time) and a count in `q:<queue>:nfin`;
 * counts and the removal of completed jobs read it together with `q:<queue>:done`, where earlier
 * versions put one id per completed job — which a store shared during a rolling upgrade holds.
 */
import { describe, expect, it } from 'vitest';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

describe.skipIf(!redis.available)('RedisStore completed index', () => {
  const { admin, open } = redisStoreHarness(redis);

  /** Inserts `n` jobs into `queue`, claims them as one batch and completes them at `at`; their ids. */
  async function completeBatch(store: RedisStore, n: number, at: number, queue = 'q'): Promise<string[]> {
    await store.insertJobs({
      jobs: Array.from({ length: n }, (_, i) => job({ queue, payload: { i } })),
      now: at,
    });
    const claimed = await store.claimJobs({
      queue,
      workerId: 'w',
      limit: n,
      leaseMs: 60_000,
      now: at,
      claimId: `c${at}`,
    });
    expect(claimed).toHaveLength(n);
    const outcomes = await store.completeJobs({
      completions: claimed.map((j) => ({ id: j.id, token: j.token, resultJson: null })),
      now: at,
    });
    expect(outcomes.every((o) => o.ok)).toBe(true);
    return claimed.map((j) => j.id);
  }

  const completed = async (store: RedisStore) => (await store.countJobs({ queue: 'q' })).completed;
  const exists = async (store: RedisStore, id: string) => (await store.getJob({ id })) !== null;

  it('a batch of completions is one member listing its ids, counted per job', async () => {
    const store = open();
    const ids = await completeBatch(store, 5, T0);
    const fin = await admin!.zrange(store.keys.queue('q', 'fin'), '0', '-1', 'WITHSCORES');
    expect(fin).toEqual([ids.join(','), String(T0)]);
    expect(await admin!.get(store.keys.queue('q', 'nfin'))).toBe('5');
    expect(await admin!.exists(store.keys.queue('q', 'done'))).toBe(0);
    expect(await completed(store)).toBe(5);
    expect((await store.getJob({ id: ids[0]! }))?.state).toBe('completed');
  });

  it('removes completed jobs earliest batch first, splitting a batch at the limit and keeping its rest', async () => {
    const store = open();
    const first = await completeBatch(store, 3, T0);
    const second = await completeBatch(store, 4, T0 + 1000);
    expect(await completed(store)).toBe(7);
    expect(await store.removeJobs({ queue: 'q', states: ['completed'], limit: 5 })).toBe(5);
    for (const id of [...first, ...second.slice(0, 2)]) expect(await exists(store, id)).toBe(false);
    for (const id of second.slice(2)) expect(await exists(store, id)).toBe(true);
    expect(await admin!.zrange(store.keys.queue('q', 'fin'), '0', '-1', 'WITHSCORES')).toEqual([
      second.slice(2).join(','),
      String(T0 + 1000),
    ]);
    expect(await completed(store)).toBe(2);
    expect(await store.removeJobs({ queue: 'q', states: ['completed'], limit: 10 })).toBe(2);
    expect(await completed(store)).toBe(0);
    expect(await admin!.exists(store.keys.queue('q', 'fin'), store.keys.queue('q', 'nfin'))).toBe(0);
  });

  it('removes only the batches finished before `before`', async () => {
    const store = open();
    const early = await completeBatch(store, 2, T0);
    const late = await completeBatch(store, 2, T0 + 5000);
    expect(await store.removeJobs({ queue: 'q', states: ['completed'], before: T0 + 5000, limit: 100 })).toBe(
      2,
    );
    for (const id of early) expect(await exists(store, id)).toBe(false);
    for (const id of late) expect(await exists(store, id)).toBe(true);
    expect(await completed(store)).toBe(2);
  });

  it('completions of several queues in one call go to each queue index', async () => {
    const store = open();
    await store.insertJobs({
      jobs: [job({ queue: 'a' }), job({ queue: 'b' }), job({ queue: 'b' })],
      now: T0,
    });
    const claimed = [
      ...(await store.claimJobs({
        queue: 'a',
        workerId: 'w',
        limit: 5,
        leaseMs: 60_000,
        now: T0,
        claimId: 'ca',
      })),
      ...(await store.claimJobs({
        queue: 'b',
        workerId: 'w',
        limit: 5,
        leaseMs: 60_000,
        now: T0,
        claimId: 'cb',
      })),
    ];
    await store.completeJobs({
      completions: claimed.map((j) => ({ id: j.id, token: j.token, resultJson: '1' })),
      now: T0,
    });
    expect((await store.countJobs({ queue: 'a' })).completed).toBe(1);
    expect((await store.countJobs({ queue: 'b' })).completed).toBe(2);
    expect((await store.countJobs({})).completed).toBe(3);
  });

  it("counts a completed job's attempts from its token, the attempt the completion ended", async () => {
    const store = open();
    const [inserted] = await store.insertJobs({ jobs: [job()], now: T0 });
    const id = inserted!.id;
    // As a failed first attempt leaves it: one attempt made, with its record.
    await admin!.hset(store.keys.job(id), 'am', '1', 'at', '[{"attempt":1,"outcome":"failed"}]');
    const [claimed] = await store.claimJobs({
      queue: 'q',
      workerId: 'w',
      limit: 1,
      leaseMs: 60_000,
      now: T0,
      claimId: 'c',
    });
    expect(claimed!.token).toBe('2:c');
    await store.completeJobs({ completions: [{ id, token: claimed!.token, resultJson: null }], now: T0 });
    expect(await admin!.hmget(store.keys.job(id), 's', 'am')).toEqual(['completed', '1']);
    expect((await store.getJob({ id }))?.attemptsMade).toBe(2);
    expect((await store.listJobs({ queue: 'q', limit: 10 }))[0]?.attemptsMade).toBe(2);
  });

  it('reads the completions an earlier version indexed one id each, and leaves them where it reads them', async () => {
    const store = open();
    // An earlier version completed these: each its own member of `done`, scored by finish time.
    const old = await completeBatch(store, 3, T0);
    await admin!.del(store.keys.queue('q', 'fin'), store.keys.queue('q', 'nfin'));
    await admin!.zadd(store.keys.queue('q', 'done'), ...old.flatMap((id) => [String(T0), id]));
    const fresh = await completeBatch(store, 2, T0 + 1000);
    expect(await completed(store)).toBe(5);
    // This version never writes `done`: an earlier version's count and removal there read only its own.
    expect(await admin!.zrange(store.keys.queue('q', 'done'), '0', '-1')).toEqual(old);
    expect(await store.removeJobs({ queue: 'q', states: ['completed'], limit: 4 })).toBe(4);
    for (const id of [...old, fresh[0]!]) expect(await exists(store, id)).toBe(false);
    expect(await exists(store, fresh[1]!)).toBe(true);
    expect(await completed(store)).toBe(1);
  });
});
