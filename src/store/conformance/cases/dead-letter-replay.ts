/**
 * Conformance: dead letters — replay state changes: acquire, finish, generations and budgets.
 */
import { describe, expect, it } from 'vitest';
import { dl, type StoreFactory, seed, setStatus, T0, useFreshStore } from '../dead-letter-fixtures.js';

/** Registers the dead-letter replay cases. */
export function deadLetterReplayCases(factory: StoreFactory): void {
  describe('dead letters', () => {
    const store = useFreshStore(factory);

    describe('replay state changes', () => {
      it('of two concurrent acquires exactly one wins', async () => {
        await seed(store(), [dl('r1', T0)]);
        const results = await Promise.all([
          store().acquireDeadLetterForReplay({ id: 'r1', now: T0 }),
          store().acquireDeadLetterForReplay({ id: 'r1', now: T0 }),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        const lost = results.find((r) => !r.ok);
        expect(lost).toMatchObject({
          ok: false,
          reason: 'invalid_status',
          deadLetter: { status: 'replaying' },
        });
      });

      it('acquire spends one replay, bumps the generation and checks the expected generation and cap', async () => {
        await seed(store(), [dl('r2', T0, { maxReplays: 1 })]);
        expect(
          await store().acquireDeadLetterForReplay({ id: 'r2', now: T0, expectedGeneration: 7 }),
        ).toMatchObject({
          ok: false,
          reason: 'stale_generation',
        });
        const a = await store().acquireDeadLetterForReplay({ id: 'r2', now: T0 + 1, expectedGeneration: 1 });
        expect(a).toMatchObject({
          ok: true,
          deadLetter: { status: 'replaying', generation: 2, replayCount: 1, replayStartedAt: T0 + 1 },
        });
        await store().finishDeadLetterReplay({
          id: 'r2',
          generation: 2,
          now: T0 + 2,
          status: 'pending',
          error: 'boom',
        });
        expect(await store().acquireDeadLetterForReplay({ id: 'r2', now: T0 + 3 })).toMatchObject({
          ok: false,
          reason: 'at_cap',
        });
        expect(await store().acquireDeadLetterForReplay({ id: 'nope', now: T0 })).toEqual({
          ok: false,
          reason: 'not_found',
          deadLetter: null,
        });
      });

      it('force takes requires_review, grants a fresh budget and writes the audit row atomically', async () => {
        await seed(store(), [dl('r3', T0, { maxReplays: 1 })]);
        await setStatus(store(), 'r3', 'requires_review');
        expect(await store().acquireDeadLetterForReplay({ id: 'r3', now: T0 })).toMatchObject({
          reason: 'invalid_status',
        });
        const forced = await store().acquireDeadLetterForReplay({
          id: 'r3',
          now: T0 + 5,
          force: { freshBudget: 2 },
          audit: { action: 'force_redrive', actor: 'alice', reason: 'fixed bug', ticket: 'INC-1' },
        });
        expect(forced).toMatchObject({
          ok: true,
          deadLetter: { status: 'replaying', replayCount: 2, maxReplays: 3 },
        });
        const audit = await store().listAudit({ deadLetterId: 'r3', limit: 10 });
        expect(audit.items).toHaveLength(1);
        expect(audit.items[0]).toMatchObject({
          action: 'force_redrive',
          actor: 'alice',
          reason: 'fixed bug',
          ticket: 'INC-1',
          at: T0 + 5,
          beforeStatus: 'requires_review',
          afterStatus: 'replaying',
          beforeGeneration: 3,
          afterGeneration: 4,
        });
        for (const status of ['resolved', 'archived'] as const) {
          await seed(store(), [dl(`r3-${status}`, T0)]);
          await setStatus(store(), `r3-${status}`, status);
          expect(
            await store().acquireDeadLetterForReplay({
              id: `r3-${status}`,
              now: T0,
              force: { freshBudget: 2 },
            }),
          ).toMatchObject({ ok: false, reason: 'invalid_status' });
        }
      });

      it('finish moves only the acquisition it names, and records the outcome', async () => {
        await seed(store(), [dl('r4', T0)]);
        const a = await store().acquireDeadLetterForReplay({ id: 'r4', now: T0 });
        if (!a.ok) throw new Error('acquire');
        expect(
          await store().finishDeadLetterReplay({
            id: 'r4',
            generation: a.deadLetter.generation - 1,
            now: T0,
            status: 'resolved',
          }),
        ).toMatchObject({ ok: false, reason: 'stale_generation' });
        const done = await store().finishDeadLetterReplay({
          id: 'r4',
          generation: a.deadLetter.generation,
          now: T0 + 9,
          status: 'resolved',
          replayJobId: '123',
          resolvedBy: 'bob',
          note: 'ok',
          audit: { action: 'replay', actor: 'bob' },
        });
        expect(done).toMatchObject({
          ok: true,
          deadLetter: {
            status: 'resolved',
            resolvedAt: T0 + 9,
            resolvedBy: 'bob',
            resolutionNote: 'ok',
            replayJobId: '123',
            lastReplayAt: T0 + 9,
            lastReplayError: null,
          },
        });
        expect(
          await store().finishDeadLetterReplay({
            id: 'r4',
            generation: done.deadLetter!.generation,
            now: T0,
            status: 'pending',
          }),
        ).toMatchObject({ ok: false, reason: 'invalid_status' });
        expect((await store().listAudit({ deadLetterId: 'r4', limit: 5 })).items[0]).toMatchObject({
          action: 'replay',
          beforeStatus: 'replaying',
          afterStatus: 'resolved',
        });
      });
    });
  });
}
