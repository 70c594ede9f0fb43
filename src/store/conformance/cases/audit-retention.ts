/**
 * Conformance: audit-trail retention — `purgeAudit` deletes old entries, oldest first and bounded,
 * from every view of the trail (all entries and one dead letter's), and nothing newer.
 */
import { describe, expect, it } from 'vitest';
import { auditEntry, type StoreFactory, T0, useFreshStore } from '../fixtures.js';

function entry(i: number, at: number, deadLetterId: string | null) {
  return auditEntry(`a${i}`, at, deadLetterId, { i });
}

/** Registers the audit retention cases. */
export function auditRetentionCases(factory: StoreFactory): void {
  describe('audit retention (purgeAudit)', () => {
    const store = useFreshStore(factory);

    it('deletes entries recorded before the cut-off, oldest first, at most `limit` per call', async () => {
      // Six old entries (two of dead letter x), then two recent ones (one of x).
      const old = Array.from({ length: 6 }, (_, i) => entry(i, T0 + i, i % 3 === 0 ? 'x' : null));
      await store().appendAudit({ entries: [...old, entry(6, T0 + 1000, 'x'), entry(7, T0 + 1001, null)] });

      expect(await store().purgeAudit({ before: T0 + 1000, limit: 4 })).toEqual({ deleted: 4 });
      expect((await store().listAudit({ limit: 10 })).items.map((e) => e.actor)).toEqual([
        'a7',
        'a6',
        'a5',
        'a4',
      ]);
      // Fewer than the limit: the old end is clear, and the recent entries stay.
      expect(await store().purgeAudit({ before: T0 + 1000, limit: 4 })).toEqual({ deleted: 2 });
      expect(await store().purgeAudit({ before: T0 + 1000, limit: 4 })).toEqual({ deleted: 0 });
      expect((await store().listAudit({ limit: 10 })).items.map((e) => e.actor)).toEqual(['a7', 'a6']);
      expect((await store().listAudit({ limit: 10, deadLetterId: 'x' })).items.map((e) => e.actor)).toEqual([
        'a6',
      ]);
      expect(await store().purgeAudit({ before: T0 + 1000, limit: 0 })).toEqual({ deleted: 0 });
    });
  });
}
