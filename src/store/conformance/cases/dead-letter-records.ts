/**
 * Conformance: storing and reading dead-letter records directly.
 */
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../core/dead-letter.js';
import { type StoreFactory, standaloneDeadLetter, T0, useFreshStore } from '../fixtures.js';

/** Registers the cases for storing and reading dead-letter records. */
export function deadLetterRecordCases(factory: StoreFactory): void {
  describe('insertDeadLetters and queries', () => {
    const store = useFreshStore(factory);

    it('round-trips a dead letter and fills status, generation and timestamps', async () => {
      const dl = standaloneDeadLetter('dl-a', T0, {
        jobId: 'job-77',
        attempts: [
          {
            attempt: 1,
            outcome: 'failed',
            startedAt: T0 - 50,
            endedAt: T0 - 40,
            workerId: 'w1',
            message: 'x',
          },
        ],
      });
      expect(await store().insertDeadLetters({ deadLetters: [dl], now: T0 + 5 })).toMatchObject({
        inserted: 1,
      });
      const expected = {
        ...dl,
        status: 'pending',
        generation: 1,
        replayCount: 0,
        resolvedAt: null,
        resolvedBy: null,
        resolutionNote: null,
        archivedAt: null,
        updatedAt: T0 + 5,
      } satisfies Partial<DeadLetter>;
      const stored = await store().getDeadLetter({ id: 'dl-a' });
      expect(stored).toMatchObject(expected);
      expect(await store().getDeadLetterByJob({ jobId: 'job-77' })).toEqual(stored);
      expect(await store().getDeadLetter({ id: 'dl-missing' })).toBeNull();
      expect(await store().getDeadLetterByJob({ jobId: 'job-missing' })).toBeNull();
    });

    it('round-trips null optional fields', async () => {
      const dl = standaloneDeadLetter('dl-nulls', T0, {
        queue: null,
        jobName: null,
        entityType: null,
        entityId: null,
        userId: null,
        errorClass: null,
        errorCode: null,
        errorStack: null,
        payload: null,
        snapshot: null,
        requestData: null,
        responseData: null,
        metadata: {},
        nextActionHint: null,
        recommendedAction: null,
        workerId: null,
        handlerVersion: null,
        expiresAt: null,
      });
      await store().insertDeadLetters({ deadLetters: [dl], now: T0 });
      expect(await store().getDeadLetter({ id: 'dl-nulls' })).toMatchObject(dl);
    });

    it('is idempotent by id: an existing record is left as it is', async () => {
      const a = standaloneDeadLetter('dl-a', T0, { errorMessage: 'first' });
      const b = standaloneDeadLetter('dl-b', T0);
      expect(await store().insertDeadLetters({ deadLetters: [a, b], now: T0 })).toMatchObject({
        inserted: 2,
      });
      const stored = await store().getDeadLetter({ id: 'dl-a' });
      const c = standaloneDeadLetter('dl-c', T0 + 1);
      expect(
        await store().insertDeadLetters({
          deadLetters: [{ ...a, errorMessage: 'second' }, c, b],
          now: T0 + 1,
        }),
      ).toMatchObject({ inserted: 1 });
      expect(await store().getDeadLetter({ id: 'dl-a' })).toEqual(stored);
      expect((await store().listDeadLetters({ limit: 10 })).total).toBe(3);
      expect(await store().insertDeadLetters({ deadLetters: [a, b, c], now: T0 + 2 })).toMatchObject({
        inserted: 0,
      });
      expect((await store().listDeadLetters({ limit: 10 })).total).toBe(3);
    });

    it('lists with filters, a total and offset pages that cover every record once', async () => {
      const records = Array.from({ length: 7 }, (_, i) =>
        standaloneDeadLetter(`dl-${i}`, T0 + i, {
          queue: i % 2 === 0 ? 'even' : 'odd',
          domain: i < 3 ? 'billing' : 'shipping',
        }),
      );
      await store().insertDeadLetters({ deadLetters: records, now: T0 + 10 });

      const ids = (r: { items: DeadLetter[] }) => r.items.map((d) => d.id);
      const seen: string[] = [];
      for (let offset = 0; offset < 7; offset += 3) {
        const page = await store().listDeadLetters({ limit: 3, offset });
        expect(page.total).toBe(7);
        expect(page.items.length).toBe(Math.min(3, 7 - offset));
        seen.push(...ids(page));
      }
      expect(seen.sort()).toEqual(records.map((r) => r.id).sort());
      expect(await store().listDeadLetters({ limit: 3, offset: 7 })).toMatchObject({ items: [], total: 7 });

      const even = await store().listDeadLetters({ limit: 10, queue: 'even' });
      expect(even.total).toBe(4);
      expect(ids(even).sort()).toEqual(['dl-0', 'dl-2', 'dl-4', 'dl-6']);
      const billingOdd = await store().listDeadLetters({ limit: 10, queue: 'odd', domain: 'billing' });
      expect(ids(billingOdd)).toEqual(['dl-1']);
      const limited = await store().listDeadLetters({ limit: 2, domain: 'shipping', statuses: ['pending'] });
      expect(limited.total).toBe(4);
      expect(limited.items).toHaveLength(2);
      expect(await store().listDeadLetters({ limit: 10, statuses: ['archived', 'expired'] })).toMatchObject({
        items: [],
        total: 0,
      });
    });
  });
}
