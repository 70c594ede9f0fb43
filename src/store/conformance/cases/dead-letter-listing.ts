/**
 * Conformance: dead letters — listing with filters, ordering and cursor pages.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import type { Store } from '../../store.js';
import { dl, HOUR, type StoreFactory, seed, setStatus, T0, useFreshStore } from '../dead-letter-fixtures.js';

/** Registers the dead-letter listing cases. */
export function deadLetterListingCases(factory: StoreFactory): void {
  describe('dead letters', () => {
    const store = useFreshStore(factory);

    describe('listing', () => {
      async function seedMixed(): Promise<void> {
        await seed(store(), [
          dl('a', T0 + 1, {
            domain: 'billing',
            queue: 'pay',
            failureType: 'timeout',
            errorMessage: 'Gateway TIMEOUT after 30s',
            payload: { customerId: 42, tier: 'gold', vip: true },
          }),
          dl('b', T0 + 2, {
            domain: 'billing',
            queue: 'pay',
            failureType: 'permanent',
            errorMessage: 'card declined',
            payload: { customerId: 7, tier: 'free' },
          }),
          dl('c', T0 + 3, {
            domain: 'mail',
            queue: 'mail',
            failureType: 'permanent',
            entityType: 'user',
            entityId: 'u1',
            errorMessage: '100% broken_',
            payload: { customerId: 42, items: [{ sku: 'x1' }] },
          }),
          dl('d', T0 + 4, {
            domain: 'mail',
            queue: null,
            failureType: 'timeout',
            userId: 'u9',
            errorMessage: 'smtp down',
            payload: { nested: { deep: { id: 'abc' } } },
            metadata: { region: 'us' },
          }),
          dl('e', T0 + 4, {
            domain: 'hooks',
            queue: null,
            failureType: 'timeout',
            errorMessage: 'hook 500',
            payload: null,
          }),
        ]);
      }
      const ids = async (params: Parameters<Store['listDeadLetters']>[0]) =>
        (await store().listDeadLetters(params)).items.map((i) => i.id);

      it('returns all statuses newest first by default, with the total', async () => {
        await seedMixed();
        await setStatus(store(), 'b', 'resolved');
        await setStatus(store(), 'c', 'archived');
        const page = await store().listDeadLetters({ limit: 10 });
        expect(page.total).toBe(5);
        expect(page.items.map((i) => i.id)).toEqual(['d', 'e', 'c', 'b', 'a']);
        expect(await ids({ limit: 10, order: 'oldest' })).toEqual(['a', 'b', 'c', 'e', 'd']);
        expect(await ids({ limit: 10, statuses: ['resolved', 'archived'] })).toEqual(['c', 'b']);
      });

      it('filters by domain, queue, failure type, entity, user, error text and time range', async () => {
        await seedMixed();
        expect(await ids({ limit: 10, domain: 'billing' })).toEqual(['b', 'a']);
        expect(await ids({ limit: 10, domains: ['hooks', 'billing'] })).toEqual(['e', 'b', 'a']);
        expect(await ids({ limit: 10, excludeDomains: ['billing', 'hooks'] })).toEqual(['d', 'c']);
        expect(await ids({ limit: 10, queue: 'pay', failureType: 'timeout' })).toEqual(['a']);
        expect(await ids({ limit: 10, entityType: 'user', entityId: 'u1' })).toEqual(['c']);
        expect(await ids({ limit: 10, userId: 'u9' })).toEqual(['d']);
        expect(await ids({ limit: 10, errorText: 'timeout' })).toEqual(['a']);
        expect(await ids({ limit: 10, errorText: '100%' })).toEqual(['c']);
        expect(await ids({ limit: 10, errorText: 'n_' })).toEqual(['c']);
        expect(await ids({ limit: 10, from: T0 + 2, to: T0 + 4 })).toEqual(['c', 'b']);
        const page = await store().listDeadLetters({ limit: 1, domain: 'mail' });
        expect(page.total).toBe(2);
      });

      it('filters on JSON fields by path', async () => {
        await seedMixed();
        expect(await ids({ limit: 10, json: [{ field: 'payload', path: 'customerId', value: 42 }] })).toEqual(
          ['c', 'a'],
        );
        expect(
          await ids({ limit: 10, json: [{ field: 'payload', path: 'customerId', op: 'lt', value: 42 }] }),
        ).toEqual(['b']);
        expect(await ids({ limit: 10, json: [{ field: 'payload', path: 'tier', value: 'gold' }] })).toEqual([
          'a',
        ]);
        expect(await ids({ limit: 10, json: [{ field: 'payload', path: 'vip', value: true }] })).toEqual([
          'a',
        ]);
        expect(
          await ids({ limit: 10, json: [{ field: 'payload', path: 'items[0].sku', value: 'x1' }] }),
        ).toEqual(['c']);
        expect(
          await ids({ limit: 10, json: [{ field: 'payload', path: 'nested.deep.id', op: 'exists' }] }),
        ).toEqual(['d']);
        expect(await ids({ limit: 10, json: [{ field: 'metadata', path: 'region', value: 'us' }] })).toEqual([
          'd',
        ]);
        const total = await store().listDeadLetters({
          limit: 0,
          json: [{ field: 'payload', path: 'customerId', value: 42 }],
        });
        expect(total).toMatchObject({ items: [], total: 2, nextCursor: null });
        await expect(
          store().listDeadLetters({
            limit: 1,
            json: [{ field: 'payload', path: "x') OR 1=1 --", value: 1 }],
          }),
        ).rejects.toBeInstanceOf(ValidationError);
      });

      it('filters by TTL, replay budget and last replay time', async () => {
        await seed(store(), [
          dl('x', T0, { expiresAt: T0 + HOUR, maxReplays: 1 }),
          dl('y', T0, { expiresAt: T0 + 3 * HOUR, maxReplays: 1 }),
          dl('z', T0, { expiresAt: null, maxReplays: 1 }),
        ]);
        expect((await ids({ limit: 10, expiresBefore: T0 + 2 * HOUR })).sort()).toEqual(['x']);
        const a = await store().acquireDeadLetterForReplay({ id: 'y', now: T0 + 10 });
        if (!a.ok) throw new Error('acquire');
        await store().finishDeadLetterReplay({
          id: 'y',
          generation: a.deadLetter.generation,
          now: T0 + 10,
          status: 'pending',
          error: 'e',
        });
        expect((await ids({ limit: 10, belowReplayCap: true })).sort()).toEqual(['x', 'z']);
        expect((await ids({ limit: 10, lastReplayBefore: T0 + 10 })).sort()).toEqual(['x', 'z']);
        expect((await ids({ limit: 10, lastReplayBefore: T0 + 11 })).sort()).toEqual(['x', 'y', 'z']);
      });

      it('pages by offset and by cursor without gaps or repeats, ties included', async () => {
        const records = Array.from({ length: 57 }, (_, i) => dl(`p${i}`, T0 + Math.floor(i / 4)));
        await seed(store(), records);
        for (const order of ['newest', 'oldest'] as const) {
          const byOffset: string[] = [];
          for (let offset = 0; offset < 57; offset += 10) {
            const page = await store().listDeadLetters({ limit: 10, offset, order });
            expect(page.total).toBe(57);
            byOffset.push(...page.items.map((i) => i.id));
          }
          const byCursor: string[] = [];
          let cursor: string | undefined;
          for (;;) {
            const page = await store().listDeadLetters({
              limit: 10,
              order,
              withTotal: false,
              ...(cursor ? { cursor } : {}),
            });
            expect(page.total).toBeNull();
            byCursor.push(...page.items.map((i) => i.id));
            if (!page.nextCursor) break;
            cursor = page.nextCursor;
          }
          expect(byOffset).toHaveLength(57);
          expect(new Set(byOffset).size).toBe(57);
          expect(byCursor).toEqual(byOffset);
          const times = byOffset.map((id) => records.find((r) => r.id === id)!.deadLetteredAt);
          const sorted = [...times].sort((x, y) => (order === 'newest' ? y - x : x - y));
          expect(times).toEqual(sorted);
        }
      });

      it('rejects a cursor it did not make', async () => {
        await expect(store().listDeadLetters({ limit: 1, cursor: 'garbage' })).rejects.toBeInstanceOf(
          ValidationError,
        );
      });
    });
  });
}
