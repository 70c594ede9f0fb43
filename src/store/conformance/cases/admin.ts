/**
 * Conformance: counting, listing and removing jobs, and the next due time.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../store.js';
import { STORE_WIDE_ID_ORDER, skipUnlessGuaranteed } from '../capabilities.js';
import {
  claim,
  deadLetterFromJob,
  failedAttempt,
  insert,
  mustGet,
  newJob,
  type StoreFactory,
  T0,
  useFreshStore,
} from '../fixtures.js';

/**
 * Puts one job of `queue` in every state: scheduled, 2 waiting, active, completed (at T0 + 10) and
 * dead-lettered (at T0 + 20). Returns the ids by state.
 */
async function oneOfEach(store: Store, queue: string) {
  const [completed, dead, active, waiting1, waiting2, scheduled] = await insert(store, [
    newJob({ queue, payload: 'completed' }),
    newJob({ queue, payload: 'dead' }),
    newJob({ queue, payload: 'active' }),
    newJob({ queue, payload: 'waiting-1' }),
    newJob({ queue, payload: 'waiting-2' }),
    newJob({ queue, payload: 'scheduled', runAt: T0 + 1_000_000 }),
  ]);
  const [c, d, a] = await claim(store, { queue, now: T0, limit: 3 });
  await store.completeJobs({ completions: [{ id: c!.id, token: c!.token, resultJson: null }], now: T0 + 10 });
  await store.failJob({
    id: d!.id,
    token: d!.token,
    attempt: failedAttempt(d!, T0 + 20),
    outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob(`dl-${queue}`, T0 + 20) },
    now: T0 + 20,
  });
  expect([c!.id, d!.id, a!.id]).toEqual([completed, dead, active]);
  return {
    completed: completed!,
    dead: dead!,
    active: active!,
    waiting: [waiting1!, waiting2!],
    scheduled: scheduled!,
  };
}

