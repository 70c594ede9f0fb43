/**
 * Conformance: failed attempts — retry, rate-limit pause, dead letter — fenced by the token.
 */
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../core/dead-letter.js';
import type { ClaimedJob } from '../../../core/job.js';
import type { Store } from '../../store.js';
import {
  asClaimed,
  claim,
  deadLetterFromJob,
  failedAttempt,
  insertAndClaim,
  mustGet,
  type StoreFactory,
  T0,
  useFreshStore,
} from '../fixtures.js';

/**
 * A late worker's failure reports with its old token, once as a retry (to `retryAt`) and once as a
 * dead letter `dl-late`, both at `now`; returns the store's answers.
 */
async function lateFailures(store: Store, job: ClaimedJob, now: number, retryAt: number) {
  const outcomes = [
    { kind: 'retry', runAt: retryAt } as const,
    { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-late', now) } as const,
  ];
  const results = [];
  for (const outcome of outcomes) {
    results.push(
      await store.failJob({ id: job.id, token: job.token, attempt: failedAttempt(job, now), outcome, now }),
    );
  }
  return results;
}

export function failureCases(factory: StoreFactory): void {
  describe('failJob', () => {
    const store = useFreshStore(factory);

    it('retry: schedules the job, records the attempt and spends it', async () => {
      const job = await insertAndClaim(store(), { now: T0, job: { payload: { p: 1 } } });
      const attempt = failedAttempt(job, T0 + 20);
      const result = await store().failJob({
        id: job.id,
        token: job.token,
        attempt,
        outcome: { kind: 'retry', runAt: T0 + 1000 },
        now: T0 + 20,
      });
      expect(result).toEqual({ id: job.id, ok: true });
      expect(await mustGet(store(), job.id)).toMatchObject({
        state: 'scheduled',
        runAt: T0 + 1000,
        attemptsMade: 1,
        rateLimitDelays: 0,
        leaseExpiresAt: null,
        workerId: null,
        finishedAt: null,
        attempts: [attempt],
      });
      expect(await store().nextScheduledAt({ queue: 'q' })).toBe(T0 + 1000);
      expect(await claim(store(), { now: T0 + 999 })).toEqual([]);
      const [again] = await claim(store(), { now: T0 + 1000 });
      expect(again).toMatchObject({ id: job.id, attemptsMade: 1, attempts: [asClaimed(attempt)] });
      expect((await mustGet(store(), job.id)).attempts).toEqual([attempt]);
      expect(again!.token).not.toBe(job.token);
    });

    it('retry due now: the job waits and is claimable at once', async () => {
      const job = await insertAndClaim(store(), { now: T0 });
      await store().failJob({
        id: job.id,
        token: job.token,
        attempt: failedAttempt(job, T0 + 5),
        outcome: { kind: 'retry', runAt: T0 + 5 },
        now: T0 + 5,
      });
      expect((await mustGet(store(), job.id)).state).toBe('waiting');
      expect((await claim(store(), { now: T0 + 5 })).map((j) => j.id)).toEqual([job.id]);
    });

    it('rate_limited: postpones the job without spending an attempt', async () => {
      const job = await insertAndClaim(store(), { now: T0 });
      const attempt = failedAttempt(job, T0 + 3, { outcome: 'rate_limited', errorCode: '429' });
      const result = await store().failJob({
        id: job.id,
        token: job.token,
        attempt,
        outcome: { kind: 'rate_limited', runAt: T0 + 60_000 },
        now: T0 + 3,
      });
      expect(result).toEqual({ id: job.id, ok: true });
      expect(await mustGet(store(), job.id)).toMatchObject({
        state: 'scheduled',
        runAt: T0 + 60_000,
        attemptsMade: 0,
        rateLimitDelays: 1,
        attempts: [attempt],
      });
    });

    it('dead_letter: moves the job to dead_lettered with a record holding its payload and whole history', async () => {
      const payload = { invoice: 'inv-1', lines: [1, 2] };
      const first = await insertAndClaim(store(), {
        now: T0,
        job: { queue: 'billing', name: 'charge', payload },
      });
      const a1 = failedAttempt(first, T0 + 10, { message: 'timeout talking to psp' });
      await store().failJob({
        id: first.id,
        token: first.token,
        attempt: a1,
        outcome: { kind: 'retry', runAt: T0 + 100 },
        now: T0 + 10,
      });
      const [second] = await claim(store(), { queue: 'billing', now: T0 + 100, workerId: 'w2' });
      const a2 = failedAttempt(second!, T0 + 130, { errorClass: 'PermanentError', message: 'card declined' });
      const dl = deadLetterFromJob('dl-1', T0 + 130, { firstFailedAt: T0 + 10 });
      const result = await store().failJob({
        id: first.id,
        token: second!.token,
        attempt: a2,
        outcome: { kind: 'dead_letter', deadLetter: dl },
        now: T0 + 130,
      });
      expect(result).toEqual({ id: first.id, ok: true, deadLetterId: 'dl-1' });
      expect(await mustGet(store(), first.id)).toMatchObject({
        state: 'dead_lettered',
        attemptsMade: 2,
        finishedAt: T0 + 130,
        leaseExpiresAt: null,
        deadLetterId: 'dl-1',
        attempts: [a1, a2],
      });
      const expected = {
        ...dl,
        queue: 'billing',
        jobId: first.id,
        jobName: 'charge',
        payload,
        attempts: [a1, a2],
        status: 'pending',
        generation: 1,
        replayCount: 0,
        resolvedAt: null,
        resolvedBy: null,
        resolutionNote: null,
        archivedAt: null,
        updatedAt: T0 + 130,
      } satisfies Partial<DeadLetter>;
      const stored = await store().getDeadLetter({ id: 'dl-1' });
      expect(stored).toMatchObject(expected);
      expect(await store().getDeadLetterByJob({ jobId: first.id })).toEqual(stored);
      expect(await store().listDeadLetters({ limit: 10 })).toMatchObject({ items: [stored], total: 1 });
      expect(
        await store().listDeadLetters({ limit: 10, queue: 'billing', statuses: ['pending'] }),
      ).toMatchObject({
        items: [stored],
        total: 1,
      });
      expect(await store().listDeadLetters({ limit: 10, domain: 'billing' })).toMatchObject({ total: 1 });
      expect(await store().listDeadLetters({ limit: 10, queue: 'other' })).toMatchObject({
        items: [],
        total: 0,
      });
      expect(await store().listDeadLetters({ limit: 10, statuses: ['resolved'] })).toMatchObject({
        items: [],
        total: 0,
      });
      // A dead-lettered job is finished: it is never claimed again.
      expect(await claim(store(), { queue: 'billing', now: T0 + 10_000 })).toEqual([]);
    });

    it('refuses a stale token and changes nothing: no retry, no dead letter', async () => {
      const first = await insertAndClaim(store(), { now: T0 });
      await store().releaseJobs({ leases: [{ id: first.id, token: first.token }], now: T0 + 1 });
      const [second] = await claim(store(), { now: T0 + 2, workerId: 'w2' });
      const before = await mustGet(store(), first.id);

      for (const outcome of [
        { kind: 'retry', runAt: T0 + 50 } as const,
        { kind: 'rate_limited', runAt: T0 + 50 } as const,
        { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-stale', T0 + 3) } as const,
      ]) {
        const result = await store().failJob({
          id: first.id,
          token: first.token,
          attempt: failedAttempt(first, T0 + 3),
          outcome,
          now: T0 + 3,
        });
        expect(result).toEqual({ id: first.id, ok: false, reason: 'stale_token' });
        expect(await mustGet(store(), first.id)).toEqual(before);
      }
      expect(await store().getDeadLetter({ id: 'dl-stale' })).toBeNull();
      expect(await store().getDeadLetterByJob({ jobId: first.id })).toBeNull();
      expect(await store().listDeadLetters({ limit: 10 })).toMatchObject({ items: [], total: 0 });
      expect((await mustGet(store(), second!.id)).state).toBe('active');
    });

    it('reports an unknown id as not_found', async () => {
      const job = await insertAndClaim(store());
      const result = await store().failJob({
        id: '987654321',
        token: job.token,
        attempt: failedAttempt(job, T0),
        outcome: { kind: 'retry', runAt: T0 },
        now: T0,
      });
      expect(result).toEqual({ id: '987654321', ok: false, reason: 'not_found' });
    });

    it('applies a failure sent twice once', async () => {
      const job = await insertAndClaim(store(), { now: T0 });
      const params = {
        id: job.id,
        token: job.token,
        attempt: failedAttempt(job, T0 + 5),
        outcome: { kind: 'retry', runAt: T0 + 500 } as const,
        now: T0 + 5,
      };
      expect(await store().failJob(params)).toEqual({ id: job.id, ok: true });
      const after = await mustGet(store(), job.id);
      expect(await store().failJob({ ...params, now: T0 + 6 })).toMatchObject({
        id: job.id,
        ok: true,
        duplicate: true,
      });
      expect(await mustGet(store(), job.id)).toEqual(after);
      expect(after.attemptsMade).toBe(1);
      expect(after.attempts).toHaveLength(1);
    });

    it('refuses to fail a job that already completed', async () => {
      const job = await insertAndClaim(store(), { now: T0 });
      await store().completeJobs({
        completions: [{ id: job.id, token: job.token, resultJson: null }],
        now: T0 + 1,
      });
      const before = await mustGet(store(), job.id);
      for (const result of await lateFailures(store(), job, T0 + 2, T0 + 2)) {
        expect(result).toEqual({ id: job.id, ok: false, reason: 'not_active' });
      }
      expect(await mustGet(store(), job.id)).toEqual(before);
      expect(await store().getDeadLetter({ id: 'dl-late' })).toBeNull();
    });

    it('refuses the failure of a worker whose job was recovered meanwhile (no false success)', async () => {
      const job = await insertAndClaim(store(), { now: T0, leaseMs: 100 });
      const sweep = await store().recoverExpiredLeases({
        now: T0 + 101,
        maxOrphans: 3,
        limit: 10,
        deadLetterFor: () => deadLetterFromJob('dl-unused', T0 + 101),
      });
      expect(sweep.recovered).toEqual([job.id]);
      const before = await mustGet(store(), job.id);
      for (const result of await lateFailures(store(), job, T0 + 102, T0 + 500)) {
        expect(result).toEqual({ id: job.id, ok: false, reason: 'stale_token' });
      }
      expect(await mustGet(store(), job.id)).toEqual(before);
      expect(await store().getDeadLetter({ id: 'dl-late' })).toBeNull();
    });

    it('refuses a late failure on a job dead-lettered as a poison pill (no false success)', async () => {
      // Orphaned while running (a suspect), then orphaned again alone in quarantine.
      await insertAndClaim(store(), { now: T0, leaseMs: 100 });
      await store().recoverExpiredLeases({
        now: T0 + 101,
        maxOrphans: 1,
        limit: 10,
        deadLetterFor: () => deadLetterFromJob('dl-unused', T0 + 101),
      });
      const [job] = await claim(store(), { now: T0 + 101, leaseMs: 99, quarantine: true });
      expect(job?.suspect).toBe(true);
      const sweep = await store().recoverExpiredLeases({
        now: T0 + 201,
        maxOrphans: 1,
        limit: 10,
        deadLetterFor: () => deadLetterFromJob('dl-poison', T0 + 101, { failureType: 'poison_pill' }),
      });
      expect(sweep.deadLettered).toEqual([{ jobId: job!.id, deadLetterId: 'dl-poison' }]);
      const before = await mustGet(store(), job!.id);
      for (const result of await lateFailures(store(), job!, T0 + 202, T0 + 500)) {
        expect(result.ok).toBe(false);
      }
      expect(await mustGet(store(), job!.id)).toEqual(before);
      expect(await store().getDeadLetter({ id: 'dl-late' })).toBeNull();
      expect((await store().getDeadLetterByJob({ jobId: job!.id }))?.id).toBe('dl-poison');
    });
  });
}
