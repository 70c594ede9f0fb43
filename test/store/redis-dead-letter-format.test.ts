/**
 * Redis store on a real server: the dead-letter layouts. At format version 2 a failing job's dead
 * letter keeps its rarely read properties in one JSON field (`x`); every reader of this release
 * reads both layouts and entries as the previous release wrote them, alike.
 */
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import {
  deadLetterFromJob,
  failedAttempt,
  insertAndClaim,
  standaloneDeadLetter,
  T0,
} from '../../src/store/conformance/fixtures.js';
import type { ListDeadLettersParams } from '../../src/store/dead-letter-store.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisService } from '../support/services.js';
import { redisStoreHarness } from './redis-store-harness.js';

const redis = await redisService();

/** Fails a new job of `store` to the dead-letter queue as `dl-1`; its dead letter as read back. */
async function deadLetterOf(store: RedisStore, now = T0): Promise<DeadLetter> {
  const job = await insertAndClaim(store, { now, job: { payload: { customerId: 42 } } });
  const [result] = await store.failJobs({
    failures: [
      {
        id: job.id,
        token: job.token,
        attempt: failedAttempt(job, now + 5),
        outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-1', now + 5) },
      },
    ],
    now: now + 5,
  });
  expect(result).toMatchObject({ ok: true, deadLetterId: 'dl-1' });
  return (await store.getDeadLetter({ id: 'dl-1' }))!;
}

