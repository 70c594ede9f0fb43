/**
 * Dead-letter conformance at scale: what every store must do so that top failures, search and
 * stats stay fast at a million entries. Part of runStoreConformance, so every store runs it.
 *
 * For store authors (PostgreSQL included):
 * - `topDeadLetterFailures` answers filters on statuses, domains, queue, failure type and
 *   fingerprint from per-fingerprint counters kept in the same transaction/script as every insert,
 *   status change, regroup (fingerprint change) and purge, and says so with `scan: null`. The
 *   cases below compare the counters with a recount after each kind of change.
 * - Each group carries its identity (class, normalized message, first in-app frame), the domain
 *   with most entries (ties by name, never an arbitrary row's) and every domain it spans.
 * - Other filters (error text, entity, JSON paths, time) group a bounded scan: `scan` reports it.
 * - `errorText` is a case-insensitive substring; `%` and `_` in it are literal.
 * - `getDeadLetterStats().byQueue` counts entries per queue.
 */
import { describe, expect, it } from 'vitest';
import type { NewDeadLetter } from '../../../core/dead-letter.js';
import type { DeadLetterFilter, FailureGroup } from '../../dead-letter-store.js';
import type { Store } from '../../store.js';
import { type StoreFactory, standaloneDeadLetter, T0, useFreshStore } from '../dead-letter-fixtures.js';

const STACK = [
  'Error: boom',
  '    at Socket.emit (node:events:519:28)',
  '    at Parser.parse (/app/node_modules/pg/lib/parser.js:41:12)',
  '    at chargeCard (/app/src/billing/charge.ts:88:13)',
  '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
].join('\n');

function dl(id: string, at: number, overrides: Partial<NewDeadLetter> = {}): NewDeadLetter {
  return standaloneDeadLetter(id, at, overrides);
}

/** Counts each fingerprint by listing (the slow, obviously right way). */
async function recount(store: Store, filter: DeadLetterFilter): Promise<Record<string, number>> {
  const page = await store.listDeadLetters({ ...filter, limit: 1000 });
  const out: Record<string, number> = {};
  for (const item of page.items) out[item.fingerprint] = (out[item.fingerprint] ?? 0) + 1;
  return out;
}

async function counted(store: Store, filter: DeadLetterFilter): Promise<Record<string, number>> {
  const top = await store.topDeadLetterFailures({ ...filter, limit: 100 });
  expect(top.scan).toBeNull();
  return Object.fromEntries(top.groups.map((g: FailureGroup) => [g.fingerprint, g.count]));
}

