/**
 * Conformance: inserting jobs, reading them back, batches and idempotency keys.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../core/job.js';
import { claim, insert, mustGet, newJob, type StoreFactory, T0, useFreshStore } from '../fixtures.js';

export function insertCases(factory: StoreFactory): void {
  describe('insertJobs and getJob', () => {
    const store = useFreshStore(factory);

    it('round-trips every field of a job', async () => {
      const payload = { to: 'a@example.com', n: [1, 2.5, -3], nested: { x: null, y: 'ünïcødé ✓' } };
      const backoff = { type: 'exponential', delayMs: 250, jitter: 'full', maxDelayMs: 60_000 } as const;
      const [delayed, due] = await insert(
        store(),
        [
          newJob({
            queue: 'emails',
            name: 'send-welcome',
            payload,
            priority: 2,
            runAt: T0 + 5000,
            maxAttempts: 7,
            timeoutMs: 1234,
            backoff,
            idempotencyKey: 'welcome:42',
            replayOf: 'dl_abc',
          }),
          newJob({ queue: 'emails', name: 'plain', payload: 'just a string', priority: 0, runAt: T0 - 10 }),
        ],
        T0,
      );
      expect(await store().getJob({ id: delayed! })).toEqual({
        id: delayed!,
        queue: 'emails',
        name: 'send-welcome',
        payload,
        state: 'scheduled',
        priority: 2,
        attemptsMade: 0,
        maxAttempts: 7,
        orphanCount: 0,
        suspect: false,
        rateLimitDelays: 0,
        runAt: T0 + 5000,
        createdAt: T0,
        startedAt: null,
        finishedAt: null,
        leaseExpiresAt: null,
        workerId: null,
        timeoutMs: 1234,
        backoff,
        idempotencyKey: 'welcome:42',
        result: null,
        progress: null,
        attempts: [],
        deadLetterId: null,
        replayOf: 'dl_abc',
        headers: null,
      } satisfies Job);
      expect(await store().getJob({ id: due! })).toEqual({
        id: due!,
        queue: 'emails',
        name: 'plain',
        payload: 'just a string',
        state: 'waiting',
        priority: 0,
        attemptsMade: 0,
        maxAttempts: 3,
        orphanCount: 0,
        suspect: false,
        rateLimitDelays: 0,
        runAt: T0 - 10,
        createdAt: T0,
        startedAt: null,
        finishedAt: null,
        leaseExpiresAt: null,
        workerId: null,
        timeoutMs: null,
        backoff: null,
        idempotencyKey: null,
        result: null,
        progress: null,
        attempts: [],
        deadLetterId: null,
        replayOf: null,
        headers: null,
      } satisfies Job);
    });

    it('returns null for an unknown id, numeric or not', async () => {
      await insert(store(), [newJob()]);
      expect(await store().getJob({ id: '987654321' })).toBeNull();
      expect(await store().getJob({ id: 'no-such-job' })).toBeNull();
    });

    it('inserts nothing for an empty batch', async () => {
      expect(await store().insertJobs({ jobs: [], now: T0 })).toEqual([]);
      expect(await store().listJobs({ limit: 10 })).toEqual([]);
    });

    it('gives a bulk insert one result per job, in input order, with ids in insertion order', async () => {
      // Large enough to cross any internal chunking; keyed jobs interleaved break up the runs.
      const jobs = Array.from({ length: 450 }, (_, i) =>
        newJob({ payload: { i }, idempotencyKey: i % 97 === 0 ? `k${i}` : null }),
      );
      const results = await store().insertJobs({ jobs, now: T0 });
      expect(results).toHaveLength(450);
      expect(results.every((r) => r.created)).toBe(true);
      expect(new Set(results.map((r) => r.id)).size).toBe(450);
      for (let i = 0; i < jobs.length; i += 37) {
        expect((await mustGet(store(), results[i]!.id)).payload).toEqual({ i });
      }
      const listed = await store().listJobs({ limit: 1000 });
      if (store().capabilities.sharded) {
        // A sharded store lists in id order per shard: same jobs, insertion order within a shard.
        expect([...listed.map((j) => j.id)].sort()).toEqual([...results.map((r) => r.id)].sort());
        const shardOf = (id: string) => id.split(':')[0];
        for (const shard of new Set(listed.map((j) => shardOf(j.id)))) {
          const order = listed
            .filter((j) => shardOf(j.id) === shard)
            .map((j) => (j.payload as { i: number }).i);
          expect(order).toEqual([...order].sort((a, b) => a - b));
        }
      } else {
        expect(listed.map((j) => j.id)).toEqual(results.map((r) => r.id));
        expect(listed.map((j) => (j.payload as { i: number }).i)).toEqual(jobs.map((_, i) => i));
      }
    });

    it('inserts a batch atomically: one invalid job and none of the batch is stored', async () => {
      const bad = newJob({ payload: { i: 2 } });
      (bad as { queue: unknown }).queue = null;
      await expect(
        store().insertJobs({
          jobs: [newJob({ queue: 'atomic', payload: { i: 0 } }), newJob({ queue: 'atomic' }), bad],
          now: T0,
        }),
      ).rejects.toThrow();
      expect(await store().listJobs({ limit: 10 })).toEqual([]);
      expect(await store().countJobs({})).toEqual({
        scheduled: 0,
        waiting: 0,
        active: 0,
        completed: 0,
        dead_lettered: 0,
      });
      // The rolled-back batch leaves no trace, and the queue still works (and is listed) afterwards.
      const [id] = await insert(store(), [newJob({ queue: 'atomic' })]);
      expect((await mustGet(store(), id!)).state).toBe('waiting');
      expect((await store().listQueues()).map((q) => q.name)).toContain('atomic');
    });
  });

  describe('idempotency keys', () => {
    const store = useFreshStore(factory);

    it('returns the first job within one batch', async () => {
      const results = await store().insertJobs({
        jobs: [
          newJob({ idempotencyKey: 'a', payload: { n: 1 } }),
          newJob({ idempotencyKey: 'b', payload: { n: 2 } }),
          newJob({ idempotencyKey: 'a', payload: { n: 3 } }),
          newJob({ payload: { n: 4 } }),
        ],
        now: T0,
      });
      expect(results.map((r) => r.created)).toEqual([true, true, false, true]);
      expect(results[2]!.id).toBe(results[0]!.id);
      expect(new Set(results.map((r) => r.id)).size).toBe(3);
      expect((await mustGet(store(), results[0]!.id)).payload).toEqual({ n: 1 });
      expect((await store().countJobs({ queue: 'q' })).waiting).toBe(3);
    });

    it('returns the first job across calls, leaving it untouched', async () => {
      const [first] = await store().insertJobs({
        jobs: [newJob({ idempotencyKey: 'order:1', payload: { v: 1 }, priority: 0 })],
        now: T0,
      });
      expect(first!.created).toBe(true);
      const before = await mustGet(store(), first!.id);
      const [again] = await store().insertJobs({
        jobs: [newJob({ idempotencyKey: 'order:1', payload: { v: 2 }, priority: 2, runAt: T0 + 999 })],
        now: T0 + 10,
      });
      expect(again).toEqual({ id: first!.id, created: false });
      expect(await mustGet(store(), first!.id)).toEqual(before);
      expect((await store().listJobs({ limit: 10 })).length).toBe(1);
    });

    it('keeps returning the first job after it finished', async () => {
      const [first] = await insert(store(), [newJob({ idempotencyKey: 'once' })]);
      const [c] = await claim(store(), { now: T0 });
      await store().completeJobs({
        completions: [{ id: c!.id, token: c!.token, resultJson: null }],
        now: T0,
      });
      const [again] = await store().insertJobs({ jobs: [newJob({ idempotencyKey: 'once' })], now: T0 + 1 });
      expect(again).toEqual({ id: first, created: false });
      expect((await mustGet(store(), first!)).state).toBe('completed');
    });

    it('scopes keys per queue', async () => {
      const [a, b, a2] = await store().insertJobs({
        jobs: [
          newJob({ queue: 'q1', idempotencyKey: 'same' }),
          newJob({ queue: 'q2', idempotencyKey: 'same' }),
          newJob({ queue: 'q1', idempotencyKey: 'same' }),
        ],
        now: T0,
      });
      expect(a!.created).toBe(true);
      expect(b!.created).toBe(true);
      expect(b!.id).not.toBe(a!.id);
      expect(a2).toEqual({ id: a!.id, created: false });
      expect((await mustGet(store(), b!.id)).queue).toBe('q2');
    });
  });
}
