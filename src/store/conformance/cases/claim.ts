/**
 * Conformance: which jobs a claim returns, in which order, and the lease it gives them.
 */
import { describe, expect, it } from 'vitest';
import { claim, insert, mustGet, newJob, type StoreFactory, T0, useFreshStore } from '../fixtures.js';

export function claimCases(factory: StoreFactory): void {
  describe('claimJobs', () => {
    const store = useFreshStore(factory);

    it('claims high priority first, then the earliest due, then the oldest', async () => {
      const ids = await insert(store(), [
        newJob({ payload: 'low', priority: 0, runAt: T0 - 3000 }),
        newJob({ payload: 'normal-late', priority: 1, runAt: T0 - 1000 }),
        newJob({ payload: 'high-late', priority: 2, runAt: T0 - 1000 }),
        newJob({ payload: 'normal-early-1', priority: 1, runAt: T0 - 2000 }),
        newJob({ payload: 'high-early', priority: 2, runAt: T0 - 2000 }),
        newJob({ payload: 'normal-early-2', priority: 1, runAt: T0 - 2000 }),
      ]);
      const expected = ['high-early', 'high-late', 'normal-early-1', 'normal-early-2', 'normal-late', 'low'];
      const all = await claim(store(), { now: T0, limit: 10 });
      expect(all.map((j) => j.payload)).toEqual(expected);
      expect(new Set(all.map((j) => j.id))).toEqual(new Set(ids));
    });

    it('claims in the same order one job at a time', async () => {
      await insert(store(), [
        newJob({ payload: 'a', priority: 0 }),
        newJob({ payload: 'b', priority: 1 }),
        newJob({ payload: 'c', priority: 1 }),
        newJob({ payload: 'd', priority: 2 }),
      ]);
      const order: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        const got = await claim(store(), { now: T0 + i, limit: 1 });
        if (i < 4) expect(got).toHaveLength(1);
        else expect(got).toEqual([]);
        order.push(...got.map((j) => j.payload));
      }
      expect(order).toEqual(['d', 'b', 'c', 'a']);
    });

    it('does not claim a delayed job before it is due, then claims due jobs in due order', async () => {
      const [late, early, middle] = await insert(store(), [
        newJob({ payload: 'late', runAt: T0 + 300 }),
        newJob({ payload: 'early', runAt: T0 + 100 }),
        newJob({ payload: 'middle', runAt: T0 + 200 }),
      ]);
      expect((await store().countJobs({ queue: 'q' })).scheduled).toBe(3);
      expect(await claim(store(), { now: T0 })).toEqual([]);
      expect(await claim(store(), { now: T0 + 99 })).toEqual([]);
      expect(await store().nextScheduledAt({ queue: 'q' })).toBe(T0 + 100);

      const first = await claim(store(), { now: T0 + 100 });
      expect(first.map((j) => j.id)).toEqual([early]);
      expect(await store().nextScheduledAt({ queue: 'q' })).toBe(T0 + 200);

      const rest = await claim(store(), { now: T0 + 10_000 });
      expect(rest.map((j) => j.id)).toEqual([middle, late]);
      expect(await store().nextScheduledAt({ queue: 'q' })).toBeNull();
    });

    it('a delayed job that became due competes by priority with jobs already waiting', async () => {
      await insert(store(), [
        newJob({ payload: 'waiting-normal', runAt: T0 }),
        newJob({ payload: 'delayed-high', priority: 2, runAt: T0 + 50 }),
      ]);
      const got = await claim(store(), { now: T0 + 60, limit: 2 });
      expect(got.map((j) => j.payload)).toEqual(['delayed-high', 'waiting-normal']);
    });

    it('respects the limit and never returns a job twice', async () => {
      await insert(
        store(),
        Array.from({ length: 5 }, (_, i) => newJob({ payload: i })),
      );
      const batches = [];
      for (let i = 0; i < 4; i++) batches.push(await claim(store(), { now: T0, limit: 2 }));
      expect(batches.map((b) => b.length)).toEqual([2, 2, 1, 0]);
      expect(batches.flat().map((j) => j.payload)).toEqual([0, 1, 2, 3, 4]);
      expect((await store().countJobs({ queue: 'q' })).active).toBe(5);
    });

    it('claims only from the queue it is asked for', async () => {
      const [a] = await insert(store(), [newJob({ queue: 'a' }), newJob({ queue: 'b' })]);
      const got = await claim(store(), { queue: 'a', now: T0 });
      expect(got.map((j) => j.id)).toEqual([a]);
      expect(await claim(store(), { queue: 'a', now: T0 })).toEqual([]);
      expect(await claim(store(), { queue: 'c', now: T0 })).toEqual([]);
      expect((await store().countJobs({ queue: 'b' })).waiting).toBe(1);
    });

    it('gives each claimed job a lease of now + leaseMs and a fencing token', async () => {
      const [a, b] = await insert(store(), [newJob(), newJob()]);
      const now = T0 + 777;
      const got = await claim(store(), { now, leaseMs: 12_345, workerId: 'worker-9' });
      expect(got.map((j) => j.id)).toEqual([a, b]);
      for (const job of got) {
        expect(typeof job.token).toBe('string');
        expect(job.token.length).toBeGreaterThan(0);
        expect(job).toMatchObject({
          state: 'active',
          leaseExpiresAt: now + 12_345,
          workerId: 'worker-9',
          startedAt: now,
          attemptsMade: 0,
        });
        const stored = await mustGet(store(), job.id);
        expect(stored).toMatchObject({
          state: 'active',
          leaseExpiresAt: now + 12_345,
          workerId: 'worker-9',
          startedAt: now,
        });
        const { token: _token, ...withoutToken } = job;
        expect(stored).toEqual(withoutToken);
      }
    });

    it('gives a new token to every claim of the same job', async () => {
      const [id] = await insert(store(), [newJob()]);
      const tokens = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const [c] = await claim(store(), { now: T0 + i });
        expect(c!.id).toBe(id);
        tokens.add(c!.token);
        await store().releaseJobs({ leases: [{ id: c!.id, token: c!.token }], now: T0 + i });
      }
      expect(tokens.size).toBe(4);
    });
  });

  describe('paused queues', () => {
    const store = useFreshStore(factory);

    it('a paused queue claims nothing; resume restores claiming', async () => {
      const [a1, a2] = await insert(store(), [
        newJob({ queue: 'a' }),
        newJob({ queue: 'a' }),
        newJob({ queue: 'b' }),
      ]);
      expect(await store().isQueuePaused({ queue: 'a' })).toBe(false);
      await store().pauseQueue({ queue: 'a' });
      expect(await store().isQueuePaused({ queue: 'a' })).toBe(true);
      expect(await store().isQueuePaused({ queue: 'b' })).toBe(false);

      expect(await claim(store(), { queue: 'a', now: T0 + 1000 })).toEqual([]);
      expect((await store().countJobs({ queue: 'a' })).waiting).toBe(2);
      // Pausing one queue leaves the others alone; enqueueing into a paused queue still works.
      expect(await claim(store(), { queue: 'b', now: T0 })).toHaveLength(1);
      const [a3] = await insert(store(), [newJob({ queue: 'a' })], T0 + 1000);
      expect((await mustGet(store(), a3!)).state).toBe('waiting');

      await store().resumeQueue({ queue: 'a' });
      expect(await store().isQueuePaused({ queue: 'a' })).toBe(false);
      const got = await claim(store(), { queue: 'a', now: T0 + 2000 });
      expect(got.map((j) => j.id)).toEqual([a1, a2, a3]);
    });

    it('pausing holds back delayed jobs too, and they are claimable after resume', async () => {
      const [id] = await insert(store(), [newJob({ runAt: T0 + 100 })]);
      await store().pauseQueue({ queue: 'q' });
      expect(await claim(store(), { now: T0 + 500 })).toEqual([]);
      await store().resumeQueue({ queue: 'q' });
      expect((await claim(store(), { now: T0 + 500 })).map((j) => j.id)).toEqual([id]);
    });

    it('lists every queue it has seen with its pause state', async () => {
      expect(await store().listQueues()).toEqual([]);
      await insert(store(), [newJob({ queue: 'beta' }), newJob({ queue: 'alpha' })]);
      await store().pauseQueue({ queue: 'gamma' });
      const queues = (await store().listQueues()).sort((x, y) => x.name.localeCompare(y.name));
      expect(queues).toEqual([
        { name: 'alpha', paused: false },
        { name: 'beta', paused: false },
        { name: 'gamma', paused: true },
      ]);
      await store().pauseQueue({ queue: 'alpha' });
      await store().resumeQueue({ queue: 'gamma' });
      const after = (await store().listQueues()).sort((x, y) => x.name.localeCompare(y.name));
      expect(after).toEqual([
        { name: 'alpha', paused: true },
        { name: 'beta', paused: false },
        { name: 'gamma', paused: false },
      ]);
    });
  });
}
