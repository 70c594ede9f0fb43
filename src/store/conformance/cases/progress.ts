/**
 * Conformance: a running job's progress is stored on the job, fenced by the claim's token.
 */
import { describe, expect, it } from 'vitest';
import { claim, insertAndClaim, mustGet, type StoreFactory, T0, useFreshStore } from '../fixtures.js';

export function progressCases(factory: StoreFactory): void {
  describe('updateJobProgress', () => {
    const store = useFreshStore(factory);

    it('stores the progress of an active job with its current token; null before any', async () => {
      const job = await insertAndClaim(store(), { now: T0 });
      expect((await mustGet(store(), job.id)).progress).toBeNull();
      const progressJson = JSON.stringify({ step: 'upload', done: 3, of: 10 });
      expect(
        await store().updateJobProgress({ id: job.id, token: job.token, progressJson, now: T0 + 1 }),
      ).toEqual({
        id: job.id,
        ok: true,
      });
      expect((await mustGet(store(), job.id)).progress).toEqual({ step: 'upload', done: 3, of: 10 });
      await store().updateJobProgress({ id: job.id, token: job.token, progressJson: '70', now: T0 + 2 });
      expect((await mustGet(store(), job.id)).progress).toBe(70);
    });

    it('refuses a stale token, a finished job and an unknown id, changing nothing', async () => {
      const first = await insertAndClaim(store(), { now: T0 });
      await store().releaseJobs({ leases: [{ id: first.id, token: first.token }], now: T0 + 1 });
      const [second] = await claim(store(), { now: T0 + 2, workerId: 'w2' });
      const stale = await store().updateJobProgress({
        id: first.id,
        token: first.token,
        progressJson: '1',
        now: T0 + 3,
      });
      expect(stale).toEqual({ id: first.id, ok: false, reason: 'stale_token' });
      await store().completeJobs({
        completions: [{ id: second!.id, token: second!.token, resultJson: null }],
        now: T0 + 4,
      });
      const done = await store().updateJobProgress({
        id: second!.id,
        token: second!.token,
        progressJson: '2',
        now: T0 + 5,
      });
      expect(done).toEqual({ id: second!.id, ok: false, reason: 'not_active' });
      expect((await mustGet(store(), first.id)).progress).toBeNull();
    });
  });
}
