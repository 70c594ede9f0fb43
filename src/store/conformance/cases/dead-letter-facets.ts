/**
 * Conformance: dead letters — facets, failure groups and stats.
 */
import { describe, expect, it } from 'vitest';
import { DUE_FOR_EXPIRY_COUNT_CAP } from '../../dead-letter-store.js';
import { dl, HOUR, type StoreFactory, seed, setStatus, T0, useFreshStore } from '../dead-letter-fixtures.js';

/** Registers the dead-letter facets cases. */
export function deadLetterFacetsCases(factory: StoreFactory): void {
  describe('dead letters', () => {
    const store = useFreshStore(factory);

    describe('facets, failure groups and stats', () => {
      it('counts status x domain, scoping each facet by the other filter', async () => {
        await seed(store(), [
          dl('f1', T0, { domain: 'billing' }),
          dl('f2', T0, { domain: 'billing' }),
          dl('f3', T0, { domain: 'mail' }),
          dl('f4', T0, { domain: 'mail' }),
        ]);
        await setStatus(store(), 'f2', 'resolved');
        await setStatus(store(), 'f4', 'archived');
        expect(await store().facetDeadLetters({})).toMatchObject({
          byStatus: { pending: 2, resolved: 1, archived: 1 },
          byDomain: { billing: 2, mail: 2 },
        });
        const scoped = await store().facetDeadLetters({ status: 'pending', domain: 'mail' });
        expect(scoped.byStatus).toEqual({ pending: 1, archived: 1 });
        expect(scoped.byDomain).toEqual({ billing: 1, mail: 1 });
        expect(scoped.cells).toHaveLength(4);
        await store().purgeDeadLetters({ limit: 10, now: T0 });
        const after = await store().facetDeadLetters({});
        expect(after.byStatus).toEqual({ pending: 2, resolved: 1 });
        expect(after.byDomain).toEqual({ billing: 2, mail: 1 });
      });

      it('groups failures by fingerprint with counts, first/last seen and a sample', async () => {
        await seed(store(), [
          dl('g1', T0 + 1, { fingerprint: 'fp-a' }),
          dl('g2', T0 + 5, { fingerprint: 'fp-a' }),
          dl('g3', T0 + 3, { fingerprint: 'fp-a', domain: 'other' }),
          dl('g4', T0 + 2, { fingerprint: 'fp-b' }),
        ]);
        const { groups, scan } = await store().topDeadLetterFailures({ limit: 10 });
        expect(scan).toBeNull();
        expect(groups.map((g) => [g.fingerprint, g.count, g.firstSeenAt, g.lastSeenAt])).toEqual([
          ['fp-a', 3, T0 + 1, T0 + 5],
          ['fp-b', 1, T0 + 2, T0 + 2],
        ]);
        expect(groups[0]!.sampleId).toBe('g2');
        const billing = (await store().topDeadLetterFailures({ limit: 1, domain: 'billing' })).groups;
        expect(billing).toHaveLength(1);
        expect(billing[0]!.count).toBe(2);
      });

      it('reports totals, the oldest pending entry, replayable and due-for-expiry counts', async () => {
        await seed(store(), [
          dl('s1', T0 + 10, { expiresAt: T0 + HOUR }),
          dl('s2', T0 + 20, { expiresAt: T0 + 5 * HOUR }),
          dl('s3', T0 + 5, { maxReplays: 0 }),
        ]);
        await setStatus(store(), 's3', 'resolved');
        const stats = await store().getDeadLetterStats({ now: T0 + 2 * HOUR });
        expect(stats).toMatchObject({
          total: 3,
          oldestPendingAt: T0 + 10,
          replayable: 2,
          dueForExpiry: 1,
          purgedTotal: 0,
        });
        expect(stats.byStatus).toMatchObject({ pending: 2, resolved: 1, replaying: 0 });
      });

      it('counts due-for-expiry entries exactly up to the cap, and says when it stopped there', async () => {
        const due = DUE_FOR_EXPIRY_COUNT_CAP + 2;
        await seed(
          store(),
          Array.from({ length: due }, (_, i) => dl(`x${i}`, T0 + i, { expiresAt: T0 + HOUR })),
        );
        const stats = await store().getDeadLetterStats({ now: T0 + 2 * HOUR });
        // A store may count every due entry, or stop at the cap and flag it; never report fewer.
        if (stats.dueForExpiryAtLeast) expect(stats.dueForExpiry).toBe(DUE_FOR_EXPIRY_COUNT_CAP);
        else expect(stats.dueForExpiry).toBe(due);
        const none = await store().getDeadLetterStats({ now: T0 });
        expect(none.dueForExpiry).toBe(0);
        expect(none.dueForExpiryAtLeast ?? false).toBe(false);
      });
    });
  });
}
