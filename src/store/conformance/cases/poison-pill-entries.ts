/**
 * Conformance: the dead letter of a poison pill (a job that lost its worker `maxOrphans` times
 * while running alone) follows the rule of a failure's (`JobStore.failJobs`): a job that has an
 * entry already (dead-lettered before and replayed with its entry kept, imported, recorded by
 * hand) keeps it, and the sweep's answer and the job's link name that entry, never an id that was
 * not stored; an id that is another job's entry leaves the job with none.
 */
import { describe, expect, it } from 'vitest';
import type { RecoveryResult } from '../../job-store.js';
import type { Store } from '../../store.js';
import { dl, seed } from '../dead-letter-fixtures.js';
import {
  claim,
  deadLetterFromJob,
  insert,
  mustGet,
  newJob,
  type StoreFactory,
  T0,
  useFreshStore,
} from '../fixtures.js';

/**
 * Inserts jobs on queue `q` and makes each a suspect running alone in quarantine (orphaned once in
 * a batch, then claimed alone by its own worker), with leases that expire at T0 + 201.
 */
async function quarantined(store: Store, n: number): Promise<string[]> {
  const ids: string[] = [];
  // One insert each: a sharded store puts each on its next shard.
  for (let i = 0; i < n; i++)
    ids.push(...(await insert(store, [newJob({ name: 'crashy', payload: { i } })])));
  let claimed = 0;
  for (let i = 0; i < n && claimed < n; i++) {
    claimed += (await claim(store, { now: T0, limit: n, leaseMs: 100, workerId: `batch-${i}` })).length;
  }
  expect((await sweepPoison(store, T0 + 101, () => 'dl-unused')).recovered).toHaveLength(n);
  const alone: string[] = [];
  for (let i = 0; i < n; i++) {
    const got = await claim(store, { now: T0 + 101, leaseMs: 100, workerId: `q-${i}`, quarantine: true });
    expect(got).toHaveLength(1);
    alone.push(got[0]!.id);
  }
  expect(alone.sort()).toEqual([...ids].sort());
  return ids;
}

/** A sweep that dead-letters at the first orphaning in quarantine, with the dead-letter ids given. */
function sweepPoison(store: Store, now: number, idOf: (jobId: string) => string): Promise<RecoveryResult> {
  return store.recoverExpiredLeases({
    now,
    maxOrphans: 1,
    limit: 100,
    deadLetterFor: (job) => deadLetterFromJob(idOf(job.id), now, { failureType: 'poison_pill' }),
  });
}

export function poisonPillEntryCases(factory: StoreFactory): void {
  describe('recoverExpiredLeases: a poison pill with a dead-letter entry', () => {
    const store = useFreshStore(factory);

    it('keeps the entry the job has: the sweep answers it, the job links to it, no second entry is stored', async () => {
      const [kept, fresh] = await quarantined(store(), 2);
      await seed(store(), [dl('dl-earlier', T0, { jobId: kept!, queue: 'q' })]);
      const result = await sweepPoison(store(), T0 + 202, (id) => `poison-${id}`);
      expect(result.recovered).toEqual([]);
      expect(result.deadLettered).toHaveLength(2);
      expect(result.deadLettered).toContainEqual({ jobId: kept, deadLetterId: 'dl-earlier' });
      expect(result.deadLettered).toContainEqual({ jobId: fresh, deadLetterId: `poison-${fresh}` });
      expect(await mustGet(store(), kept!)).toMatchObject({
        state: 'dead_lettered',
        orphanCount: 1,
        deadLetterId: 'dl-earlier',
      });
      expect(await store().getDeadLetter({ id: `poison-${kept}` })).toBeNull();
      expect(await store().getDeadLetterByJob({ jobId: kept! })).toMatchObject({
        id: 'dl-earlier',
        jobId: kept,
        payload: { imported: true },
      });
      // The other poison pill of the same sweep gets its own new entry.
      expect((await mustGet(store(), fresh!)).deadLetterId).toBe(`poison-${fresh}`);
      expect((await store().getDeadLetterByJob({ jobId: fresh! }))?.id).toBe(`poison-${fresh}`);
      const all = await store().listDeadLetters({ limit: 10 });
      expect(all.items.map((d) => d.id).sort()).toEqual(['dl-earlier', `poison-${fresh}`].sort());
    });

    it("an id that is another job's entry leaves the poison pill with none, and that entry its owner's", async () => {
      const [owner] = await insert(store(), [newJob({ queue: 'other', payload: 'owner' })]);
      const [job] = await quarantined(store(), 1);
      await seed(store(), [dl('dl-taken', T0, { jobId: owner!, queue: 'other' })]);
      const result = await sweepPoison(store(), T0 + 202, () => 'dl-taken');
      expect(result.deadLettered).toEqual([{ jobId: job }]);
      expect(await mustGet(store(), job!)).toMatchObject({ state: 'dead_lettered', deadLetterId: null });
      expect(await store().getDeadLetterByJob({ jobId: job! })).toBeNull();
      expect((await store().getDeadLetter({ id: 'dl-taken' }))?.jobId).toBe(owner);
    });

    it('two poison pills of one sweep given the same new id: one gets the entry, the other none', async () => {
      const ids = await quarantined(store(), 2);
      const result = await sweepPoison(store(), T0 + 202, () => 'dl-same');
      const owner = (await store().getDeadLetter({ id: 'dl-same' }))?.jobId;
      expect(ids).toContain(owner);
      const other = ids.find((id) => id !== owner)!;
      expect(result.deadLettered).toHaveLength(2);
      expect(result.deadLettered).toContainEqual({ jobId: owner, deadLetterId: 'dl-same' });
      expect(result.deadLettered).toContainEqual({ jobId: other });
      expect((await mustGet(store(), owner!)).deadLetterId).toBe('dl-same');
      expect(await mustGet(store(), other)).toMatchObject({ state: 'dead_lettered', deadLetterId: null });
      expect(await store().getDeadLetterByJob({ jobId: other })).toBeNull();
    });
  });
}
