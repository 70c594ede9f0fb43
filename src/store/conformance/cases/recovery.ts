/**
 * Conformance: orphan recovery — only expired leases, no attempt spent, and never a finished job
 * brought back. How each orphan is judged (prefetched, running, quarantine) is in ./orphans.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../core/job.js';
import type { RecoverExpiredLeasesParams, Store } from '../../store.js';
import {
  claim,
  deadLetterFromJob,
  failedAttempt,
  insert,
  insertAndClaim,
  mustGet,
  newJob,
  type StoreFactory,
  T0,
  useFreshStore,
} from '../fixtures.js';

/** A sweep whose poison-pill builder records its calls. */
export function sweep(store: Store, now: number, options: { maxOrphans?: number; limit?: number } = {}) {
  const calls: Parameters<RecoverExpiredLeasesParams['deadLetterFor']>[0][] = [];
  const run = store.recoverExpiredLeases({
    now,
    maxOrphans: options.maxOrphans ?? 3,
    limit: options.limit ?? 100,
    deadLetterFor: (job) => {
      calls.push({ ...job });
      return deadLetterFromJob(`poison-${job.id}`, now, {
        failureType: 'poison_pill',
        errorClass: 'PoisonPillError',
        errorMessage: `lost its worker ${job.orphanCount} times`,
      });
    },
  });
  return run.then((result) => ({ ...result, calls }));
}

/** What a sweep that finds nothing returns. */
const NOTHING = { recovered: [], deadLettered: [], orphanedWhile: {}, calls: [] };

