/**
 * Conformance: a claim whose reply was lost (the connection dropped after the store ran it, before
 * the answer arrived). The worker names that claim's id in its next claim (`lostClaims`), which
 * returns the jobs it took to waiting and claims, in one step: none stays leased to no one until
 * its lease expires, none runs twice, and the lost claim's tokens are refused.
 */
import { describe, expect, it } from 'vitest';
import type { ClaimJobsParams } from '../../job-store.js';
import { freshClaimId, insert, mustGet, newJob, type StoreFactory, T0, useFreshStore } from '../fixtures.js';

/** Claim params with defaults: queue `q`, worker `w1`, a fresh claim id. */
function claimParams(overrides: Partial<ClaimJobsParams> = {}): ClaimJobsParams {
  return {
    queue: 'q',
    workerId: 'w1',
    limit: 10,
    leaseMs: 30_000,
    now: T0,
    claimId: freshClaimId(),
    ...overrides,
  };
}

export function lostClaimCases(factory: StoreFactory): void {
  describe('claimJobs: lost claims', () => {
    const store = useFreshStore(factory);

    it('the next claim naming a lost claim takes the jobs that claim took, with new tokens and no attempt spent', async () => {
      const ids = await insert(store(), [newJob({ payload: 1 }), newJob({ payload: 2 })]);
      // Ran by the store; its reply never reached the worker.
      const lost = await store().claimJobs(claimParams({ claimId: 'lost-1' }));
      expect(lost.map((j) => j.id)).toEqual(ids);
      const next = await store().claimJobs(claimParams({ now: T0 + 10, lostClaims: ['lost-1'] }));
      expect(next.map((j) => j.id)).toEqual(ids);
      for (const job of next) {
        expect(lost.map((j) => j.token)).not.toContain(job.token);
        expect(job.attemptsMade).toBe(0);
        expect(job.leaseExpiresAt).toBe(T0 + 10 + 30_000);
      }
      expect((await store().countJobs({ queue: 'q' })).active).toBe(2);
    });

    it('a job taken by a lost claim runs once: the lost token is refused, and naming the claim again takes nothing', async () => {
      const [id] = await insert(store(), [newJob()]);
      const [lost] = await store().claimJobs(claimParams({ claimId: 'lost-2' }));
      const [adopted] = await store().claimJobs(claimParams({ now: T0 + 10, lostClaims: ['lost-2'] }));
      expect(adopted?.id).toBe(id);
      // Another worker's claim finds nothing: the job is held by the claim that adopted it.
      expect(await store().claimJobs(claimParams({ workerId: 'w2', now: T0 + 20 }))).toEqual([]);
      const stale = await store().completeJobs({
        completions: [{ id: id!, token: lost!.token, resultJson: null }],
        now: T0 + 30,
      });
      expect(stale).toEqual([{ id, ok: false, reason: 'stale_token' }]);
      const done = await store().completeJobs({
        completions: [{ id: id!, token: adopted!.token, resultJson: '"done"' }],
        now: T0 + 40,
      });
      expect(done).toEqual([{ id, ok: true }]);
      // A resend naming the lost claim again (its reply lost too) changes nothing.
      expect(await store().claimJobs(claimParams({ now: T0 + 50, lostClaims: ['lost-2'] }))).toEqual([]);
      expect((await mustGet(store(), id!)).state).toBe('completed');
    });

    it("leaves alone the jobs of another worker's claim of the same id, and jobs of the claim that finished", async () => {
      const [mine, theirs] = await insert(store(), [
        newJob({ payload: 'mine' }),
        newJob({ payload: 'theirs' }),
      ]);
      const [lost] = await store().claimJobs(claimParams({ claimId: 'lost-3', limit: 1 }));
      expect(lost?.id).toBe(mine);
      await store().completeJobs({
        completions: [{ id: mine!, token: lost!.token, resultJson: null }],
        now: T0 + 1,
      });
      const [held] = await store().claimJobs(claimParams({ workerId: 'w2', claimId: 'lost-3', now: T0 + 2 }));
      expect(held?.id).toBe(theirs);
      expect(await store().claimJobs(claimParams({ now: T0 + 10, lostClaims: ['lost-3'] }))).toEqual([]);
      expect((await mustGet(store(), mine!)).state).toBe('completed');
      // The other worker's lease and token still hold.
      const completed = await store().completeJobs({
        completions: [{ id: theirs!, token: held!.token, resultJson: null }],
        now: T0 + 20,
      });
      expect(completed).toEqual([{ id: theirs, ok: true }]);
    });

    it('returns what the claim cannot take to waiting, for any worker', async () => {
      const ids = await insert(store(), [
        newJob({ payload: 1 }),
        newJob({ payload: 2 }),
        newJob({ payload: 3 }),
      ]);
      await store().claimJobs(claimParams({ claimId: 'lost-4' }));
      const next = await store().claimJobs(claimParams({ now: T0 + 10, limit: 1, lostClaims: ['lost-4'] }));
      expect(next.map((j) => j.id)).toEqual([ids[0]]);
      const other = await store().claimJobs(claimParams({ workerId: 'w2', now: T0 + 20 }));
      expect(other.map((j) => j.id)).toEqual([ids[1], ids[2]]);
    });

    it('a claim of nothing (limit 0) naming a lost claim only releases its jobs', async () => {
      const ids = await insert(store(), [newJob({ payload: 1 }), newJob({ payload: 2 })]);
      await store().claimJobs(claimParams({ claimId: 'lost-6' }));
      expect(
        await store().claimJobs(claimParams({ now: T0 + 10, limit: 0, lostClaims: ['lost-6'] })),
      ).toEqual([]);
      expect((await store().countJobs({ queue: 'q' })).waiting).toBe(2);
      const other = await store().claimJobs(claimParams({ workerId: 'w2', now: T0 + 20 }));
      expect(other.map((j) => j.id)).toEqual(ids);
    });

    it('told when the lost claim was sent, releases its jobs and leaves the jobs held before and since alone', async () => {
      const [before, taken, since] = await insert(store(), [
        newJob({ payload: 'before' }),
        newJob({ payload: 'taken' }),
        newJob({ payload: 'since' }),
      ]);
      const [early] = await store().claimJobs(claimParams({ limit: 1 }));
      expect(early?.id).toBe(before);
      const [lost] = await store().claimJobs(claimParams({ claimId: 'lost-7', limit: 1, now: T0 + 1_000 }));
      expect(lost?.id).toBe(taken);
      const [theirs] = await store().claimJobs(claimParams({ workerId: 'w2', limit: 1, now: T0 + 2_000 }));
      expect(theirs?.id).toBe(since);
      const named = { lostClaims: ['lost-7'], lostClaimsSince: T0 + 1_000 };
      expect(await store().claimJobs(claimParams({ now: T0 + 3_000, limit: 0, ...named }))).toEqual([]);
      expect((await mustGet(store(), taken!)).state).toBe('waiting');
      // The worker's own earlier job and the other worker's job keep their leases and tokens.
      const completed = await store().completeJobs({
        completions: [
          { id: before!, token: early!.token, resultJson: null },
          { id: since!, token: theirs!.token, resultJson: null },
        ],
        now: T0 + 4_000,
      });
      expect(completed).toEqual([
        { id: before, ok: true },
        { id: since, ok: true },
      ]);
    });

    it('with completions in the same step (completeAndClaimJobs)', async () => {
      const complete = store().completeAndClaimJobs?.bind(store());
      if (!complete) return;
      const [first, second] = await insert(store(), [newJob({ payload: 1 }), newJob({ payload: 2 })]);
      const [running] = await store().claimJobs(claimParams({ limit: 1 }));
      const [lost] = await store().claimJobs(claimParams({ claimId: 'lost-5', now: T0 + 1 }));
      expect(lost?.id).toBe(second);
      const out = await complete({
        completions: [{ id: first!, token: running!.token, resultJson: null }],
        claim: claimParams({ now: T0 + 10, lostClaims: ['lost-5'] }),
      });
      expect(out.completed).toEqual([{ id: first, ok: true }]);
      expect(out.claimed.map((j) => j.id)).toEqual([second]);
      expect(out.claimed[0]?.token).not.toBe(lost!.token);
    });
  });
}
