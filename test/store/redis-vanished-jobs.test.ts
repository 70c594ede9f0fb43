/**
 * Redis stores on a real server: claims, promotions, lease sweeps and fenced calls that meet a job
 * whose hash vanished (evicted under an allkeys-* maxmemory policy, deleted by hand) or a remnant
 * of one (the state fields a claim of an earlier release wrote into a hash that was gone, without
 * queue, attributes or payload). Neither is a job: a claim or sweep drops the id from the index it
 * read it from and deletes the remnant, reporting nothing for it and never writing a partial hash;
 * a fenced call answers `not_found`; reads skip it. Each runs on the single-slot store and the
 * queue-slot store (one slot per queue), whose scripts are the same.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { claim, failedAttempt, insert, newJob, T0 } from '../../src/store/conformance/fixtures.js';
import { RedisKeys } from '../../src/store/redis/keys.js';
import { QueueSlotRedisStore } from '../../src/store/redis/queue-slot-redis-store.js';
import { locateJobId } from '../../src/store/redis/queue-slots.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { Store } from '../../src/store/store.js';
import {
  deleteKeysWithPrefix,
  redisService,
  type ScanningClient,
  uniqueKeyPrefix,
} from '../support/services.js';

const redis = await redisService();
const LEASE = 1000;

/** A store under test, and where a job's keys live (its slot's keys and its id there). */
interface Subject {
  store: Store;
  where(id: string): { keys: RedisKeys; local: string };
}

const variants: [string, (prefix: string) => Subject][] = [
  [
    'RedisStore',
    (prefix) => {
      const store = new RedisStore({ url: redis.url, prefix, clock: 'caller' });
      return { store, where: (id) => ({ keys: store.keys, local: id }) };
    },
  ],
  [
    'QueueSlotRedisStore',
    (prefix) => {
      const store = new QueueSlotRedisStore({ url: redis.url, prefix, clock: 'caller' });
      return {
        store,
        where: (id) => {
          const at = locateJobId(id)!;
          return { keys: new RedisKeys(prefix, at.slot), local: at.localId };
        },
      };
    },
  ],
];

