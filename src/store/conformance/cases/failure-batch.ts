/**
 * Conformance: failures written in batches (`failJobs`, and `completeAndClaimJobs` with failures).
 * One call applies every failure atomically, each fenced by its own token and answered on its own,
 * in input order: mixed outcomes, a stale token among them, an unknown id, retries of different
 * priorities due at one time, a resend of the whole batch and a failure named twice in one batch,
 * a job whose dead letter was stored before it failed (imported, or recorded by hand): still one
 * entry per job, and two jobs failed one after the other with the same new dead-letter id: the
 * first keeps the entry, the second gets none.
 */
import { describe, expect, it } from 'vitest';
import type { ClaimedJob } from '../../../core/job.js';
import type { JobFailure, Store } from '../../store.js';
import {
  asClaimed,
  claim,
  deadLetterFromJob,
  failedAttempt,
  insert,
  insertAndClaim,
  mustGet,
  newJob,
  type StoreFactory,
  standaloneDeadLetter,
  T0,
  useFreshStore,
} from '../fixtures.js';

/** Inserts `count` jobs in queue `q` (payload `{ n }`) and claims them all at T0. */
async function claimBatch(store: Store, count: number): Promise<ClaimedJob[]> {
  await insert(
    store,
    Array.from({ length: count }, (_, n) => newJob({ payload: { n } })),
  );
  const jobs = await claim(store, { now: T0, limit: count });
  expect(jobs).toHaveLength(count);
  return jobs;
}

/** A failure of `job`'s current attempt at `now` with the given outcome. */
function failure(job: ClaimedJob, now: number, outcome: JobFailure['outcome']): JobFailure {
  return { id: job.id, token: job.token, attempt: failedAttempt(job, now), outcome };
}

