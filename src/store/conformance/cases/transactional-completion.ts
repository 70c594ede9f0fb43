/**
 * Conformance: a completion written inside a transaction with the caller's own work
 * (`completeJobInTransaction`), fenced by the token like every completion, and the result written
 * after it (`recordJobResult`). The work here touches nothing store-specific; the stores' own tests
 * check that its writes commit and roll back with the completion.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../store.js';
import { type Guarantee, skipUnlessGuaranteed } from '../capabilities.js';
import { claim, insertAndClaim, mustGet, type StoreFactory, T0, useFreshStore } from '../fixtures.js';

const TRANSACTIONAL_COMPLETION: Guarantee = {
  behaviour: "a job's completion inside a transaction with the caller's work",
  ruledOutBy: (c) =>
    c.transactionalCompletion ? null : 'no capabilities.transactionalCompletion (no shared transaction)',
};

function transactional(store: Store) {
  const complete = store.completeJobInTransaction?.bind(store);
  const record = store.recordJobResult?.bind(store);
  if (!complete || !record) throw new Error('declares transactionalCompletion without its methods');
  return { complete, record };
}

export function transactionalCompletionCases(factory: StoreFactory): void {
  describe('completeJobInTransaction', () => {
    const store = useFreshStore(factory);

    it('completes with the current token and returns the work value; the result is recorded after', async (ctx) => {
      skipUnlessGuaranteed(ctx, store().capabilities, TRANSACTIONAL_COMPLETION);
      const { complete, record } = transactional(store());
      const job = await insertAndClaim(store(), { now: T0 });
      let ranWith: unknown;
      const outcome = await complete({
        id: job.id,
        token: job.token,
        now: () => T0 + 40,
        run: (tx) => {
          ranWith = tx;
          return 'done';
        },
      });
      expect(outcome).toEqual({ committed: true, value: 'done' });
      expect(ranWith).toBeDefined();
      expect(await mustGet(store(), job.id)).toMatchObject({
        state: 'completed',
        attemptsMade: 1,
        finishedAt: T0 + 40,
        result: null,
      });
      expect(await record({ id: job.id, token: job.token, resultJson: '{"sent":1}' })).toBe(true);
      expect((await mustGet(store(), job.id)).result).toEqual({ sent: 1 });
      // Once completed, a second transactional completion by the same token is refused.
      const again = await complete({ id: job.id, token: job.token, now: () => T0 + 50, run: () => 1 });
      expect(again).toEqual({ committed: false, reason: 'not_active' });
    });

    it('refuses a stale token and leaves the job with its current owner', async (ctx) => {
      skipUnlessGuaranteed(ctx, store().capabilities, TRANSACTIONAL_COMPLETION);
      const { complete, record } = transactional(store());
      const first = await insertAndClaim(store(), { now: T0 });
      await store().releaseJobs({ leases: [{ id: first.id, token: first.token }], now: T0 + 1 });
      const [second] = await claim(store(), { now: T0 + 2, workerId: 'w2' });
      const before = await mustGet(store(), first.id);
      const outcome = await complete({ id: first.id, token: first.token, now: () => T0 + 3, run: () => 1 });
      expect(outcome).toEqual({ committed: false, reason: 'stale_token' });
      expect(await mustGet(store(), first.id)).toEqual(before);
      expect(await record({ id: first.id, token: first.token, resultJson: '1' })).toBe(false);
      expect(second!.id).toBe(first.id);
    });

    it('rethrows what the work throws and leaves the job active', async (ctx) => {
      skipUnlessGuaranteed(ctx, store().capabilities, TRANSACTIONAL_COMPLETION);
      const { complete } = transactional(store());
      const job = await insertAndClaim(store(), { now: T0 });
      await expect(
        complete({
          id: job.id,
          token: job.token,
          now: () => T0 + 3,
          run: () => {
            throw new Error('work failed');
          },
        }),
      ).rejects.toThrow('work failed');
      expect(await mustGet(store(), job.id)).toMatchObject({ state: 'active', attemptsMade: 0 });
    });
  });
}