export function recoveryCases(factory: StoreFactory): void {
  describe('recoverExpiredLeases', () => {
    const store = useFreshStore(factory);

    it('recovers only expired leases, without spending an attempt', async () => {
      await insert(store(), [newJob({ payload: 'short' }), newJob({ payload: 'long' })]);
      const [short] = await claim(store(), { now: T0, limit: 1, leaseMs: 1000, workerId: 'w-short' });
      const [long] = await claim(store(), { now: T0, limit: 1, leaseMs: 5000, workerId: 'w-long' });

      expect(await sweep(store(), T0 + 1000)).toEqual(NOTHING);
      const result = await sweep(store(), T0 + 2000);
      expect(result).toEqual({
        recovered: [short!.id],
        deadLettered: [],
        orphanedWhile: { [short!.id]: 'running' },
        calls: [],
      });
      expect(await mustGet(store(), short!.id)).toMatchObject({
        state: 'waiting',
        attemptsMade: 0,
        orphanCount: 0,
        suspect: true,
        leaseExpiresAt: null,
        workerId: null,
        attempts: [
          {
            attempt: 1,
            outcome: 'orphaned',
            orphanedWhile: 'running',
            startedAt: T0,
            endedAt: T0 + 2000,
            workerId: 'w-short',
          },
        ],
      });
      expect(await mustGet(store(), long!.id)).toMatchObject({ state: 'active', leaseExpiresAt: T0 + 5000 });

      // The recovered job is claimable again at once (alone: it is a suspect).
      const [again] = await claim(store(), { now: T0 + 2000, limit: 1, quarantine: true });
      expect(again).toMatchObject({ id: short!.id, attemptsMade: 0, orphanCount: 0, suspect: true });
    });

    it('counts a lease as expired only once now is past it', async () => {
      const job = await insertAndClaim(store(), { now: T0, leaseMs: 1000 });
      expect((await sweep(store(), T0 + 1000)).recovered).toEqual([]);
      expect((await sweep(store(), T0 + 1001)).recovered).toEqual([job.id]);
    });

    it('does not treat a job that waited longer than the lease before its claim as stalled', async () => {
      const [waited, delayed] = await insert(store(), [newJob({ runAt: T0 }), newJob({ runAt: T0 + 5000 })]);
      const claimedAt = T0 + 60_000;
      const got = await claim(store(), { now: claimedAt, leaseMs: 30_000 });
      expect(got.map((j) => j.id)).toEqual([waited, delayed]);
      expect(await sweep(store(), claimedAt + 1)).toEqual(NOTHING);
      expect(await sweep(store(), claimedAt + 30_000)).toEqual(NOTHING);
      expect(new Set((await sweep(store(), claimedAt + 30_001)).recovered)).toEqual(
        new Set([waited, delayed]),
      );
    });

    it('respects the limit', async () => {
      await insert(
        store(),
        Array.from({ length: 5 }, () => newJob()),
      );
      await claim(store(), { now: T0, leaseMs: 10 });
      expect((await sweep(store(), T0 + 100, { limit: 2 })).recovered).toHaveLength(2);
      expect((await sweep(store(), T0 + 100, { limit: 2 })).recovered).toHaveLength(2);
      expect((await sweep(store(), T0 + 100, { limit: 2 })).recovered).toHaveLength(1);
      expect((await store().countJobs({ queue: 'q' })).waiting).toBe(5);
    });

    it('never resurrects a job that completed before the sweep (fenced by the token it read)', async () => {
      const job = await insertAndClaim(store(), { now: T0, leaseMs: 1000 });
      await store().completeJobs({
        completions: [{ id: job.id, token: job.token, resultJson: '"done"' }],
        now: T0 + 999,
      });
      const before = await mustGet(store(), job.id);
      expect(await sweep(store(), T0 + 5000, { maxOrphans: 1 })).toEqual(NOTHING);
      expect(await mustGet(store(), job.id)).toEqual(before);
      expect(await store().getDeadLetterByJob({ jobId: job.id })).toBeNull();
    });

    it('ignores jobs that were failed, released or dead-lettered before their lease ran out', async () => {
      await insert(store(), [newJob(), newJob(), newJob()]);
      const [retried, released, dead] = await claim(store(), { now: T0, leaseMs: 1000 });
      await store().failJob({
        id: retried!.id,
        token: retried!.token,
        attempt: failedAttempt(retried!, T0 + 1),
        outcome: { kind: 'retry', runAt: T0 + 100_000 },
        now: T0 + 1,
      });
      await store().releaseJobs({ leases: [{ id: released!.id, token: released!.token }], now: T0 + 1 });
      await store().failJob({
        id: dead!.id,
        token: dead!.token,
        attempt: failedAttempt(dead!, T0 + 1),
        outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-dead', T0 + 1) },
        now: T0 + 1,
      });
      const before = await store().listJobs({ limit: 10 });
      expect(await sweep(store(), T0 + 50_000, { maxOrphans: 1 })).toEqual(NOTHING);
      expect(await store().listJobs({ limit: 10 })).toEqual(before);
    });

    it('a sweep racing the completions of its expired leases: each job is completed or recovered, never both', async () => {
      const count = 20;
      await insert(
        store(),
        Array.from({ length: count }, (_, i) => newJob({ payload: i })),
      );
      const claimed = await claim(store(), { now: T0, limit: count, leaseMs: 100 });
      expect(claimed).toHaveLength(count);
      const at = T0 + 200;
      const complete = (job: (typeof claimed)[number]) =>
        store()
          .completeJobs({ completions: [{ id: job.id, token: job.token, resultJson: '"late"' }], now: at })
          .then(([result]) => result!);
      // Sent around the sweep, so that on a store with several connections some completions land
      // before it reads the leases, some while it writes, some after.
      const before = claimed.slice(0, count / 2).map(complete);
      const swept = sweep(store(), at, { maxOrphans: 3 });
      const after = claimed.slice(count / 2).map(complete);
      const results = await Promise.all([...before, ...after]);
      const recovered = new Set((await swept).recovered);
      for (const [i, job] of claimed.entries()) {
        const result = results[i]!;
        const stored = await mustGet(store(), job.id);
        if (result.ok) {
          expect(recovered.has(job.id), `job ${job.id} completed and recovered`).toBe(false);
          expect(stored).toMatchObject({ state: 'completed', result: 'late' });
        } else {
          expect(result).toEqual({ id: job.id, ok: false, reason: 'stale_token' });
          expect(recovered.has(job.id), `job ${job.id} neither completed nor recovered`).toBe(true);
          expect(stored).toMatchObject({ state: 'waiting', result: null });
        }
      }
      const counts = await store().countJobs({ queue: 'q' });
      expect(counts.completed + counts.waiting).toBe(count);
      expect(counts.completed).toBe(results.filter((r) => r.ok).length);
    });

    it('a stale worker cannot finish a recovered job, before or after it is claimed again', async () => {
      const lost = await insertAndClaim(store(), { now: T0, leaseMs: 100, workerId: 'slow' });
      await sweep(store(), T0 + 200);
      const completion = { id: lost.id, token: lost.token, resultJson: '"late"' };
      expect(await store().completeJobs({ completions: [completion], now: T0 + 201 })).toEqual([
        { id: lost.id, ok: false, reason: 'stale_token' },
      ]);
      expect((await mustGet(store(), lost.id)).state).toBe('waiting');
      const [next] = await claim(store(), { now: T0 + 202, workerId: 'fast', quarantine: true });
      expect(await store().completeJobs({ completions: [completion], now: T0 + 203 })).toEqual([
        { id: lost.id, ok: false, reason: 'stale_token' },
      ]);
      expect(await mustGet(store(), lost.id)).toMatchObject({
        state: 'active',
        workerId: 'fast',
        result: null,
      });
      await store().completeJobs({
        completions: [{ id: next!.id, token: next!.token, resultJson: '"ok"' }],
        now: T0 + 204,
      });
      expect(await mustGet(store(), lost.id)).toMatchObject({
        state: 'completed',
        result: 'ok',
        attemptsMade: 1,
      });
    });
  });

  describe('finished jobs', () => {
    const store = useFreshStore(factory);

    async function everyWayBack(job: { id: string; token: string; queue: string }, before: Job, at: number) {
      const s = store();
      const lease = [{ id: job.id, token: job.token }];
      expect(await claim(s, { queue: job.queue, now: at })).toEqual([]);
      expect((await sweep(s, at, { maxOrphans: 1 })).recovered).toEqual([]);
      expect((await s.releaseJobs({ leases: lease, now: at }))[0]!.ok).toBe(false);
      expect((await s.extendLeases({ leases: lease, leaseMs: 1000, now: at }))[0]!.ok).toBe(false);
      const fail = await s.failJob({
        id: job.id,
        token: job.token,
        attempt: { attempt: 9, outcome: 'failed', startedAt: at, endedAt: at, workerId: 'w' },
        outcome: { kind: 'retry', runAt: at },
        now: at,
      });
      expect(fail.ok).toBe(false);
      expect(await mustGet(s, job.id)).toEqual(before);
    }

    it('a completed job never comes back', async () => {
      const job = await insertAndClaim(store(), { now: T0, leaseMs: 100 });
      await store().completeJobs({
        completions: [{ id: job.id, token: job.token, resultJson: null }],
        now: T0 + 1,
      });
      const before = await mustGet(store(), job.id);
      for (const at of [T0 + 2, T0 + 101, T0 + 1_000_000]) await everyWayBack(job, before, at);
    });

    it('a dead-lettered job never comes back', async () => {
      const job = await insertAndClaim(store(), { now: T0, leaseMs: 100 });
      await store().failJob({
        id: job.id,
        token: job.token,
        attempt: failedAttempt(job, T0 + 1),
        outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-final', T0 + 1) },
        now: T0 + 1,
      });
      const before = await mustGet(store(), job.id);
      for (const at of [T0 + 2, T0 + 101, T0 + 1_000_000]) await everyWayBack(job, before, at);
      expect((await store().getDeadLetter({ id: 'dl-final' }))?.status).toBe('pending');
    });
  });
}
