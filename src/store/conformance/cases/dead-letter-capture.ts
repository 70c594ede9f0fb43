/**
 * Conformance: dead letters — storing every field of a dead letter and reading it back.
 */
import { describe, expect, it } from 'vitest';
import {
  deadLetterFromJob,
  dl,
  failedAttempt,
  insertAndClaim,
  type StoreFactory,
  seed,
  T0,
  useFreshStore,
} from '../dead-letter-fixtures.js';
import { claim } from '../fixtures.js';

/** Registers the dead-letter capture cases. */
export function deadLetterCaptureCases(factory: StoreFactory): void {
  describe('dead letters', () => {
    const store = useFreshStore(factory);

    describe('capture', () => {
      it('stores every field and reads it back; inserting an id again changes nothing', async () => {
        const record = dl('dl-1', T0, {
          jobId: null,
          payload: { nested: { list: [1, 'two', null] } },
          attempts: [
            {
              attempt: 1,
              outcome: 'failed',
              startedAt: T0 - 10,
              endedAt: T0 - 5,
              workerId: 'w',
              message: 'x',
            },
          ],
        });
        expect(await store().insertDeadLetters({ deadLetters: [record], now: T0 })).toEqual({
          inserted: 1,
          ids: ['dl-1'],
        });
        const again = await store().insertDeadLetters({
          deadLetters: [{ ...record, errorMessage: 'changed' }, dl('dl-2', T0)],
          now: T0 + 1,
        });
        expect(again).toEqual({ inserted: 1, ids: ['dl-2'] });
        const got = await store().getDeadLetter({ id: 'dl-1' });
        expect(got).toMatchObject({
          ...record,
          status: 'pending',
          generation: 1,
          replayCount: 0,
          resolvedAt: null,
          archivedAt: null,
          updatedAt: T0,
          replayOf: null,
          replayStartedAt: null,
          lastReplayAt: null,
          lastReplayError: null,
          replayJobId: null,
        });
        expect(got?.errorMessage).toBe('card declined');
        expect(await store().getDeadLetter({ id: 'missing' })).toBeNull();
      });

      it('honours initialStatus, replayCount and replayOf of imported records', async () => {
        await seed(store(), [
          dl('dl-a', T0, { initialStatus: 'requires_review', replayCount: 2, replayOf: 'dl-0' }),
        ]);
        expect(await store().getDeadLetter({ id: 'dl-a' })).toMatchObject({
          status: 'requires_review',
          replayCount: 2,
          replayOf: 'dl-0',
        });
      });

      it('failJob copies the job payload through redactPayload, and getDeadLetterByJob finds it', async () => {
        const job = await insertAndClaim(store(), {
          job: { payload: { user: 'ann', password: 'hunter2', card: { token: 't' } } },
        });
        const result = await store().failJob({
          id: job.id,
          token: job.token,
          attempt: failedAttempt(job, T0 + 5),
          outcome: {
            kind: 'dead_letter',
            deadLetter: {
              ...deadLetterFromJob('dl-job', T0 + 5),
              redactPayload: (p) => ({ ...(p as object), password: '[REDACTED]', card: '[REDACTED]' }),
            },
          },
          now: T0 + 5,
        });
        expect(result).toMatchObject({ ok: true, deadLetterId: 'dl-job' });
        const entry = await store().getDeadLetterByJob({ jobId: job.id });
        expect(entry?.id).toBe('dl-job');
        expect(entry?.payload).toEqual({ user: 'ann', password: '[REDACTED]', card: '[REDACTED]' });
        expect(entry?.attempts).toHaveLength(1);
        expect(entry?.queue).toBe('q');
        // The job row keeps its own payload (replays need it).
        expect((await store().getJob({ id: job.id }))?.payload).toMatchObject({ password: 'hunter2' });
      });

      it('a throwing redactPayload stores a marker, never the raw payload', async () => {
        const job = await insertAndClaim(store(), { job: { payload: { password: 'p' } } });
        await store().failJob({
          id: job.id,
          token: job.token,
          attempt: failedAttempt(job, T0 + 5),
          outcome: {
            kind: 'dead_letter',
            deadLetter: {
              ...deadLetterFromJob('dl-throw', T0 + 5),
              redactPayload: () => {
                throw new Error('bad transform');
              },
            },
          },
          now: T0 + 5,
        });
        const entry = await store().getDeadLetter({ id: 'dl-throw' });
        expect(JSON.stringify(entry?.payload)).not.toContain('"p"');
      });

      it('orphan recovery applies redactPayload too', async () => {
        // Orphaned beside others (a suspect), then alone in quarantine.
        const first = await insertAndClaim(store(), { job: { payload: { apiKey: 'k', n: 1 } }, leaseMs: 10 });
        await store().recoverExpiredLeases({
          now: T0 + 50,
          maxOrphans: 1,
          limit: 10,
          deadLetterFor: () => deadLetterFromJob('dl-unused', T0 + 50),
        });
        const [job] = await claim(store(), { now: T0 + 50, leaseMs: 10, quarantine: true });
        expect(job?.id).toBe(first.id);
        const result = await store().recoverExpiredLeases({
          now: T0 + 100,
          maxOrphans: 1,
          limit: 10,
          deadLetterFor: () => ({
            ...deadLetterFromJob('dl-orphan', T0 + 100, { failureType: 'poison_pill' }),
            redactPayload: (p) => ({ ...(p as object), apiKey: '[REDACTED]' }),
          }),
        });
        expect(result.deadLettered).toEqual([{ jobId: first.id, deadLetterId: 'dl-orphan' }]);
        expect((await store().getDeadLetter({ id: 'dl-orphan' }))?.payload).toEqual({
          apiKey: '[REDACTED]',
          n: 1,
        });
      });

      it('a dead letter refused because the job has an entry already answers the id of the entry kept', async () => {
        const earlier = await insertAndClaim(store());
        const fresh = await insertAndClaim(store());
        // An entry stored for the first job before it failed (imported, recorded by hand).
        await seed(store(), [dl('dl-earlier', T0, { jobId: earlier.id, queue: 'q' })]);
        const fail = (job: typeof earlier, id: string) => ({
          id: job.id,
          token: job.token,
          attempt: failedAttempt(job, T0 + 5),
          outcome: { kind: 'dead_letter' as const, deadLetter: deadLetterFromJob(id, T0 + 5) },
        });
        const results = await store().failJobs({
          failures: [fail(earlier, 'dl-refused'), fail(fresh, 'dl-fresh')],
          now: T0 + 5,
        });
        expect(results).toEqual([
          { id: earlier.id, ok: true, deadLetterId: 'dl-earlier' },
          { id: fresh.id, ok: true, deadLetterId: 'dl-fresh' },
        ]);
        expect(await store().getDeadLetter({ id: 'dl-refused' })).toBeNull();
        expect((await store().getDeadLetterByJob({ jobId: earlier.id }))?.id).toBe('dl-earlier');
        expect((await store().getJob({ id: earlier.id }))?.deadLetterId).toBe('dl-earlier');
        // One failure alone takes the same path as a batch's.
        const single = await insertAndClaim(store());
        await seed(store(), [dl('dl-single-earlier', T0, { jobId: single.id, queue: 'q' })]);
        expect(await store().failJob({ ...fail(single, 'dl-single'), now: T0 + 6 })).toEqual({
          id: single.id,
          ok: true,
          deadLetterId: 'dl-single-earlier',
        });
      });

      it("a dead letter whose id is another job's entry leaves the failing job with no entry", async () => {
        const owner = await insertAndClaim(store());
        const job = await insertAndClaim(store());
        await seed(store(), [dl('dl-taken', T0, { jobId: owner.id, queue: 'q' })]);
        const fail = (id: string) => ({
          id: job.id,
          token: job.token,
          attempt: failedAttempt(job, T0 + 5),
          outcome: { kind: 'dead_letter' as const, deadLetter: deadLetterFromJob(id, T0 + 5) },
        });
        expect(await store().failJobs({ failures: [fail('dl-taken')], now: T0 + 5 })).toEqual([
          { id: job.id, ok: true },
        ]);
        expect((await store().getJob({ id: job.id }))?.deadLetterId ?? null).toBeNull();
        expect((await store().getDeadLetter({ id: 'dl-taken' }))?.jobId).toBe(owner.id);
        expect((await store().getDeadLetterByJob({ jobId: owner.id }))?.id).toBe('dl-taken');
      });

      it('a replayed job that fails again links back and carries the replay ledger over', async () => {
        await seed(store(), [dl('dl-orig', T0, { maxReplays: 2 })]);
        const acquired = await store().acquireDeadLetterForReplay({ id: 'dl-orig', now: T0 });
        expect(acquired.ok).toBe(true);
        const job = await insertAndClaim(store(), { job: { replayOf: 'dl-orig' }, now: T0 + 10 });
        await store().finishDeadLetterReplay({
          id: 'dl-orig',
          generation: acquired.ok ? acquired.deadLetter.generation : 0,
          now: T0 + 10,
          status: 'resolved',
          replayJobId: job.id,
        });
        await store().failJob({
          id: job.id,
          token: job.token,
          attempt: failedAttempt(job, T0 + 20),
          outcome: {
            kind: 'dead_letter',
            deadLetter: deadLetterFromJob('dl-next', T0 + 20, { maxReplays: 9 }),
          },
          now: T0 + 20,
        });
        expect(await store().getDeadLetter({ id: 'dl-next' })).toMatchObject({
          replayOf: 'dl-orig',
          replayCount: 1,
          maxReplays: 2,
          status: 'pending',
        });
        // Spend the rest of the budget: the next failure of the chain lands in requires_review.
        const again = await store().acquireDeadLetterForReplay({ id: 'dl-next', now: T0 + 30 });
        expect(again.ok && again.deadLetter.replayCount).toBe(2);
        const job2 = await insertAndClaim(store(), { job: { replayOf: 'dl-next' }, now: T0 + 40 });
        await store().failJob({
          id: job2.id,
          token: job2.token,
          attempt: failedAttempt(job2, T0 + 50),
          outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-last', T0 + 50) },
          now: T0 + 50,
        });
        expect(await store().getDeadLetter({ id: 'dl-last' })).toMatchObject({
          replayOf: 'dl-next',
          replayCount: 2,
          status: 'requires_review',
        });
      });
    });
  });
}