/** Registers the cases. */
/** Registers the cases for top failures, search and stats at scale. */
export function deadLetterSearchCases(factory: StoreFactory): void {
  describe('top failures, search and stats at scale', () => {
    const store = useFreshStore(factory);

    async function seedMix(): Promise<void> {
      await store().insertDeadLetters({
        now: T0,
        deadLetters: [
          dl('a1', T0 + 1, { fingerprint: 'fp-a', domain: 'billing', queue: 'charges', errorStack: STACK }),
          dl('a2', T0 + 2, { fingerprint: 'fp-a', domain: 'mail', queue: 'charges', errorStack: STACK }),
          dl('a3', T0 + 3, {
            fingerprint: 'fp-a',
            domain: 'mail',
            queue: 'emails',
            failureType: 'permanent',
            errorStack: STACK,
          }),
          dl('b1', T0 + 4, { fingerprint: 'fp-b', domain: 'billing', queue: 'charges', maxReplays: 1 }),
          dl('b2', T0 + 5, { fingerprint: 'fp-b', domain: 'billing', queue: null }),
        ],
      });
    }

    it('keeps per-fingerprint counts through every kind of change (insert, replay, resolve, expire, archive, purge)', async () => {
      await seedMix();
      const views: DeadLetterFilter[] = [
        {},
        { statuses: ['pending', 'requires_review'] },
        { statuses: ['resolved'] },
        { domain: 'billing' },
        { queue: 'charges' },
        { failureType: 'permanent' },
        { fingerprint: 'fp-b', statuses: ['archived'] },
      ];
      const check = async () => {
        for (const view of views) expect(await counted(store(), view)).toEqual(await recount(store(), view));
      };
      await check();
      const acquired = await store().acquireDeadLetterForReplay({ id: 'b1', now: T0 + 10 });
      expect(acquired.ok).toBe(true);
      await check();
      if (!acquired.ok) return;
      await store().finishDeadLetterReplay({
        id: 'b1',
        generation: acquired.deadLetter.generation,
        now: T0 + 11,
        status: 'requires_review',
      });
      await store().resolveDeadLetters({ ids: ['a1', 'b2'], now: T0 + 12, actor: 't' });
      await check();
      await store().transitionDeadLetters({ action: 'expire', now: T0 + 1e12, limit: 1, ids: ['a2'] });
      await store().transitionDeadLetters({
        action: 'archive',
        now: T0 + 13,
        before: T0 + 1e13,
        limit: 10,
        ids: ['b2', 'a2'],
      });
      await check();
      await store().purgeDeadLetters({ ids: ['b2'], limit: 10, now: T0 + 14 });
      await check();
      expect(await counted(store(), {})).toEqual({ 'fp-a': 3, 'fp-b': 1 });
    });

    it('describes each group: identity, the largest domain (ties by name), every domain, the latest entry', async () => {
      await seedMix();
      const { groups } = await store().topDeadLetterFailures({ limit: 10 });
      expect(groups.map((g) => g.fingerprint)).toEqual(['fp-a', 'fp-b']);
      const [a, b] = groups as [FailureGroup, FailureGroup];
      expect(a).toMatchObject({
        count: 3,
        domain: 'mail',
        domains: [
          { domain: 'mail', count: 2 },
          { domain: 'billing', count: 1 },
        ],
        firstSeenAt: T0 + 1,
        lastSeenAt: T0 + 3,
        sampleId: 'a3',
        frame: 'chargeCard (src/billing/charge.ts)',
      });
      expect(a.normalizedMessage).toBe(a.errorMessage);
      expect(b).toMatchObject({ count: 2, domain: 'billing', domains: [{ domain: 'billing', count: 2 }] });
      // The same data always answers the same: a tie between domains goes to the first name.
      await store().insertDeadLetters({
        now: T0,
        deadLetters: [
          dl('b3', T0 + 6, { fingerprint: 'fp-b', domain: 'alpha' }),
          dl('b4', T0 + 7, { fingerprint: 'fp-b', domain: 'alpha' }),
        ],
      });
      const again = (await store().topDeadLetterFailures({ limit: 10, fingerprint: 'fp-b' })).groups[0]!;
      expect(again.domain).toBe('alpha');
    });

    it('masks the variable parts of the message in the group identity', async () => {
      await store().insertDeadLetters({
        now: T0,
        deadLetters: [
          dl('m1', T0 + 1, {
            fingerprint: 'fp-m',
            errorClass: 'HttpError',
            errorMessage: 'order 4242 failed after 3021 ms',
          }),
        ],
      });
      const group = (await store().topDeadLetterFailures({ limit: 1 })).groups[0]!;
      expect(group.errorClass).toBe('HttpError');
      expect(group.normalizedMessage).not.toContain('4242');
    });

    it('groups a bounded scan for filters the counters cannot answer, and says so', async () => {
      await seedMix();
      const top = await store().topDeadLetterFailures({ limit: 10, entityId: 'nobody' });
      expect(top.groups).toEqual([]);
      expect(top.scan).toMatchObject({ complete: true });
      const byText = await store().topDeadLetterFailures({ limit: 10, errorText: 'BOOM' });
      expect(byText.scan).not.toBeNull();
      expect(byText.groups.reduce((n, g) => n + g.count, 0)).toBe(
        (await store().listDeadLetters({ limit: 0, errorText: 'BOOM' })).total,
      );
    });

    it('searches the error text as a case-insensitive substring, with % and _ literal', async () => {
      await store().insertDeadLetters({
        now: T0,
        deadLetters: [
          dl('t1', T0 + 1, { errorMessage: 'upstream returned 503 for order 4242' }),
          dl('t2', T0 + 2, { errorMessage: 'Order 42420 was REJECTED' }),
          dl('t3', T0 + 3, { errorMessage: 'disk 100% full' }),
          dl('t4', T0 + 4, { errorMessage: 'disk 1000 full' }),
          dl('t5', T0 + 5, { errorMessage: 'key user_id missing' }),
          dl('t6', T0 + 6, { errorMessage: 'key userXid missing' }),
        ],
      });
      const ids = async (errorText: string) =>
        (await store().listDeadLetters({ limit: 10, errorText, order: 'oldest' })).items.map((d) => d.id);
      expect(await ids('order 4242')).toEqual(['t1', 't2']);
      expect(await ids('rejected')).toEqual(['t2']);
      expect(await ids('100%')).toEqual(['t3']);
      expect(await ids('user_id')).toEqual(['t5']);
      expect(await ids('42')).toEqual(['t1', 't2']);
      expect((await store().listDeadLetters({ limit: 0, errorText: 'disk' })).total).toBe(2);
    });

    it('counts entries per queue in stats', async () => {
      await seedMix();
      await store().resolveDeadLetters({ ids: ['a1'], now: T0 + 5, actor: 't' });
      const stats = await store().getDeadLetterStats({ now: T0 + 10 });
      expect(stats.byQueue).toEqual({ charges: 3, emails: 1 });
    });
  });
}
