/**
 * Conformance: completions, heartbeats and releases are fenced by the claim's token.
 */
import { describe, expect, it } from 'vitest';
import {
  claim,
  insert,
  insertAndClaim,
  mustGet,
  newJob,
  type StoreFactory,
  T0,
  useFreshStore,
} from '../fixtures.js';

export function fencingCases(factory: StoreFactory): void {
  describe('completeJobs', () => {
    const store = useFreshStore(factory);

    it('completes a job with its current token and stores the result', async () => {
      const job = await insertAndClaim(store(), { now: T0 });
      const results = await store().completeJobs({
        completions: [{ id: job.id, token: job.token, resultJson: JSON.stringify({ sent: 3 }) }],
        now: T0 + 40,
      });
      expect(results).toEqual([{ id: job.id, ok: true }]);
      expect(await mustGet(store(), job.id)).toMatchObject({
        state: 'completed',
        attemptsMade: 1,
        finishedAt: T0 + 40,
        leaseExpiresAt: null,
        result: { sent: 3 },
      });
    });

    it('stores a null result', async () => {
      const job = await insertAndClaim(store());
      await store().completeJobs({
        completions: [{ id: job.id, token: job.token, resultJson: null }],
        now: T0,
      });
      expect((await mustGet(store(), job.id)).result).toBeNull();
    });

    it('refuses a stale token (the job was claimed again) and changes nothing', async () => {
      const first = await insertAndClaim(store(), { now: T0 });
      await store().releaseJobs({ leases: [{ id: first.id, token: first.token }], now: T0 + 1 });
      const [second] = await claim(store(), { now: T0 + 2, workerId: 'w2' });
      expect(second!.id).toBe(first.id);
      expect(second!.token).not.toBe(first.token);
      const before = await mustGet(store(), first.id);

      const stale = await store().completeJobs({
        completions: [{ id: first.id, token: first.token, resultJson: '"stale"' }],
        now: T0 + 3,
      });
      expect(stale).toEqual([{ id: first.id, ok: false, reason: 'stale_token' }]);
      expect(await mustGet(store(), first.id)).toEqual(before);

      const current = await store().completeJobs({
        completions: [{ id: second!.id, token: second!.token, resultJson: '"fresh"' }],
        now: T0 + 4,
      });
      expect(current).toEqual([{ id: first.id, ok: true }]);
      expect(await mustGet(store(), first.id)).toMatchObject({
        state: 'completed',
        result: 'fresh',
        attemptsMade: 1,
      });
    });

    it('applies a completion sent twice once and reports the second as a duplicate', async () => {
      const job = await insertAndClaim(store(), { now: T0 });
      const completion = { id: job.id, token: job.token, resultJson: '1' };
      expect(await store().completeJobs({ completions: [completion], now: T0 + 10 })).toEqual([
        { id: job.id, ok: true },
      ]);
      const after = await mustGet(store(), job.id);
      expect(
        await store().completeJobs({ completions: [{ ...completion, resultJson: '2' }], now: T0 + 20 }),
      ).toEqual([{ id: job.id, ok: true, duplicate: true }]);
      expect(await mustGet(store(), job.id)).toEqual(after);
      expect(after).toMatchObject({ attemptsMade: 1, finishedAt: T0 + 10, result: 1 });
    });

    it('reports a completion sent again beside fresh ones of the same claim as a duplicate', async () => {
      await insert(store(), [newJob(), newJob(), newJob()]);
      const [a, b, c] = await claim(store(), { now: T0 });
      const done = (job: typeof a) => ({ id: job!.id, token: job!.token, resultJson: null });
      expect(await store().completeJobs({ completions: [done(b)], now: T0 + 1 })).toEqual([
        { id: b!.id, ok: true },
      ]);
      // The same instant as the first: the resend must not pass for a completion of this batch.
      expect(await store().completeJobs({ completions: [done(a), done(b), done(c)], now: T0 + 1 })).toEqual([
        { id: a!.id, ok: true },
        { id: b!.id, ok: true, duplicate: true },
        { id: c!.id, ok: true },
      ]);
      expect(await store().countJobs({ queue: 'q' })).toMatchObject({ active: 0, completed: 3 });
    });

    it('reports an unknown id as not_found', async () => {
      await insert(store(), [newJob()]);
      const results = await store().completeJobs({
        completions: [
          { id: '987654321', token: '1:x', resultJson: null },
          { id: 'no-such-job', token: '1:x', resultJson: null },
        ],
        now: T0,
      });
      expect(results).toEqual([
        { id: '987654321', ok: false, reason: 'not_found' },
        { id: 'no-such-job', ok: false, reason: 'not_found' },
      ]);
    });

    it('answers a mixed batch per completion, in input order', async () => {
      await insert(store(), [newJob(), newJob(), newJob()]);
      const [a, b, c] = await claim(store(), { now: T0 });
      const results = await store().completeJobs({
        completions: [
          { id: c!.id, token: c!.token, resultJson: null },
          { id: '987654321', token: a!.token, resultJson: null },
          { id: b!.id, token: 'not-the-token', resultJson: null },
          { id: a!.id, token: a!.token, resultJson: null },
        ],
        now: T0 + 1,
      });
      expect(results).toEqual([
        { id: c!.id, ok: true },
        { id: '987654321', ok: false, reason: 'not_found' },
        { id: b!.id, ok: false, reason: 'stale_token' },
        { id: a!.id, ok: true },
      ]);
      expect((await mustGet(store(), b!.id)).state).toBe('active');
      expect(await store().countJobs({ queue: 'q' })).toMatchObject({ active: 1, completed: 2 });
    });

    it('tells a stale and the current token of one job apart within one batch', async () => {
      const first = await insertAndClaim(store(), { now: T0 });
      await store().releaseJobs({ leases: [{ id: first.id, token: first.token }], now: T0 + 1 });
      const [second] = await claim(store(), { now: T0 + 2 });
      const leases = [
        { id: first.id, token: first.token },
        { id: second!.id, token: second!.token },
      ];
      const stale = { id: first.id, ok: false, reason: 'stale_token' };
      const ok = { id: first.id, ok: true };
      expect(await store().extendLeases({ leases, leaseMs: 500, now: T0 + 3 })).toEqual([stale, ok]);
      expect(
        await store().extendLeases({ leases: [...leases].reverse(), leaseMs: 500, now: T0 + 3 }),
      ).toEqual([ok, stale]);
      const completions = leases.map((l) => ({ ...l, resultJson: null }));
      expect(await store().completeJobs({ completions, now: T0 + 4 })).toEqual([stale, ok]);
      expect(await mustGet(store(), first.id)).toMatchObject({ state: 'completed', attemptsMade: 1 });
    });

    it('refuses the late completion of a released attempt as stale', async () => {
      const job = await insertAndClaim(store(), { now: T0 });
      await store().releaseJobs({ leases: [{ id: job.id, token: job.token }], now: T0 + 1 });
      const before = await mustGet(store(), job.id);
      const [result] = await store().completeJobs({
        completions: [{ id: job.id, token: job.token, resultJson: null }],
        now: T0 + 2,
      });
      expect(result).toEqual({ id: job.id, ok: false, reason: 'stale_token' });
      expect(await mustGet(store(), job.id)).toEqual(before);
    });
  });

  describe('extendLeases', () => {
    const store = useFreshStore(factory);

    it('extends a lease with the current token to now + leaseMs', async () => {
      const job = await insertAndClaim(store(), { now: T0, leaseMs: 1000 });
      expect(
        await store().extendLeases({
          leases: [{ id: job.id, token: job.token }],
          leaseMs: 1000,
          now: T0 + 800,
        }),
      ).toEqual([{ id: job.id, ok: true }]);
      expect((await mustGet(store(), job.id)).leaseExpiresAt).toBe(T0 + 1800);
      // The extended lease protects the job from recovery past its original expiry.
      const sweep = await store().recoverExpiredLeases({
        now: T0 + 1500,
        maxOrphans: 3,
        limit: 100,
        deadLetterFor: () => {
          throw new Error('no poison pill expected');
        },
      });
      expect(sweep).toEqual({ recovered: [], deadLettered: [], orphanedWhile: {} });
      expect((await mustGet(store(), job.id)).state).toBe('active');
    });

    it('refuses a stale token and leaves the lease alone', async () => {
      const first = await insertAndClaim(store(), { now: T0, leaseMs: 1000 });
      await store().releaseJobs({ leases: [{ id: first.id, token: first.token }], now: T0 + 1 });
      const [second] = await claim(store(), { now: T0 + 2, leaseMs: 1000 });
      const results = await store().extendLeases({
        leases: [
          { id: first.id, token: first.token },
          { id: '987654321', token: first.token },
        ],
        leaseMs: 60_000,
        now: T0 + 3,
      });
      expect(results).toEqual([
        { id: first.id, ok: false, reason: 'stale_token' },
        { id: '987654321', ok: false, reason: 'not_found' },
      ]);
      expect((await mustGet(store(), second!.id)).leaseExpiresAt).toBe(T0 + 1002);
    });

    it('does not extend a finished job', async () => {
      const job = await insertAndClaim(store(), { now: T0 });
      await store().completeJobs({
        completions: [{ id: job.id, token: job.token, resultJson: null }],
        now: T0,
      });
      const before = await mustGet(store(), job.id);
      const [result] = await store().extendLeases({
        leases: [{ id: job.id, token: job.token }],
        leaseMs: 1000,
        now: T0 + 1,
      });
      expect(result).toEqual({ id: job.id, ok: false, reason: 'not_active' });
      expect(await mustGet(store(), job.id)).toEqual(before);
    });
  });

  describe('releaseJobs', () => {
    const store = useFreshStore(factory);

    it('returns a claimed job to waiting at once without spending an attempt', async () => {
      const job = await insertAndClaim(store(), { now: T0, leaseMs: 60_000 });
      expect(await store().releaseJobs({ leases: [{ id: job.id, token: job.token }], now: T0 + 5 })).toEqual([
        { id: job.id, ok: true },
      ]);
      expect(await mustGet(store(), job.id)).toMatchObject({
        state: 'waiting',
        attemptsMade: 0,
        orphanCount: 0,
        leaseExpiresAt: null,
        workerId: null,
        attempts: [],
      });
      // Claimable at once (no need to wait for the lease), with a new token.
      const [again] = await claim(store(), { now: T0 + 5 });
      expect(again!.id).toBe(job.id);
      expect(again!.token).not.toBe(job.token);
      expect(again!.attemptsMade).toBe(0);
    });

    it('refuses a stale token and leaves the active job with its owner', async () => {
      const first = await insertAndClaim(store(), { now: T0 });
      await store().releaseJobs({ leases: [{ id: first.id, token: first.token }], now: T0 + 1 });
      const [second] = await claim(store(), { now: T0 + 2, workerId: 'w2' });
      const results = await store().releaseJobs({
        leases: [{ id: first.id, token: first.token }],
        now: T0 + 3,
      });
      expect(results).toEqual([{ id: first.id, ok: false, reason: 'stale_token' }]);
      expect(await mustGet(store(), second!.id)).toMatchObject({ state: 'active', workerId: 'w2' });
    });

    it('releases only the current lease when a batch holds a stale one of the same job', async () => {
      const first = await insertAndClaim(store(), { now: T0 });
      await store().releaseJobs({ leases: [{ id: first.id, token: first.token }], now: T0 + 1 });
      const [second] = await claim(store(), { now: T0 + 2 });
      const results = await store().releaseJobs({
        leases: [
          { id: second!.id, token: second!.token },
          { id: first.id, token: first.token },
        ],
        now: T0 + 3,
      });
      expect(results).toEqual([
        { id: first.id, ok: true },
        { id: first.id, ok: false, reason: 'stale_token' },
      ]);
      expect((await mustGet(store(), first.id)).state).toBe('waiting');
    });

    it('refuses to release a completed job', async () => {
      const job = await insertAndClaim(store(), { now: T0 });
      await store().completeJobs({
        completions: [{ id: job.id, token: job.token, resultJson: null }],
        now: T0,
      });
      const [result] = await store().releaseJobs({ leases: [{ id: job.id, token: job.token }], now: T0 + 1 });
      expect(result).toEqual({ id: job.id, ok: false, reason: 'not_active' });
      expect((await mustGet(store(), job.id)).state).toBe('completed');
    });
  });
}