describe.skipIf(!redis.available).each(variants)('%s with vanished job hashes', (_, make) => {
  const admin = redis.available ? new Redis(redis.url) : undefined;
  const opened: { store: Store; prefix: string }[] = [];
  afterEach(async () => {
    for (const { store, prefix } of opened.splice(0)) {
      await store.close();
      await deleteKeysWithPrefix(admin as unknown as ScanningClient, `{${prefix}}`);
      await deleteKeysWithPrefix(admin as unknown as ScanningClient, `{${prefix}#`);
    }
  });
  afterAll(async () => {
    await admin?.quit();
  });

  function open(): Subject {
    const prefix = uniqueKeyPrefix('vanished-jobs').slice(0, -1);
    const subject = make(prefix);
    opened.push({ store: subject.store, prefix });
    return subject;
  }

  const jobKey = (s: Subject, id: string) => s.where(id).keys.job(s.where(id).local);
  const indexOf = (s: Subject, id: string, queue: string, kind: 'wait' | 'sched' | 'active') =>
    s.where(id).keys.queue(queue, kind);
  /** The fields an earlier release's claim wrote into a vanished hash: no q, d or p. */
  const writeRemnant = (s: Subject, id: string, token: string, leaseUntil: number) =>
    admin!.hset(jobKey(s, id), 's', 'active', 'tk', token, 'le', String(leaseUntil), 'ws', `${T0}::w0`);

  /** A lease sweep that expects no poison pill. */
  const sweep = (s: Subject, now: number) =>
    s.store.recoverExpiredLeases({
      now,
      maxOrphans: 3,
      limit: 10,
      deadLetterFor: () => {
        throw new Error('no poison pill expected');
      },
    });

  it('a claim drops waiting ids without a job, writes no hash for them and fills its batch past them', async () => {
    const s = open();
    const [gone1, gone2, live1, live2] = await insert(s.store, [newJob(), newJob(), newJob(), newJob()]);
    await admin!.del(jobKey(s, gone1!), jobKey(s, gone2!));
    // The second is a remnant as an earlier release's claim of it left one.
    await writeRemnant(s, gone2!, '1:earlier-claim', T0 + LEASE);

    const claimed = await claim(s.store, { now: T0, limit: 2 });
    expect(claimed.map((j) => j.id)).toEqual([live1, live2]);
    expect(await admin!.exists(jobKey(s, gone1!), jobKey(s, gone2!))).toBe(0);
    expect(await admin!.zcard(indexOf(s, live1!, 'q', 'wait'))).toBe(0);
    expect(await admin!.zrange(indexOf(s, live1!, 'q', 'active'), 0, '-1')).toEqual(
      [live1, live2].map((id) => s.where(id!).local),
    );
    expect(await s.store.getJob({ id: gone1! })).toBeNull();
  });

  it('a claim answers nothing when every waiting id is gone, and leaves none behind', async () => {
    const s = open();
    const [gone] = await insert(s.store, [newJob()]);
    await admin!.del(jobKey(s, gone!));
    expect(await claim(s.store, { now: T0 })).toEqual([]);
    expect(await admin!.exists(jobKey(s, gone!))).toBe(0);
    expect(await admin!.zcard(indexOf(s, gone!, 'q', 'wait'))).toBe(0);
    expect(await s.store.countJobs({ queue: 'q' })).toMatchObject({ waiting: 0, active: 0 });
  });

  it('one claim drops at most 1,000 gone ids; the next claims go on past the rest to the live jobs', async () => {
    const s = open();
    const ids = await insert(s.store, [...Array.from({ length: 2500 }, () => newJob()), newJob(), newJob()]);
    const gone = ids.slice(0, 2500);
    for (let i = 0; i < gone.length; i += 500)
      await admin!.del(...gone.slice(i, i + 500).map((id) => jobKey(s, id!)));
    const wait = indexOf(s, ids[0]!, 'q', 'wait');

    expect(await claim(s.store, { now: T0, limit: 5000 })).toEqual([]);
    expect(await admin!.zcard(wait)).toBe(1502);
    expect(await claim(s.store, { now: T0, limit: 5000 })).toEqual([]);
    expect(await admin!.zcard(wait)).toBe(502);
    const claimed = await claim(s.store, { now: T0, limit: 5000 });
    expect(claimed.map((j) => j.id)).toEqual(ids.slice(2500));
    expect(await admin!.zcard(wait)).toBe(0);
  });

  it('a promotion drops due scheduled ids without a job', async () => {
    const s = open();
    const [gone, live] = await insert(s.store, [newJob({ runAt: T0 + 100 }), newJob({ runAt: T0 + 100 })]);
    await admin!.del(jobKey(s, gone!));

    const claimed = await claim(s.store, { now: T0 + 200 });
    expect(claimed.map((j) => j.id)).toEqual([live]);
    expect(await admin!.exists(jobKey(s, gone!))).toBe(0);
    expect(await admin!.zcard(indexOf(s, gone!, 'q', 'sched'))).toBe(0);
  });

  it('a claim passing a suspect over drops the gone ids beside it and keeps the suspect waiting', async () => {
    const s = open();
    const [suspect] = await insert(s.store, [newJob()]);
    await claim(s.store, { now: T0, leaseMs: LEASE });
    const after = T0 + LEASE + 1;
    const swept = await sweep(s, after);
    expect(swept.recovered).toEqual([suspect]);
    const [gone, live] = await insert(s.store, [newJob(), newJob()], T0);
    await admin!.del(jobKey(s, gone!));

    const claimed = await claim(s.store, { now: after, limit: 5 });
    expect(claimed.map((j) => j.id)).toEqual([live]);
    expect(await admin!.zrange(indexOf(s, suspect!, 'q', 'wait'), 0, '-1')).toEqual([
      s.where(suspect!).local.padStart(15, '0'),
    ]);
    expect(await s.store.getJob({ id: suspect! })).toMatchObject({ state: 'waiting', suspect: true });
  });

  it('a lease sweep drops an expired remnant and recovers the other queues’ orphans', async () => {
    const s = open();
    const [left] = await insert(s.store, [newJob({ queue: 'a' })]);
    const [orphan] = await insert(s.store, [newJob({ queue: 'b' })]);
    const [claimedLeft] = await claim(s.store, { queue: 'a', now: T0, leaseMs: LEASE });
    await claim(s.store, { queue: 'b', now: T0, leaseMs: LEASE });
    // The job of queue a vanished and a claim of an earlier release wrote its state back in.
    await admin!.del(jobKey(s, left!));
    await writeRemnant(s, left!, claimedLeft!.token, T0 + LEASE);

    const after = T0 + LEASE + 1;
    const swept = await sweep(s, after);
    expect(swept.recovered).toEqual([orphan]);
    expect(await admin!.exists(jobKey(s, left!))).toBe(0);
    expect(await admin!.zcard(indexOf(s, left!, 'a', 'active'))).toBe(0);
    expect(await s.store.nextLeaseExpiry?.({ now: after })).toBeNull();
  });

  it('the release of a lost claim drops a remnant it held and releases the claim’s live jobs', async () => {
    const s = open();
    const [left, live] = await insert(s.store, [newJob(), newJob()]);
    const lost = { queue: 'q', workerId: 'w1', leaseMs: LEASE, now: T0, claimId: 'lost-claim' };
    const [claimedLeft] = await s.store.claimJobs({ ...lost, limit: 2 });
    await admin!.del(jobKey(s, left!));
    await admin!.hset(jobKey(s, left!), 's', 'active', 'tk', claimedLeft!.token, 'ws', `${T0}::w1`);

    const again = await s.store.claimJobs({
      ...lost,
      claimId: 'next-claim',
      limit: 2,
      lostClaims: ['lost-claim'],
    });
    expect(again.map((j) => j.id)).toEqual([live]);
    expect(await admin!.exists(jobKey(s, left!))).toBe(0);
    expect(await admin!.zrange(indexOf(s, live!, 'q', 'active'), 0, '-1')).toEqual([s.where(live!).local]);
  });

  it('fenced calls answer not_found for a remnant, and the rest of their batch goes through', async () => {
    const s = open();
    await insert(s.store, [newJob(), newJob(), newJob()]);
    const [remnant, done, failed] = await claim(s.store, { now: T0, leaseMs: LEASE });
    await admin!.del(jobKey(s, remnant!.id));
    await writeRemnant(s, remnant!.id, remnant!.token, T0 + LEASE);
    const notFound = { id: remnant!.id, ok: false, reason: 'not_found' };
    const now = T0 + 10;

    expect(await s.store.getJob({ id: remnant!.id })).toBeNull();
    expect((await s.store.listJobs({ queue: 'q', limit: 10 })).map((j) => j.id)).toEqual([
      done!.id,
      failed!.id,
    ]);
    const leases = [remnant!, done!].map((j) => ({ id: j.id, token: j.token }));
    expect(await s.store.extendLeases({ leases, leaseMs: LEASE, now })).toEqual([
      notFound,
      { id: done!.id, ok: true },
    ]);
    expect(
      await s.store.updateJobProgress!({ id: remnant!.id, token: remnant!.token, progressJson: '1', now }),
    ).toEqual(notFound);
    expect(
      await s.store.completeJobs({
        completions: [remnant!, done!].map((j) => ({ id: j.id, token: j.token, resultJson: null })),
        now,
      }),
    ).toEqual([notFound, { id: done!.id, ok: true }]);
    const failures = [remnant!, failed!].map((j) => ({
      id: j.id,
      token: j.token,
      attempt: failedAttempt(j, now),
      outcome: { kind: 'retry' as const, runAt: now + 100 },
    }));
    expect(await s.store.failJobs({ failures, now })).toEqual([notFound, { id: failed!.id, ok: true }]);
    expect(await s.store.releaseJobs({ leases: [leases[0]!], now })).toEqual([notFound]);
    expect(await s.store.getJob({ id: done!.id })).toMatchObject({ state: 'completed' });
    expect(await s.store.getJob({ id: failed!.id })).toMatchObject({ state: 'scheduled' });
  });

  it('an idempotency key whose job is gone is free again', async () => {
    const s = open();
    const keyed = newJob({ idempotencyKey: 'k1' });
    const [gone] = await insert(s.store, [keyed]);
    await admin!.del(jobKey(s, gone!));

    const [again] = await s.store.insertJobs({ jobs: [keyed], now: T0 });
    expect(again).toMatchObject({ created: true });
    expect(again!.id).not.toBe(gone);
    expect(await s.store.getJob({ id: again!.id })).toMatchObject({ idempotencyKey: 'k1' });
  });
});
