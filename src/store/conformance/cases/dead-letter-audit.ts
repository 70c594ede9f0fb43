/**
 * Conformance: dead letters — the audit trail.
 */
import { describe, expect, it } from 'vitest';
import { type StoreFactory, T0, useFreshStore } from '../dead-letter-fixtures.js';

/** Registers the dead-letter audit cases. */
export function deadLetterAuditCases(factory: StoreFactory): void {
  describe('dead letters', () => {
    const store = useFreshStore(factory);

    describe('audit trail', () => {
      it('appends entries and lists them newest first, filtered and paged', async () => {
        const base = {
          reason: null,
          ticket: null,
          beforeStatus: null,
          afterStatus: null,
          beforeGeneration: null,
          afterGeneration: null,
          details: {},
        };
        const { seqs } = await store().appendAudit({
          entries: Array.from({ length: 5 }, (_, i) => ({
            ...base,
            deadLetterId: i % 2 ? 'x' : null,
            action: i % 2 ? 'note' : 'purge',
            actor: `a${i}`,
            at: T0 + i,
            details: { i },
          })),
        });
        expect(seqs).toHaveLength(5);
        const first = await store().listAudit({ limit: 2 });
        expect(first.items.map((e) => e.actor)).toEqual(['a4', 'a3']);
        const second = await store().listAudit({ limit: 2, before: first.nextBefore! });
        expect(second.items.map((e) => e.actor)).toEqual(['a2', 'a1']);
        expect(
          (await store().listAudit({ limit: 10, deadLetterId: 'x' })).items.map((e) => e.details),
        ).toEqual([{ i: 3 }, { i: 1 }]);
        expect((await store().listAudit({ limit: 10, action: 'purge', actor: 'a2' })).items).toHaveLength(1);
      });
    });
  });
}