describe.skipIf(!redis.available)('RedisStore dead-letter layouts', () => {
  const { admin, open, openOlder } = redisStoreHarness(redis);

  it('format 2 packs the rarely read properties into one field and reads back the same dead letter', async () => {
    const before = await openOlder();
    const after = await openOlder({ formatVersion: 2 });
    const expected = await deadLetterOf(before);
    const packed = await deadLetterOf(after);
    expect(packed).toEqual(expected);
    expect(packed).toMatchObject({
      errorStack: 'PermanentError: card declined\n    at charge (billing.ts:3:9)',
      jobName: expected.jobName,
      workerId: 'w1',
    });

    const fields = await admin!.hgetall(after.keys.deadLetter('dl-1'));
    expect(Object.keys(fields)).toContain('x');
    for (const name of ['id', 'seq', 'generation', 'errorStack', 'attempts', 'jobName', 'workerId'])
      expect(fields[name]).toBeUndefined();
    // What scripts filter, index and guard on stays a field.
    expect(fields).toMatchObject({ status: 'pending', errorMessage: 'card declined', entityId: 'inv-1' });
    expect(Object.keys(await admin!.hgetall(before.keys.deadLetter('dl-1')))).not.toContain('x');
  });

  it('format 2 entries list, filter, search and change state as format 1 ones', async () => {
    const store = await openOlder({ formatVersion: 2 });
    await deadLetterOf(store);
    const listed = async (filter: Omit<ListDeadLettersParams, 'limit'>) =>
      (await store.listDeadLetters({ limit: 10, ...filter })).items.map((d) => d.id);
    expect(
      await listed({
        entityId: 'inv-1',
        errorText: 'declined',
        json: [{ field: 'payload', path: 'customerId', op: 'eq', value: 42 }],
      }),
    ).toEqual(['dl-1']);
    // Each condition reads the packed entry: one that does not hold leaves it out.
    expect(await listed({ entityId: 'inv-2' })).toEqual([]);
    expect(await listed({ errorText: 'expired' })).toEqual([]);
    expect(await listed({ json: [{ field: 'payload', path: 'customerId', op: 'eq', value: 43 }] })).toEqual(
      [],
    );
    const acquired = await store.acquireDeadLetterForReplay({ id: 'dl-1', now: T0 + 10 });
    expect(acquired.ok && acquired.deadLetter).toMatchObject({
      id: 'dl-1',
      status: 'replaying',
      generation: 2,
      workerId: 'w1',
      errorCode: 'E_PERM',
    });
    // A field written later wins over the packed value.
    await store.regroupDeadLetters({ changes: [{ id: 'dl-1', fingerprint: 'fp-2', fingerprintVersion: 3 }] });
    expect(await store.getDeadLetter({ id: 'dl-1' })).toMatchObject({
      fingerprint: 'fp-2',
      fingerprintVersion: 3,
    });
  });

  it('format 4 links a failing job to its dead letter by the job alone, until the job is removed', async () => {
    const store = open({ formatVersion: 4 });
    await deadLetterOf(store);
    const [jobId] = (await store.listJobs({ states: ['dead_lettered'], limit: 1 })).map((j) => j.id);
    expect(await admin!.hget(store.keys.deadLetterJobs, jobId!)).toBeNull();
    const byJob = async () => ({
      entry: (await store.getDeadLetterByJob({ jobId: jobId! }))?.id,
      listed: (await store.listDeadLetters({ limit: 5, jobId: jobId! })).items.map((d) => d.id),
    });
    expect(await byJob()).toEqual({ entry: 'dl-1', listed: ['dl-1'] });
    // A second record for the job is refused while only the job links it.
    const inserted = await store.insertDeadLetters({
      deadLetters: [standaloneDeadLetter('dl-2', T0 + 6, { jobId: jobId! })],
      now: T0 + 6,
    });
    expect(inserted).toEqual({ inserted: 0, ids: [] });
    expect(await store.getDeadLetter({ id: 'dl-2' })).toBeNull();

    expect(await store.removeJobs({ states: ['dead_lettered'], limit: 10 })).toBe(1);
    expect(await store.getJob({ id: jobId! })).toBeNull();
    expect(await admin!.hget(store.keys.deadLetterJobs, jobId!)).toBe('dl-1');
    expect(await byJob()).toEqual({ entry: 'dl-1', listed: ['dl-1'] });
  });

  it('format 4 leaves out counted: the entry is in the failure counters and moves with its status', async () => {
    const store = open({ formatVersion: 4 });
    await deadLetterOf(store);
    expect(await admin!.hget(store.keys.deadLetter('dl-1'), 'counted')).toBeNull();
    const counts = async (status: 'pending' | 'resolved') =>
      (await store.topDeadLetterFailures({ statuses: [status], limit: 5 })).groups.map((g) => g.count);
    expect(await counts('pending')).toEqual([1]);
    await store.resolveDeadLetters({ ids: ['dl-1'], now: T0 + 10, actor: 'op' });
    expect([await counts('pending'), await counts('resolved')]).toEqual([[], [1]]);
  });

  it("format 5 keeps a failure batch's packed properties in one field its entries share", async () => {
    const expected = await deadLetterOf(open({ formatVersion: 4 }));
    const store = open({ formatVersion: 5 });
    expect(await deadLetterOf(store)).toEqual(expected);

    // Two dead letters of one batch: one block, each entry with its own times, job and attempts.
    const jobs = [
      await insertAndClaim(store, { now: T0 + 10, job: { payload: { customerId: 1 } } }),
      await insertAndClaim(store, { now: T0 + 20, job: { payload: { customerId: 2 } } }),
    ];
    const results = await store.failJobs({
      failures: jobs.map((job, i) => ({
        id: job.id,
        token: job.token,
        attempt: failedAttempt(job, T0 + 30 + i, { message: `declined ${i}` }),
        outcome: {
          kind: 'dead_letter' as const,
          deadLetter: deadLetterFromJob(`dl-b${i}`, T0 + 30 + i, { firstFailedAt: T0 + 25 + i }),
        },
      })),
      now: T0 + 40,
    });
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    const [a, b] = await Promise.all(
      ['dl-b0', 'dl-b1'].map((id) => admin!.hgetall(store.keys.deadLetter(id))),
    );
    expect(a!.xs).toBe(b!.xs);
    expect(JSON.parse(a!.xs!)).toMatchObject({ errorStack: expected.errorStack, workerId: 'w1' });
    expect(JSON.parse(a!.x!)).not.toHaveProperty('errorStack');
    for (const [i, job] of jobs.entries()) {
      expect(await store.getDeadLetter({ id: `dl-b${i}` })).toMatchObject({
        jobId: job.id,
        firstFailedAt: T0 + 25 + i,
        deadLetteredAt: T0 + 30 + i,
        errorStack: expected.errorStack,
        errorCode: 'E_PERM',
        workerId: 'w1',
        payload: { customerId: i + 1 },
        attempts: [{ attempt: 1, message: `declined ${i}` }],
      });
    }
    const listed = await store.listDeadLetters({ limit: 10, errorText: 'declined', entityId: 'inv-1' });
    expect(listed.items.map((d) => d.id).sort()).toEqual(['dl-1', 'dl-b0', 'dl-b1']);
  });

  it('reads an entry as the previous release wrote it (every property a field)', async () => {
    const store = open({ formatVersion: 2 });
    await admin!.hset(store.keys.deadLetter('old-1'), {
      id: 'old-1',
      domain: 'billing',
      failureType: 'permanent',
      errorClass: 'PermanentError',
      errorCode: 'E_PERM',
      errorMessage: 'card declined',
      errorStack: 'PermanentError: card declined',
      fingerprint: 'fp-1',
      fingerprintVersion: '2',
      metadata: '{}',
      workerId: 'w1',
      maxReplays: '2',
      firstFailedAt: String(T0),
      deadLetteredAt: String(T0 + 1),
      queue: 'q',
      jobId: '7',
      jobName: 'charge',
      payload: '{"a":1}',
      attempts: '[{"attempt":1,"outcome":"failed","startedAt":0,"endedAt":1,"message":"card declined"}]',
      replayCount: '0',
      status: 'pending',
      seq: '1',
      member: '0999999999999999old-1',
      generation: '1',
      updatedAt: String(T0 + 1),
      counted: '1',
    });
    expect(await store.getDeadLetter({ id: 'old-1' })).toMatchObject({
      id: 'old-1',
      errorStack: 'PermanentError: card declined',
      fingerprintVersion: 2,
      jobName: 'charge',
      workerId: 'w1',
      firstFailedAt: T0,
      metadata: {},
      payload: { a: 1 },
      attempts: [{ attempt: 1, message: 'card declined', stack: 'PermanentError: card declined' }],
    });
  });
});
