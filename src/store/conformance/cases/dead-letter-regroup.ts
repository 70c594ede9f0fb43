/**
 * Conformance cases for fingerprint versions and regrouping: every store keeps the version it was
 * given, and `regroupDeadLetters` moves entries between groups without touching their state, so
 * that every per-fingerprint read (filters, failure groups, and any counters a store keeps) agrees.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import type { Store } from '../../store.js';
import {
  deadLetterFromJob,
  failedAttempt,
  insertAndClaim,
  type StoreFactory,
  standaloneDeadLetter,
  T0,
  useFreshStore,
} from '../dead-letter-fixtures.js';

async function groupsOf(store: Store): Promise<[string, number][]> {
  const { groups, scan } = await store.topDeadLetterFailures({ limit: 10 });
  expect(scan).toBeNull();
  return groups.map((g) => [g.fingerprint, g.count]);
}

/** Registers the regrouping cases. */
export function deadLetterRegroupCases(factory: StoreFactory): void {
  describe('fingerprint versions and regrouping', () => {
    const store = useFreshStore(factory);

    it('keeps the fingerprint version of standalone and job dead letters', async () => {
      await store().insertDeadLetters({
        deadLetters: [standaloneDeadLetter('v-1', T0, { fingerprint: 'old', fingerprintVersion: 1 })],
        now: T0,
      });
      const job = await insertAndClaim(store());
      await store().failJob({
        id: job.id,
        token: job.token,
        attempt: failedAttempt(job, T0 + 1),
        outcome: {
          kind: 'dead_letter',
          deadLetter: deadLetterFromJob('v-2', T0 + 1, { fingerprint: 'new', fingerprintVersion: 2 }),
        },
        now: T0 + 1,
      });
      expect((await store().getDeadLetter({ id: 'v-1' }))?.fingerprintVersion).toBe(1);
      const fromJob = await store().getDeadLetter({ id: 'v-2' });
      expect([fromJob?.fingerprint, fromJob?.fingerprintVersion]).toEqual(['new', 2]);
      const page = await store().listDeadLetters({ limit: 10, order: 'oldest' });
      expect(page.items.map((d) => d.fingerprintVersion)).toEqual([1, 2]);
    });

    it('moves entries to their new group without changing their state', async () => {
      await store().insertDeadLetters({
        deadLetters: [
          standaloneDeadLetter('r-1', T0 + 1, { fingerprint: 'a1', fingerprintVersion: 1 }),
          standaloneDeadLetter('r-2', T0 + 2, { fingerprint: 'a2', fingerprintVersion: 1 }),
          standaloneDeadLetter('r-3', T0 + 3, { fingerprint: 'b1', fingerprintVersion: 1 }),
        ],
        now: T0,
      });
      await store().resolveDeadLetters({ ids: ['r-2'], now: T0 + 10, actor: 'test' });
      const before = await store().getDeadLetter({ id: 'r-2' });
      const result = await store().regroupDeadLetters({
        changes: [
          { id: 'r-1', fingerprint: 'A', fingerprintVersion: 2 },
          { id: 'r-2', fingerprint: 'A', fingerprintVersion: 2 },
          { id: 'gone', fingerprint: 'A', fingerprintVersion: 2 },
        ],
      });
      expect(result).toEqual({ updated: 2 });
      const after = await store().getDeadLetter({ id: 'r-2' });
      expect(after).toEqual({ ...before, fingerprint: 'A', fingerprintVersion: 2 });
      expect(await groupsOf(store())).toEqual([
        ['A', 2],
        ['b1', 1],
      ]);
      const moved = await store().listDeadLetters({ limit: 10, fingerprint: 'A', order: 'oldest' });
      expect([moved.total, moved.items.map((d) => d.id)]).toEqual([2, ['r-1', 'r-2']]);
      const old = await store().listDeadLetters({ limit: 10, fingerprint: 'a1' });
      expect([old.total, old.items]).toEqual([0, []]);
    });

    it('leaves purged entries out of the new group, and refuses malformed changes', async () => {
      await store().insertDeadLetters({
        deadLetters: [standaloneDeadLetter('p-1', T0, { fingerprint: 'x', fingerprintVersion: 1 })],
        now: T0,
      });
      await store().regroupDeadLetters({ changes: [{ id: 'p-1', fingerprint: 'y', fingerprintVersion: 2 }] });
      await store().resolveDeadLetters({ ids: ['p-1'], now: T0, actor: 'test' });
      await store().transitionDeadLetters({ action: 'archive', now: T0, before: T0 + 1, limit: 1 });
      expect((await store().purgeDeadLetters({ limit: 10, now: T0 + 2 })).ids).toEqual(['p-1']);
      expect(await groupsOf(store())).toEqual([]);
      expect((await store().listDeadLetters({ limit: 10, fingerprint: 'y' })).total).toBe(0);
      await expect(
        store().regroupDeadLetters({ changes: [{ id: 'p-1', fingerprint: '', fingerprintVersion: 2 }] }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        store().regroupDeadLetters({ changes: [{ id: 'p-1', fingerprint: 'z', fingerprintVersion: 0 }] }),
      ).rejects.toThrow(/changes\[0\]\.fingerprintVersion/);
    });
  });
}
