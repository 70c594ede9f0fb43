/**
 * Redis store on a real server: a new job's hash by format version. Before format 3 every job
 * stores `pr` and `ra` (releases before it read them as numbers); at format 3 a job of normal
 * priority that is due when created stores neither, and every reader takes them as normal priority
 * and createdAt, beside jobs stored with both as an earlier release wrote them.
 */
import { describe, expect, it } from 'vitest';
import { claim, deadLetterFromJob, mustGet } from '../../src/store/conformance/fixtures.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { redisService } from '../support/services.js';
import { job, redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();

const noDeadLetters = () => deadLetterFromJob('never', T0);

describe.skipIf(!redis.available)('RedisStore job hash by format version', () => {
  const { admin, open, openOlder } = redisStoreHarness(redis);

  /** The job's priority and run-at fields as stored (null = absent). */
  const stored = async (store: RedisStore, id: string) =>
    admin!.hmget(store.keys.job(id), 'pr', 'ra').then(([pr, ra]) => ({ pr, ra }));

  it('format 1 (no key): every new job stores pr and ra, bulk or not', async () => {
    const store = await openOlder();
    const bulk = await store.insertJobs({ jobs: [job(), job()], now: T0 });
    const [keyed] = await store.insertJobs({ jobs: [job({ idempotencyKey: 'k' })], now: T0 });
    for (const { id } of [...bulk, keyed!])
      expect(await stored(store, id)).toEqual({ pr: '1', ra: String(T0) });
    expect(await admin!.get(store.keys.format)).toBeNull();
  });

  it('format 3: raised before the first insert; a normal job due when created stores neither, and reads back the same', async () => {
    const store = await openOlder({ formatVersion: 3 });
    const bulk = await store.insertJobs({ jobs: [job(), job()], now: T0 });
    expect(await admin!.get(store.keys.format)).toBe('3');
    const [keyed] = await store.insertJobs({ jobs: [job({ idempotencyKey: 'k' })], now: T0 });
    const [later] = await store.insertJobs({ jobs: [job({ runAt: T0 + 5_000 })], now: T0 });
    const [early] = await store.insertJobs({ jobs: [job({ runAt: T0 - 5_000, priority: 2 })], now: T0 });
    for (const { id } of [...bulk, keyed!]) expect(await stored(store, id)).toEqual({ pr: null, ra: null });
    expect(await stored(store, later!.id)).toEqual({ pr: null, ra: String(T0 + 5_000) });
    expect(await stored(store, early!.id)).toEqual({ pr: '2', ra: String(T0 - 5_000) });

    const read = await mustGet(store, bulk[0]!.id);
    expect(read).toMatchObject({ state: 'waiting', priority: 1, runAt: T0, createdAt: T0 });
    const listed = await store.listJobs({ queue: 'q', limit: 10 });
    expect(listed.map((j) => j.runAt)).toEqual([T0, T0, T0, T0 + 5_000, T0 - 5_000]);

    const claimed = await claim(store, { now: T0, limit: 10 });
    expect(claimed.map((j) => [j.id, j.priority, j.runAt])).toEqual([
      [early!.id, 2, T0 - 5_000],
      [bulk[0]!.id, 1, T0],
      [bulk[1]!.id, 1, T0],
      [keyed!.id, 1, T0],
    ]);
  });

  it('jobs stored as an earlier release wrote them and at format 3 keep their claim order through release and lease recovery', async () => {
    const older = await openOlder();
    const [first] = await older.insertJobs({ jobs: [job({ payload: { n: 1 } })], now: T0 });
    const store = open({ prefix: older.keys.prefix, formatVersion: 3 });
    const rest = await store.insertJobs({
      jobs: [job({ payload: { n: 2 } }), job({ payload: { n: 3 } })],
      now: T0,
    });
    const ids = [first!.id, ...rest.map((r) => r.id)];
    expect(await stored(store, ids[0]!)).toEqual({ pr: '1', ra: String(T0) });
    expect(await stored(store, ids[1]!)).toEqual({ pr: null, ra: null });

    // Released (a worker shutting down): back in their places, due since they were created.
    let claimed = await claim(store, { now: T0 + 1_000, limit: 3 });
    expect(claimed.map((j) => j.id)).toEqual(ids);
    const released = await store.releaseJobs({
      leases: [...claimed].reverse().map((j) => ({ id: j.id, token: j.token })),
      now: T0 + 2_000,
    });
    expect(released.every((r) => r.ok)).toBe(true);
    claimed = await claim(store, {
      now: T0 + 3_000,
      limit: 3,
      leaseMs: 1_000,
      starts: { firstSeq: 0, horizon: 0 },
    });
    expect(claimed.map((j) => [j.id, j.runAt])).toEqual(ids.map((id) => [id, T0]));

    // Orphaned before they started (prefetched): lease recovery puts them back in the same order.
    const recovery = await store.recoverExpiredLeases({
      now: T0 + 10_000,
      maxOrphans: 3,
      limit: 10,
      deadLetterFor: noDeadLetters,
    });
    expect([...recovery.recovered].sort()).toEqual([...ids].sort());
    claimed = await claim(store, { now: T0 + 11_000, limit: 3 });
    expect(claimed.map((j) => [j.id, j.runAt, j.orphanCount])).toEqual(ids.map((id) => [id, T0, 0]));
  });
});
