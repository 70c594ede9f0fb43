/**
 * Conformance: dead letters — totals kept beside the list.
 */
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from '../../../core/dead-letter.js';
import {
  deadLetterFromJob,
  dl,
  failedAttempt,
  insertAndClaim,
  type StoreFactory,
  seed,
  setStatus,
  T0,
  useFreshStore,
} from '../dead-letter-fixtures.js';

/** Registers the dead-letter totals cases. */
export function deadLetterTotalsCases(factory: StoreFactory): void {
  describe('dead letters', () => {
    const store = useFreshStore(factory);

    describe('totals', () => {
      it('list totals agree with the rows, whichever path counts them, through every kind of change', async () => {
        const domains = ['a', 'b', 'c'];
        await seed(
          store(),
          Array.from({ length: 30 }, (_, i) =>
            dl(`n${i}`, T0 + i, {
              domain: domains[i % 3]!,
              expiresAt: T0 + (i % 2 ? 10 : 1e9),
              maxReplays: i % 5 === 0 ? 0 : 2,
              ...(i % 7 === 0 ? { initialStatus: 'requires_review' as const } : {}),
            }),
          ),
        );
        // A duplicate import changes no count.
        await store().insertDeadLetters({ deadLetters: [dl('n1', T0)], now: T0 });
        const job = await insertAndClaim(store(), { job: { payload: {} } });
        await store().failJob({
          id: job.id,
          token: job.token,
          attempt: failedAttempt(job, T0 + 1),
          outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('n-job', T0 + 1, { domain: 'a' }) },
          now: T0 + 1,
        });
        await store().resolveDeadLetters({ ids: ['n2', 'n3', 'n4'], now: T0 + 50, actor: 't' });
        await setStatus(store(), 'n8', 'replaying');
        await store().transitionDeadLetters({ action: 'expire', now: T0 + 100, limit: 4 });
        await store().transitionDeadLetters({
          action: 'archive',
          now: T0 + 200,
          before: T0 + 150,
          limit: 100,
        });
        await store().purgeDeadLetters({ limit: 2, now: T0 + 300 });
        const statuses: DeadLetterStatus[][] = [
          [],
          ['pending'],
          ['pending', 'requires_review'],
          ['archived'],
          ['resolved', 'expired'],
          ['replaying'],
        ];
        for (const st of statuses) {
          for (const domain of [undefined, 'a', 'b']) {
            const filter = { statuses: st, ...(domain ? { domain } : {}) };
            const page = await store().listDeadLetters({ ...filter, limit: 1000 });
            // `from` forces a real COUNT(*) instead of the maintained counts.
            const counted = await store().listDeadLetters({ ...filter, from: 0, limit: 0 });
            expect([page.total, counted.total]).toEqual([page.items.length, page.items.length]);
          }
        }
        const stats = await store().getDeadLetterStats({ now: T0 + 300 });
        const all = (await store().listDeadLetters({ limit: 1000 })).items;
        expect(stats.total).toBe(all.length);
        expect(stats.replayable).toBe(
          all.filter((d) => d.status === 'pending' && d.replayCount < d.maxReplays).length,
        );
        const facets = await store().facetDeadLetters({});
        for (const status of DEAD_LETTER_STATUSES) {
          expect(facets.byStatus[status] ?? 0).toBe(all.filter((d) => d.status === status).length);
        }
      });
    });
  });
}