export function failureBatchCases(factory: StoreFactory): void {
  describe('failJobs (batched failures)', () => {
    const store = useFreshStore(factory);

    it('keeps one dead letter per job when the job’s entry was stored before it failed', async () => {
      const [job] = await claimBatch(store(), 1);
      const stored = await store().insertDeadLetters({
        deadLetters: [standaloneDeadLetter('dl-stored-first', T0 + 5, { jobId: job!.id })],
        now: T0 + 5,
      });
      expect(stored.ids).toEqual(['dl-stored-first']);
      const now = T0 + 10;
      const outcome = { kind: 'dead_letter' as const, deadLetter: deadLetterFromJob('dl-on-failure', now) };
      const [result] = await store().failJobs({ failures: [failure(job!, now, outcome)], now });
      expect(result).toMatchObject({ id: job!.id, ok: true });
      expect((await mustGet(store(), job!.id)).state).toBe('dead_lettered');
      const page = await store().listDeadLetters({ jobId: job!.id, limit: 10 });
      expect(page.items.map((d) => d.id)).toEqual(['dl-stored-first']);
      expect(page.total).toBe(1);
      expect(await store().getDeadLetter({ id: 'dl-on-failure' })).toBeNull();
      expect((await store().getDeadLetterByJob({ jobId: job!.id }))?.id).toBe('dl-stored-first');
      expect((await store().getDeadLetterStats({ now })).total).toBe(1);
    });

    it('leaves a job failed with the id of another job’s new dead letter with no entry', async () => {
      // One insert each: a sharded store puts them on two shards, where each failure writes its record.
      const first = await insertAndClaim(store());
      const second = await insertAndClaim(store());
      const deadLetter = (job: ClaimedJob, now: number) =>
        failure(job, now, { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-same', now) });
      expect(await store().failJobs({ failures: [deadLetter(first, T0 + 5)], now: T0 + 5 })).toEqual([
        { id: first.id, ok: true, deadLetterId: 'dl-same' },
      ]);
      expect(await store().failJobs({ failures: [deadLetter(second, T0 + 6)], now: T0 + 6 })).toEqual([
        { id: second.id, ok: true },
      ]);
      expect(await mustGet(store(), second.id)).toMatchObject({ state: 'dead_lettered', deadLetterId: null });
      expect((await mustGet(store(), first.id)).deadLetterId).toBe('dl-same');
      expect((await store().getDeadLetter({ id: 'dl-same' }))?.jobId).toBe(first.id);
      expect(await store().getDeadLetterByJob({ jobId: second.id })).toBeNull();
      expect((await store().getDeadLetterByJob({ jobId: first.id }))?.id).toBe('dl-same');
    });

    it('applies mixed outcomes in one call and answers each failure in input order', async () => {
      const [retried, paused, dead, due] = await claimBatch(store(), 4);
      const now = T0 + 10;
      const failures = [
        failure(retried!, now, { kind: 'retry', runAt: T0 + 1000 }),
        failure(paused!, now, { kind: 'rate_limited', runAt: T0 + 60_000 }),
        failure(dead!, now, { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-batch', now) }),
        failure(due!, now, { kind: 'retry', runAt: now }),
      ];
      expect(await store().failJobs({ failures, now })).toEqual([
        { id: retried!.id, ok: true },
        { id: paused!.id, ok: true },
        { id: dead!.id, ok: true, deadLetterId: 'dl-batch' },
        { id: due!.id, ok: true },
      ]);
      expect(await mustGet(store(), retried!.id)).toMatchObject({
        state: 'scheduled',
        runAt: T0 + 1000,
        attemptsMade: 1,
        attempts: [failures[0]!.attempt],
      });
      expect(await mustGet(store(), paused!.id)).toMatchObject({
        state: 'scheduled',
        attemptsMade: 0,
        rateLimitDelays: 1,
      });
      expect(await mustGet(store(), dead!.id)).toMatchObject({
        state: 'dead_lettered',
        deadLetterId: 'dl-batch',
        attempts: [failures[2]!.attempt],
      });
      expect(await store().getDeadLetter({ id: 'dl-batch' })).toMatchObject({
        jobId: dead!.id,
        payload: { n: 2 },
        attempts: [failures[2]!.attempt],
        status: 'pending',
      });
      // The retry due now is claimable at once, with its history.
      const [again] = await claim(store(), { now, limit: 10 });
      expect(again).toMatchObject({
        id: due!.id,
        attemptsMade: 1,
        attempts: [asClaimed(failures[3]!.attempt)],
      });
      expect((await mustGet(store(), due!.id)).attempts).toEqual([failures[3]!.attempt]);
    });

    it('refuses a stale token and an unknown id among them and applies the rest', async () => {
      const [stale, fresh] = await claimBatch(store(), 2);
      await store().releaseJobs({ leases: [{ id: stale!.id, token: stale!.token }], now: T0 + 1 });
      const [reclaimed] = await claim(store(), { now: T0 + 2, workerId: 'w2' });
      expect(reclaimed!.id).toBe(stale!.id);
      const before = await mustGet(store(), stale!.id);
      const now = T0 + 5;
      const unknown: JobFailure = { ...failure(fresh!, now, { kind: 'retry', runAt: now }), id: '987654321' };
      const results = await store().failJobs({
        failures: [
          failure(stale!, now, { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-stale', now) }),
          unknown,
          failure(fresh!, now, { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-fresh', now) }),
        ],
        now,
      });
      expect(results).toEqual([
        { id: stale!.id, ok: false, reason: 'stale_token' },
        { id: '987654321', ok: false, reason: 'not_found' },
        { id: fresh!.id, ok: true, deadLetterId: 'dl-fresh' },
      ]);
      expect(await mustGet(store(), stale!.id)).toEqual(before);
      expect(await store().getDeadLetter({ id: 'dl-stale' })).toBeNull();
      expect((await store().getDeadLetter({ id: 'dl-fresh' }))?.jobId).toBe(fresh!.id);
      expect(await store().listDeadLetters({ limit: 10 })).toMatchObject({ total: 1 });
    });

    it('puts retries of different priorities due at one time back in priority order', async () => {
      const priorities = [2, 0, 2, 1, 0, 2] as const;
      await insert(
        store(),
        priorities.map((priority, n) => newJob({ priority, payload: { n } })),
      );
      const jobs = await claim(store(), { now: T0, limit: priorities.length });
      const now = T0 + 10;
      const results = await store().failJobs({
        failures: jobs.map((job) => failure(job, now, { kind: 'retry', runAt: now })),
        now,
      });
      expect(results.map((r) => r.ok)).toEqual(priorities.map(() => true));
      const again = await claim(store(), { now: now + 1, limit: priorities.length });
      expect(again.map((job) => job.priority)).toEqual([2, 2, 2, 1, 0, 0]);
    });

    it('answers a resend of the whole batch with duplicates and changes nothing', async () => {
      const jobs = await claimBatch(store(), 3);
      const now = T0 + 7;
      const failures = [
        failure(jobs[0]!, now, { kind: 'retry', runAt: T0 + 500 }),
        failure(jobs[1]!, now, { kind: 'rate_limited', runAt: T0 + 500 }),
        failure(jobs[2]!, now, { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-once', now) }),
      ];
      const first = await store().failJobs({ failures, now });
      expect(first.every((r) => r.ok && !r.duplicate)).toBe(true);
      const after = await Promise.all(jobs.map((j) => mustGet(store(), j.id)));
      const resent = await store().failJobs({ failures, now: now + 1 });
      expect(resent).toEqual(jobs.map((j) => ({ id: j.id, ok: true, duplicate: true })));
      expect(await Promise.all(jobs.map((j) => mustGet(store(), j.id)))).toEqual(after);
      expect(await store().listDeadLetters({ limit: 10 })).toMatchObject({ total: 1 });
    });

    it('judges a failure named twice in one batch by the first one’s result', async () => {
      const [job] = await claimBatch(store(), 1);
      const now = T0 + 3;
      const once = failure(job!, now, { kind: 'retry', runAt: T0 + 100 });
      const other = failure(job!, now, {
        kind: 'dead_letter',
        deadLetter: deadLetterFromJob('dl-second', now),
      });
      expect(await store().failJobs({ failures: [once, once, other], now })).toEqual([
        { id: job!.id, ok: true },
        { id: job!.id, ok: true, duplicate: true },
        { id: job!.id, ok: false, reason: 'not_active' },
      ]);
      expect(await mustGet(store(), job!.id)).toMatchObject({
        state: 'scheduled',
        attemptsMade: 1,
        attempts: [once.attempt],
      });
      expect(await store().getDeadLetter({ id: 'dl-second' })).toBeNull();
    });

    it('returns nothing for an empty batch', async () => {
      expect(await store().failJobs({ failures: [], now: T0 })).toEqual([]);
    });

    it('completeAndClaimJobs (when implemented) completes, fails and claims in one step, in that order', async () => {
      const s = store();
      if (!s.completeAndClaimJobs) return;
      const [done, retried, dead] = await claimBatch(s, 3);
      const now = T0 + 20;
      const failures = [
        failure(retried!, now, { kind: 'retry', runAt: now }),
        failure(dead!, now, { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-combined', now) }),
        // A failure for a job completed earlier in the same step is refused.
        failure(done!, now, { kind: 'retry', runAt: now }),
      ];
      const result = await s.completeAndClaimJobs({
        completions: [{ id: done!.id, token: done!.token, resultJson: '"ok"' }],
        failures,
        claim: { queue: 'q', workerId: 'w1', limit: 10, leaseMs: 30_000, now, claimId: 'combined-1' },
      });
      expect(result.completed).toEqual([{ id: done!.id, ok: true }]);
      expect(result.failed).toEqual([
        { id: retried!.id, ok: true },
        { id: dead!.id, ok: true, deadLetterId: 'dl-combined' },
        { id: done!.id, ok: false, reason: 'not_active' },
      ]);
      // The retry due now was claimed again by the same step, with a fresh token and its history.
      expect(result.claimed).toHaveLength(1);
      expect(result.claimed[0]).toMatchObject({
        id: retried!.id,
        attemptsMade: 1,
        attempts: [asClaimed(failures[0]!.attempt)],
      });
      expect((await mustGet(s, retried!.id)).attempts).toEqual([failures[0]!.attempt]);
      expect(result.claimed[0]!.token).not.toBe(retried!.token);
      expect((await mustGet(s, done!.id)).state).toBe('completed');
      expect((await mustGet(s, dead!.id)).state).toBe('dead_lettered');
      const withoutFailures = await s.completeAndClaimJobs({
        completions: [],
        claim: { queue: 'q', workerId: 'w1', limit: 10, leaseMs: 30_000, now, claimId: 'combined-2' },
      });
      expect(withoutFailures).toMatchObject({ completed: [], failed: [], claimed: [] });
    });
  });
}