export function adminCases(factory: StoreFactory): void {
  describe('countJobs, listJobs, removeJobs, nextScheduledAt', () => {
    const store = useFreshStore(factory);

    it('counts jobs per state, per queue and overall', async () => {
      const empty = { scheduled: 0, waiting: 0, active: 0, completed: 0, dead_lettered: 0 };
      expect(await store().countJobs({})).toEqual(empty);
      await oneOfEach(store(), 'a');
      await insert(store(), [newJob({ queue: 'b' }), newJob({ queue: 'b', runAt: T0 + 50 })]);
      expect(await store().countJobs({ queue: 'a' })).toEqual({
        scheduled: 1,
        waiting: 2,
        active: 1,
        completed: 1,
        dead_lettered: 1,
      });
      const b = await store().countJobs({ queue: 'b' });
      expect(b).toEqual({ ...empty, waiting: 1, scheduled: 1 });
      expect(await store().countJobs({})).toEqual({
        scheduled: 2,
        waiting: 3,
        active: 1,
        completed: 1,
        dead_lettered: 1,
      });
      expect(await store().countJobs({ queue: 'nope' })).toEqual(empty);
    });

    it('lists jobs filtered by state and queue', async () => {
      const ids = await oneOfEach(store(), 'a');
      await insert(store(), [newJob({ queue: 'b' })]);
      const list = async (p: Parameters<Store['listJobs']>[0]) =>
        (await store().listJobs(p)).map((j) => j.id);
      expect(await list({ queue: 'a', states: ['completed'], limit: 10 })).toEqual([ids.completed]);
      expect(await list({ queue: 'a', states: ['dead_lettered', 'active'], limit: 10 })).toEqual([
        ids.dead,
        ids.active,
      ]);
      expect(await list({ queue: 'a', limit: 100 })).toHaveLength(6);
      expect(await list({ limit: 100 })).toHaveLength(7);
      expect(await list({ queue: 'b', states: ['completed'], limit: 10 })).toEqual([]);
      const active = await store().listJobs({ states: ['active'], limit: 10 });
      expect(active.map((j) => [j.id, j.state])).toEqual([[ids.active, 'active']]);
    });

    it('pages through jobs with afterId, without gaps or repeats', async () => {
      const ids = await insert(
        store(),
        Array.from({ length: 11 }, (_, i) => newJob({ queue: i % 4 === 0 ? 'other' : 'q', payload: i })),
      );
      const seen: string[] = [];
      let afterId: string | undefined;
      for (let page = 0; page < 10; page++) {
        const jobs = await store().listJobs({ queue: 'q', limit: 3, ...(afterId ? { afterId } : {}) });
        if (jobs.length === 0) break;
        expect(jobs.length).toBeLessThanOrEqual(3);
        seen.push(...jobs.map((j) => j.id));
        afterId = jobs.at(-1)!.id;
      }
      expect(seen).toEqual(ids.filter((_, i) => i % 4 !== 0));
    });

    it('pages through the jobs of every queue with afterId, without gaps or repeats', async () => {
      const ids = await insert(
        store(),
        Array.from({ length: 11 }, (_, i) => newJob({ queue: ['a', 'b', 'c'][i % 3]!, payload: i })),
      );
      const seen: string[] = [];
      let afterId: string | undefined;
      for (let page = 0; page < 10; page++) {
        const jobs = await store().listJobs({ limit: 2, ...(afterId ? { afterId } : {}) });
        if (jobs.length === 0) break;
        expect(jobs.length).toBeLessThanOrEqual(2);
        seen.push(...jobs.map((j) => j.id));
        afterId = jobs.at(-1)!.id;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...ids].sort());
      // Within each queue, pages keep insertion order.
      for (const queue of ['a', 'b', 'c']) {
        const inQueue = ids.filter((_, i) => ['a', 'b', 'c'][i % 3] === queue);
        expect(seen.filter((id) => inQueue.includes(id))).toEqual(inQueue);
      }
    });

    it('resumes a listing across queues after an id of another queue, in id order', async (context) => {
      skipUnlessGuaranteed(context, store().capabilities, STORE_WIDE_ID_ORDER);
      const ids = await insert(
        store(),
        Array.from({ length: 11 }, (_, i) => newJob({ queue: i % 4 === 0 ? 'other' : 'q', payload: i })),
      );
      const filtered = await store().listJobs({ states: ['waiting'], limit: 2, afterId: ids[8]! });
      expect(filtered.map((j) => j.id)).toEqual([ids[9], ids[10]]);
    });

    it('removes only the asked states, finished before the given time, and never active jobs', async () => {
      const ids = await oneOfEach(store(), 'a');
      const b = await oneOfEach(store(), 'b');
      const exists = async (id: string) => (await store().getJob({ id })) !== null;

      // Completed at T0 + 10: not before T0 + 10, but before T0 + 11.
      expect(
        await store().removeJobs({ queue: 'a', states: ['completed'], before: T0 + 10, limit: 10 }),
      ).toBe(0);
      expect(
        await store().removeJobs({ queue: 'a', states: ['completed'], before: T0 + 11, limit: 10 }),
      ).toBe(1);
      expect(await exists(ids.completed)).toBe(false);
      expect(await exists(b.completed)).toBe(true);
      expect(await exists(ids.dead)).toBe(true);

      // `active` is never removed, even when asked for.
      const withActive = ['active', 'dead_lettered'] as unknown as ('dead_lettered' | 'completed')[];
      expect(await store().removeJobs({ queue: 'a', states: withActive, limit: 10 })).toBe(1);
      expect(await exists(ids.dead)).toBe(false);
      expect((await mustGet(store(), ids.active)).state).toBe('active');

      // Queued jobs can be removed (by the time they were created), bounded by the limit.
      expect(await store().removeJobs({ queue: 'a', states: ['waiting', 'scheduled'], limit: 2 })).toBe(2);
      expect(await store().removeJobs({ queue: 'a', states: ['waiting', 'scheduled'], limit: 10 })).toBe(1);
      expect(await store().listJobs({ queue: 'a', limit: 10 })).toEqual([await mustGet(store(), ids.active)]);

      // Queue b is untouched; without a queue every queue is swept.
      expect(await store().listJobs({ queue: 'b', limit: 10 })).toHaveLength(6);
      expect(await store().removeJobs({ states: ['completed', 'dead_lettered'], limit: 10 })).toBe(2);
      expect(await store().listJobs({ queue: 'b', limit: 10 })).toHaveLength(4);
      // Removing a dead-lettered job leaves its dead-letter record in place.
      expect((await store().getDeadLetter({ id: 'dl-b' }))?.jobId).toBe(b.dead);
    });

    it('removes single jobs by id (optional method), never an active one', async () => {
      const s = store();
      if (!s.removeJobsById) {
        // Optional: a store without it says so by not having the method; callers answer 501.
        expect(s.removeJobsById).toBeUndefined();
        return;
      }
      const ids = await oneOfEach(s, 'a');
      expect(
        await s.removeJobsById({ ids: [ids.completed, ids.waiting[0]!, ids.active, 'no-such-id'] }),
      ).toBe(2);
      expect(await s.getJob({ id: ids.completed })).toBeNull();
      expect(await s.getJob({ id: ids.waiting[0]! })).toBeNull();
      expect((await mustGet(s, ids.active)).state).toBe('active');
      expect((await mustGet(s, ids.waiting[1]!)).state).toBe('waiting');
      expect(await s.removeJobsById({ ids: [] })).toBe(0);
    });

    it('reports the earliest scheduled time per queue', async () => {
      expect(await store().nextScheduledAt({ queue: 'q' })).toBeNull();
      await insert(store(), [
        newJob({ runAt: T0 + 900 }),
        newJob({ runAt: T0 + 300 }),
        newJob({ queue: 'other', runAt: T0 + 100 }),
        newJob({ runAt: T0 }),
      ]);
      expect(await store().nextScheduledAt({ queue: 'q' })).toBe(T0 + 300);
      expect(await store().nextScheduledAt({ queue: 'other' })).toBe(T0 + 100);
      await claim(store(), { now: T0 + 300 });
      expect(await store().nextScheduledAt({ queue: 'q' })).toBe(T0 + 900);
    });
  });
}
