/**
 * Conformance: dead letters — resolve, expire/archive transitions and purge.
 */
import { describe, expect, it } from 'vitest';
import { dl, type StoreFactory, seed, setStatus, T0, useFreshStore } from '../dead-letter-fixtures.js';

/** Registers the dead-letter resolve cases. */
export function deadLetterResolveCases(factory: StoreFactory): void {
  describe('dead letters', () => {
    const store = useFreshStore(factory);

    describe('resolve, transitions and purge', () => {
      it('resolves in one call and reports resolved, skipped (with reason) and not found', async () => {
        await seed(store(), [dl('v1', T0), dl('v2', T0), dl('v3', T0), dl('v4', T0)]);
        await setStatus(store(), 'v2', 'replaying');
        await setStatus(store(), 'v4', 'requires_review');
        const result = await store().resolveDeadLetters({
          ids: ['v1', 'v2', 'v3', 'v4', 'v9', 'v1'],
          now: T0 + 1,
          actor: 'ops',
          note: 'bulk close',
          expectedGenerations: { v3: 5 },
        });
        expect(result.resolved).toEqual(['v1', 'v4']);
        expect(result.skipped).toEqual([
          { id: 'v2', status: 'replaying', reason: 'invalid_status' },
          { id: 'v3', status: 'pending', reason: 'stale_generation' },
        ]);
        expect(result.notFound).toEqual(['v9']);
        expect(await store().getDeadLetter({ id: 'v1' })).toMatchObject({
          status: 'resolved',
          resolvedBy: 'ops',
          resolutionNote: 'bulk close',
          resolvedAt: T0 + 1,
          generation: 2,
        });
        const audit = await store().listAudit({ action: 'resolve', limit: 10 });
        expect(audit.items.map((e) => e.deadLetterId).sort()).toEqual(['v1', 'v4']);
      });

      it('reads expectedGenerations by own key only (ids such as toString and __proto__)', async () => {
        const ids = ['toString', '__proto__', 'constructor', 'hasOwnProperty'];
        await seed(
          store(),
          ids.map((id) => dl(id, T0)),
        );
        const stale = await store().resolveDeadLetters({
          ids,
          now: T0 + 1,
          actor: 'ops',
          // An own `__proto__` key, as JSON.parse makes it: that entry is stale, the others unguarded.
          expectedGenerations: JSON.parse('{"__proto__": 7}') as Record<string, number>,
        });
        expect(stale.skipped).toEqual([{ id: '__proto__', status: 'pending', reason: 'stale_generation' }]);
        expect(stale.resolved).toEqual(['toString', 'constructor', 'hasOwnProperty']);
        await seed(store(), [dl('valueOf', T0)]);
        const unguarded = await store().resolveDeadLetters({
          ids: ['valueOf', '__proto__'],
          now: T0 + 2,
          actor: 'ops',
          expectedGenerations: {},
        });
        expect(unguarded.resolved).toEqual(['valueOf', '__proto__']);
        expect(unguarded.skipped).toEqual([]);
      });

      it('expires open entries past their TTL in bounded batches', async () => {
        await seed(store(), [
          dl('t1', T0, { expiresAt: T0 + 1 }),
          dl('t2', T0, { expiresAt: T0 + 2 }),
          dl('t3', T0, { expiresAt: T0 + 3 }),
          dl('t4', T0, { expiresAt: T0 + 1000 }),
          dl('t5', T0, { expiresAt: null }),
          dl('t6', T0, { expiresAt: T0 + 1 }),
        ]);
        await setStatus(store(), 't6', 'resolved');
        const first = await store().transitionDeadLetters({ action: 'expire', now: T0 + 10, limit: 2 });
        expect(first.ids).toHaveLength(2);
        const second = await store().transitionDeadLetters({ action: 'expire', now: T0 + 10, limit: 2 });
        expect([...first.ids, ...second.ids].sort()).toEqual(['t1', 't2', 't3']);
        expect((await store().getDeadLetter({ id: 't1' }))?.status).toBe('expired');
        expect((await store().getDeadLetter({ id: 't6' }))?.status).toBe('resolved');
      });

      it('archives resolved and expired entries older than the cutoff; purge deletes only archived ones', async () => {
        await seed(store(), [dl('h1', T0), dl('h2', T0), dl('h3', T0), dl('h4', T0, { expiresAt: T0 + 1 })]);
        await store().resolveDeadLetters({ ids: ['h1'], now: T0, actor: 't' });
        await store().resolveDeadLetters({ ids: ['h2'], now: T0 + 100, actor: 't' });
        await store().transitionDeadLetters({ action: 'expire', now: T0 + 2, limit: 10 });
        const archived = await store().transitionDeadLetters({
          action: 'archive',
          now: T0 + 200,
          before: T0 + 50,
          limit: 10,
        });
        expect(archived.ids.sort()).toEqual(['h1', 'h4']);
        expect(await store().getDeadLetter({ id: 'h1' })).toMatchObject({
          status: 'archived',
          archivedAt: T0 + 200,
        });
        expect((await store().purgeDeadLetters({ ids: ['h2', 'h3'], limit: 10, now: T0 })).ids).toEqual([]);
        expect((await store().purgeDeadLetters({ before: T0 + 100, limit: 10, now: T0 + 300 })).ids).toEqual(
          [],
        );
        const purged = await store().purgeDeadLetters({ before: T0 + 201, limit: 1, now: T0 + 300 });
        expect(purged.ids).toHaveLength(1);
        expect((await store().purgeDeadLetters({ limit: 10, now: T0 + 300 })).ids).toHaveLength(1);
        expect(await store().getDeadLetter({ id: 'h1' })).toBeNull();
        expect(await store().getDeadLetter({ id: 'h2' })).not.toBeNull();
        expect((await store().getDeadLetterStats({ now: T0 })).purgedTotal).toBe(2);
      });

      it('releases abandoned replays to pending, or to requires_review when the budget is spent', async () => {
        await seed(store(), [dl('k1', T0, { maxReplays: 2 }), dl('k2', T0, { maxReplays: 1 }), dl('k3', T0)]);
        await store().acquireDeadLetterForReplay({ id: 'k1', now: T0 });
        await store().acquireDeadLetterForReplay({ id: 'k2', now: T0 });
        await store().acquireDeadLetterForReplay({ id: 'k3', now: T0 + 1000 });
        const released = await store().transitionDeadLetters({
          action: 'release_stuck',
          now: T0 + 2000,
          before: T0 + 500,
          limit: 10,
        });
        expect(released.ids.sort()).toEqual(['k1', 'k2']);
        expect((await store().getDeadLetter({ id: 'k1' }))?.status).toBe('pending');
        expect((await store().getDeadLetter({ id: 'k2' }))?.status).toBe('requires_review');
        expect((await store().getDeadLetter({ id: 'k3' }))?.status).toBe('replaying');
      });
    });
  });
}
