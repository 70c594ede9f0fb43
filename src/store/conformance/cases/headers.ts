/**
 * Conformance: job headers (trace context and the like) are stored as given, read back by every
 * read and claim, and kept through retries, lease recovery and dead-lettering. A job without
 * headers reads `null`.
 */
import { describe, expect, it } from 'vitest';
import {
  claim,
  deadLetterFromJob,
  failedAttempt,
  insert,
  insertAndClaim,
  mustGet,
  newJob,
  type StoreFactory,
  T0,
  useFreshStore,
} from '../fixtures.js';

const TRACE = {
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'vendor=ünï,other=1',
};

export function headerCases(factory: StoreFactory): void {
  describe('job headers', () => {
    const store = useFreshStore(factory);

    it('round-trips headers through getJob, listJobs and a claim; none or an empty map reads null', async () => {
      const [traced, plain, empty] = await insert(store(), [
        newJob({ name: 'traced', headers: TRACE }),
        newJob({ name: 'plain' }),
        newJob({ name: 'empty', headers: {} }),
      ]);
      expect((await mustGet(store(), traced!)).headers).toEqual(TRACE);
      expect((await mustGet(store(), plain!)).headers).toBeNull();
      expect((await mustGet(store(), empty!)).headers).toBeNull();
      const listed = await store().listJobs({ limit: 10 });
      expect(listed.map((j) => [j.name, j.headers])).toEqual([
        ['traced', TRACE],
        ['plain', null],
        ['empty', null],
      ]);
      const claimed = await claim(store(), { now: T0 });
      expect(claimed.map((j) => [j.name, j.headers])).toEqual([
        ['traced', TRACE],
        ['plain', null],
        ['empty', null],
      ]);
    });

    it('keeps each job its own headers in bulk inserts, shared or not, keyed or not', async () => {
      const shared = { traceparent: TRACE.traceparent };
      const uniform = Array.from({ length: 5 }, (_, i) => newJob({ payload: { i }, headers: shared }));
      const mixed = Array.from({ length: 5 }, (_, i) =>
        newJob({ payload: { i }, headers: i % 2 === 0 ? { n: String(i) } : null }),
      );
      const keyed = newJob({ idempotencyKey: 'k1', headers: { n: 'keyed' } });
      const ids = await insert(store(), [...uniform, ...mixed, keyed]);
      const headers = await Promise.all(ids.map(async (id) => (await mustGet(store(), id)).headers));
      expect(headers).toEqual([
        ...uniform.map(() => shared),
        { n: '0' },
        null,
        { n: '2' },
        null,
        { n: '4' },
        { n: 'keyed' },
      ]);
      // A second add with the same key returns the first job, whose headers stay.
      const [again] = await store().insertJobs({
        jobs: [newJob({ idempotencyKey: 'k1', headers: { n: 'other' } })],
        now: T0,
      });
      expect(again).toEqual({ id: ids.at(-1), created: false });
      expect((await mustGet(store(), again!.id)).headers).toEqual({ n: 'keyed' });
    });

    it('keeps headers through a retry, a lease recovery and dead-lettering', async () => {
      const first = await insertAndClaim(store(), { job: { headers: TRACE } });
      expect(first.headers).toEqual(TRACE);
      const retried = await store().failJob({
        id: first.id,
        token: first.token,
        attempt: failedAttempt(first, T0 + 10),
        outcome: { kind: 'retry', runAt: T0 + 20 },
        now: T0 + 10,
      });
      expect(retried.ok).toBe(true);
      const [second] = await claim(store(), { now: T0 + 20, leaseMs: 1000 });
      expect(second?.id).toBe(first.id);
      expect(second?.headers).toEqual(TRACE);
      // The lease expires; recovery returns the job to waiting with its headers.
      const recovery = await store().recoverExpiredLeases({
        now: T0 + 5000,
        maxOrphans: 3,
        limit: 10,
        deadLetterFor: (job) => deadLetterFromJob(`dl-poison-${job.id}`, T0 + 5000),
      });
      expect(recovery.recovered).toEqual([first.id]);
      // It was running when the lease expired: a suspect, claimed alone (in quarantine).
      const [third] = await claim(store(), { now: T0 + 5000, quarantine: true });
      expect(third?.headers).toEqual(TRACE);
      const dead = await store().failJob({
        id: third!.id,
        token: third!.token,
        attempt: failedAttempt(third!, T0 + 5010),
        outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-headers', T0 + 5010) },
        now: T0 + 5010,
      });
      expect(dead).toMatchObject({ ok: true, deadLetterId: 'dl-headers' });
      const job = await mustGet(store(), first.id);
      expect(job.state).toBe('dead_lettered');
      expect(job.headers).toEqual(TRACE);
    });
  });
}
