/**
 * Conformance: who is to blame for an orphan. Start marks (claimed is not started), suspects, and
 * quarantine (only a job that loses its worker while running alone counts towards `maxOrphans`).
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../store.js';
import {
  claim,
  failedAttempt,
  insert,
  mustGet,
  newJob,
  type StoreFactory,
  T0,
  useFreshStore,
} from '../fixtures.js';
import { sweep } from './recovery.js';

/** Inserts `n` jobs on queue `q`, claims them in a batch without start marks, and lets them expire. */
async function makeSuspects(store: Store, n: number, now = T0): Promise<string[]> {
  const ids = await insert(
    store,
    Array.from({ length: n }, (_, i) => newJob({ payload: { i } })),
    now,
  );
  await claim(store, { now, limit: n, leaseMs: 100, workerId: 'crashed' });
  const result = await sweep(store, now + 101);
  expect(result.recovered).toEqual(ids);
  return ids;
}

export function orphanCases(factory: StoreFactory): void {
  describe('orphan attribution', () => {
    const store = useFreshStore(factory);

    it('a job at or beyond its worker’s start horizon was prefetched: it goes back as if never claimed', async () => {
      const ids = await insert(
        store(),
        Array.from({ length: 5 }, () => newJob()),
      );
      const claimed = await claim(store(), {
        now: T0,
        leaseMs: 100,
        workerId: 'w-marks',
        starts: { firstSeq: 1000, horizon: 1002 },
      });
      expect(claimed.map((j) => [j.id, j.suspect])).toEqual(ids.map((id) => [id, false]));
      const result = await sweep(store(), T0 + 101, { maxOrphans: 1 });
      expect(result.deadLettered).toEqual([]);
      expect(result.calls).toEqual([]);
      expect(new Set(result.recovered)).toEqual(new Set(ids));
      expect(result.orphanedWhile).toEqual({
        [ids[0]!]: 'running',
        [ids[1]!]: 'running',
        [ids[2]!]: 'prefetched',
        [ids[3]!]: 'prefetched',
        [ids[4]!]: 'prefetched',
      });
      for (const [i, id] of ids.entries()) {
        const held = i < 2 ? 'running' : 'prefetched';
        expect(await mustGet(store(), id)).toMatchObject({
          state: 'waiting',
          orphanCount: 0,
          suspect: held === 'running',
          attemptsMade: 0,
          attempts: [{ attempt: 1, outcome: 'orphaned', orphanedWhile: held, workerId: 'w-marks' }],
        });
      }
      // The prefetched ones run in a batch again; the two suspects do not.
      const next = await claim(store(), { now: T0 + 200, workerId: 'w2' });
      expect(next.map((j) => j.id)).toEqual(ids.slice(2));
    });

    it('advanceStartHorizon raises a worker’s horizon and never lowers it', async () => {
      const ids = await insert(
        store(),
        Array.from({ length: 4 }, () => newJob()),
      );
      await claim(store(), { now: T0, leaseMs: 100, workerId: 'w-a', starts: { firstSeq: 0, horizon: 1 } });
      await store().advanceStartHorizon({ workerId: 'w-a', horizon: 3, now: T0 + 10 });
      await store().advanceStartHorizon({ workerId: 'w-a', horizon: 2, now: T0 + 20 });
      // Another worker's horizon is its own.
      await store().advanceStartHorizon({ workerId: 'w-b', horizon: 100, now: T0 + 20 });
      const result = await sweep(store(), T0 + 101);
      expect(result.orphanedWhile).toEqual({
        [ids[0]!]: 'running',
        [ids[1]!]: 'running',
        [ids[2]!]: 'running',
        [ids[3]!]: 'prefetched',
      });
    });

    it('a later claim with a lower horizon does not lower it; its numbers continue', async () => {
      const ids = await insert(
        store(),
        Array.from({ length: 4 }, () => newJob()),
      );
      await claim(store(), { now: T0, limit: 2, leaseMs: 100, starts: { firstSeq: 10, horizon: 13 } });
      await claim(store(), { now: T0, limit: 2, leaseMs: 100, starts: { firstSeq: 12, horizon: 12 } });
      const result = await sweep(store(), T0 + 101);
      expect(result.orphanedWhile).toEqual({
        [ids[0]!]: 'running',
        [ids[1]!]: 'running',
        [ids[2]!]: 'running',
        [ids[3]!]: 'prefetched',
      });
    });

    it('a job claimed without start marks counts as running: it becomes a suspect, uncounted', async () => {
      const [id] = await makeSuspects(store(), 1);
      expect(await mustGet(store(), id!)).toMatchObject({
        state: 'waiting',
        suspect: true,
        orphanCount: 0,
        attempts: [{ outcome: 'orphaned', orphanedWhile: 'running', workerId: 'crashed' }],
      });
    });

    it('batches never hold a suspect; a quarantine claim takes the first suspect alone', async () => {
      const suspects = await makeSuspects(store(), 2);
      const [low, high] = await insert(store(), [newJob({ priority: 0 }), newJob({ priority: 2 })], T0 + 200);
      const batch = await claim(store(), { now: T0 + 200, limit: 10, leaseMs: 100 });
      expect(batch.map((j) => [j.id, j.suspect])).toEqual([
        [high, false],
        [low, false],
      ]);
      const [alone, ...rest] = await claim(store(), {
        now: T0 + 200,
        limit: 10,
        quarantine: true,
        workerId: 'w-q',
      });
      expect(rest).toEqual([]);
      expect(alone).toMatchObject({ id: suspects[0], suspect: true, state: 'active', workerId: 'w-q' });
      expect(await mustGet(store(), suspects[0]!)).toMatchObject({ state: 'active', suspect: true });
      // Without a suspect waiting, a quarantine claim is an ordinary batch.
      const [other] = await claim(store(), { now: T0 + 200, quarantine: true });
      expect(other).toMatchObject({ id: suspects[1], suspect: true });
      await insert(store(), [newJob(), newJob()], T0 + 300);
      const plain = await claim(store(), { now: T0 + 300, quarantine: true });
      expect(plain.map((j) => j.suspect)).toEqual([false, false]);
    });

    it('only orphanings in quarantine count; the maxOrphans-th dead-letters the job as a poison pill', async () => {
      const payload = { crashy: true };
      const [id] = await insert(store(), [newJob({ queue: 'media', name: 'transcode', payload })]);
      let now = T0;
      // Orphaned in a batch: a suspect, not counted (and never in a batch again).
      await claim(store(), { queue: 'media', now, leaseMs: 100, workerId: 'batch' });
      now += 101;
      await sweep(store(), now, { maxOrphans: 1 });
      expect(await mustGet(store(), id!)).toMatchObject({ suspect: true, orphanCount: 0 });
      expect(await claim(store(), { queue: 'media', now })).toEqual([]);
      // Alone in quarantine: each counts.
      const [first] = await claim(store(), {
        queue: 'media',
        now,
        leaseMs: 100,
        workerId: 'q1',
        quarantine: true,
      });
      expect(first).toMatchObject({ id, suspect: true });
      now += 101;
      expect(await sweep(store(), now, { maxOrphans: 2 })).toEqual({
        recovered: [id],
        deadLettered: [],
        orphanedWhile: { [id!]: 'quarantine' },
        calls: [],
      });
      expect(await mustGet(store(), id!)).toMatchObject({ state: 'waiting', suspect: true, orphanCount: 1 });
      await claim(store(), { queue: 'media', now, leaseMs: 100, workerId: 'q2', quarantine: true });
      now += 101;
      const result = await sweep(store(), now, { maxOrphans: 2 });
      expect(result).toEqual({
        recovered: [],
        deadLettered: [{ jobId: id, deadLetterId: `poison-${id}` }],
        orphanedWhile: { [id!]: 'quarantine' },
        calls: [{ id, queue: 'media', name: 'transcode', orphanCount: 2 }],
      });
      const job = await mustGet(store(), id!);
      expect(job).toMatchObject({
        state: 'dead_lettered',
        attemptsMade: 0,
        orphanCount: 2,
        finishedAt: now,
        leaseExpiresAt: null,
        deadLetterId: `poison-${id}`,
      });
      expect(job.attempts.map((a) => [a.outcome, a.orphanedWhile, a.workerId])).toEqual([
        ['orphaned', 'running', 'batch'],
        ['orphaned', 'quarantine', 'q1'],
        ['orphaned', 'quarantine', 'q2'],
      ]);
      const dl = await store().getDeadLetterByJob({ jobId: id! });
      expect(dl).toMatchObject({
        id: `poison-${id}`,
        queue: 'media',
        jobId: id,
        jobName: 'transcode',
        payload,
        failureType: 'poison_pill',
        status: 'pending',
        attempts: job.attempts,
      });
      expect(await claim(store(), { queue: 'media', now: now + 10_000, quarantine: true })).toEqual([]);
    });

    it('a suspect stays a suspect after a failure or a release, and completes in quarantine', async () => {
      const [failing, released] = await makeSuspects(store(), 2);
      const [a] = await claim(store(), { now: T0 + 200, quarantine: true });
      expect(a?.id).toBe(failing);
      await store().failJob({
        id: a!.id,
        token: a!.token,
        attempt: failedAttempt(a!, T0 + 201),
        outcome: { kind: 'retry', runAt: T0 + 201 },
        now: T0 + 201,
      });
      const [b] = await claim(store(), { now: T0 + 202, quarantine: true });
      expect(b?.id).toBe(released);
      await store().releaseJobs({ leases: [{ id: b!.id, token: b!.token }], now: T0 + 203 });
      for (const id of [failing!, released!]) {
        expect(await mustGet(store(), id)).toMatchObject({ state: 'waiting', suspect: true });
      }
      expect(await claim(store(), { now: T0 + 300 })).toEqual([]);
      // Claim order: the released one is due earlier than the retried one.
      const [c] = await claim(store(), { now: T0 + 300, quarantine: true });
      expect(c).toMatchObject({ id: released, suspect: true, attemptsMade: 0 });
      expect(
        await store().completeJobs({
          completions: [{ id: c!.id, token: c!.token, resultJson: null }],
          now: T0 + 301,
        }),
      ).toEqual([{ id: released, ok: true }]);
      expect(await mustGet(store(), released!)).toMatchObject({ state: 'completed' });
      const [d] = await claim(store(), { now: T0 + 302, quarantine: true });
      expect(d).toMatchObject({ id: failing, suspect: true, attemptsMade: 1 });
    });

    it('counts a job and its suspects as waiting', async () => {
      await makeSuspects(store(), 2);
      await insert(store(), [newJob()], T0 + 200);
      expect((await store().countJobs({ queue: 'q' })).waiting).toBe(3);
      expect(await store().listJobs({ queue: 'q', states: ['waiting'], limit: 10 })).toHaveLength(3);
      expect(await store().removeJobs({ queue: 'q', states: ['waiting'], limit: 10 })).toBe(3);
      expect(await claim(store(), { now: T0 + 300, quarantine: true })).toEqual([]);
    });
  });
}
