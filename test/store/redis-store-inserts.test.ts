/**
 * Redis store on a real server: chunked inserts in one transaction, idempotency keys across chunks;
 * the ids and start sequence numbers the scripts count up digit by digit; claim replies in pieces
 * that name a job's fixed attributes once for a run of jobs sharing them.
 */
import { describe, expect, it } from 'vitest';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

/** Every claimed job's id, in claim order. */
const ids = (jobs: readonly { id: string }[]) => jobs.map((j) => j.id);

describe.skipIf(!redis.available)('RedisStore', () => {
  const { admin, open, openOlder } = redisStoreHarness(redis);

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

    it('numbers a bulk insert across tens and hundreds, and claims it in id order with start marks counting on', async () => {
      const store = await openOlder();
      // One job first, so that the bulk starts at id 2 and runs over 9 -> 10 and 99 -> 100.
      await store.insertJobs({ jobs: [job({ payload: { i: -1 } })], now: T0 });
      const jobs = Array.from({ length: 249 }, (_, i) => job({ payload: { i } }));
      const results = await store.insertJobs({ jobs, now: T0 });
      const expected = Array.from({ length: 249 }, (_, i) => String(i + 2));
      expect(results.map((r) => r.id)).toEqual(expected);
      // At format 1 (a prefix an earlier release wrote to) normal priority (the default) is stored
      // too, as earlier versions' scripts read it as a number; claim order puts a high one first.
      expect(await admin!.hget(store.keys.job('5'), 'pr')).toBe('1');
      const [high] = await store.insertJobs({
        jobs: [job({ priority: 2, payload: { high: true } })],
        now: T0,
      });
      expect(await admin!.hget(store.keys.job(high!.id), 'pr')).toBe('2');
      const first = await store.claimJobs({
        queue: 'q',
        workerId: 'w',
        limit: 2,
        leaseMs: 60_000,
        now: T0,
        claimId: 'c1',
      });
      expect(ids(first)).toEqual([high!.id, '1']);
      const claimed = await store.claimJobs({
        queue: 'q',
        workerId: 'w',
        limit: 249,
        leaseMs: 60_000,
        now: T0,
        claimId: 'c2',
        starts: { firstSeq: 7, horizon: 0 },
      });
      expect(ids(claimed)).toEqual(expected);
      expect(claimed.map((j) => j.payload)).toEqual(jobs.map((_, i) => ({ i })));
      // Field ws: `<startedAt>:<seq>:<workerId>` (lib/jobs.lua).
      const held = await Promise.all(claimed.map((j) => admin!.hget(store.keys.job(j.id), 'ws')));
      expect(held).toEqual(Array.from({ length: 249 }, (_, i) => `${T0}:${7 + i}:w`));
    });
  });

  describe('claim replies', () => {
    it('claims runs of jobs sharing their attributes over several reply pieces, each job with its own backoff and headers', async () => {
      const store = open();
      const pad = 'x'.repeat(300);
      const backoff = { type: 'fixed' as const, delayMs: 10 };
      const bulk = (name: string, from: number, count: number, extra = {}) =>
        Array.from({ length: count }, (_, i) => job({ name, payload: { i: from + i, pad }, ...extra }));
      // Three bulk inserts: the reply's d repeats within each run and changes between them.
      const runs = [
        ...bulk('a', 0, 60, { backoff, headers: { trace: 't1' } }),
        ...bulk('b', 60, 1),
        ...bulk('c', 61, 60, { maxAttempts: 7 }),
      ];
      await store.insertJobs({ jobs: runs.slice(0, 60), now: T0 });
      await store.insertJobs({ jobs: runs.slice(60, 61), now: T0 });
      await store.insertJobs({ jobs: runs.slice(61), now: T0 });
      const claimed = await store.claimJobs({
        queue: 'q',
        workerId: 'w',
        limit: 200,
        leaseMs: 60_000,
        now: T0,
        claimId: 'c',
      });
      expect(claimed.map((j) => j.payload)).toEqual(runs.map((_, i) => ({ i, pad })));
      expect(claimed.map((j) => j.name)).toEqual(runs.map((j) => j.name));
      expect(claimed.map((j) => j.maxAttempts)).toEqual(runs.map((j) => j.maxAttempts));
      expect(claimed.map((j) => j.headers)).toEqual(runs.map((j) => j.headers ?? null));
      expect(claimed.map((j) => j.backoff)).toEqual(runs.map((j) => j.backoff));
      // A handler changing its job's headers or backoff changes no other job's.
      claimed[0]!.headers!.trace = 'changed';
      claimed[0]!.backoff!.delayMs = 99;
      expect(claimed[1]!.headers).toEqual({ trace: 't1' });
      expect(claimed[59]!.backoff).toEqual(backoff);
    });
  });
});
