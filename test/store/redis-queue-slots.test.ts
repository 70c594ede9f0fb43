/**
 * The queue-slot Redis store's own guarantees, beyond the conformance suite: each queue under its
 * own hash tag, and the two-step dead-letter move surviving a crash between its steps (nothing
 * lost, nothing doubled), finished by the next store opened or the maintainer's recovery sweep.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { migrateStore } from '../../src/cli/commands/migrate.js';
import {
  claim,
  deadLetterFromJob,
  failedAttempt,
  insert,
  newJob,
  T0,
} from '../../src/store/conformance/fixtures.js';
import { DeadLetterOutbox } from '../../src/store/redis/dead-letter-outbox.js';
import { LATEST_FORMAT_VERSION } from '../../src/store/redis/keys.js';
import { openRedisStore } from '../../src/store/redis/open-redis-store.js';
import { QueueSlotRedisStore } from '../../src/store/redis/queue-slot-redis-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { RedisStoreOptions } from '../../src/store/redis/redis-store-options.js';
import { redisStoreOptionsFromUrl } from '../../src/store/redis/redis-url.js';
import {
  deleteKeysWithPrefix,
  redisService,
  type ScanningClient,
  uniqueKeyPrefix,
} from '../support/services.js';

const redis = await redisService();

/** Which step of the move fails, as a process dying there would leave it. */
type CrashAt = 'insert' | 'forget';

/** A store whose dead-letter move fails at one step, once. */
class CrashingStore extends QueueSlotRedisStore {
  constructor(
    options: RedisStoreOptions,
    private readonly crashAt: CrashAt,
  ) {
    super(options);
  }

  protected override makeOutbox(deps: ConstructorParameters<typeof DeadLetterOutbox>[0]): DeadLetterOutbox {
    const crashAt = (): CrashAt => this.crashAt;
    return new (class extends DeadLetterOutbox {
      protected override async insert(slot: number, flat: string[]): Promise<string[]> {
        if (crashAt() === 'insert') throw new Error('crashed before the insert');
        return super.insert(slot, flat);
      }
      protected override async forget(key: string, flat: string[]): Promise<void> {
        if (crashAt() === 'forget') throw new Error('crashed before the outbox was cleared');
        return super.forget(key, flat);
      }
    })(deps);
  }
}

describe('Redis queue slots: options', () => {
  it('takes ?slots=queue in a store URL, and openRedisStore opens the layout asked for', async () => {
    const options = redisStoreOptionsFromUrl('redis://cache:6380?prefix=app&slots=queue');
    expect(options).toMatchObject({ prefix: 'app', slots: 'queue' });
    expect(redisStoreOptionsFromUrl('redis://cache').slots).toBeUndefined();
    expect(() => redisStoreOptionsFromUrl('redis://cache?slots=job')).toThrow(/slots/);
    const slotted = openRedisStore({ ...options, url: 'redis://127.0.0.1:1', readyTimeoutMs: 0 });
    const single = openRedisStore({ url: 'redis://127.0.0.1:1', readyTimeoutMs: 0 });
    expect(slotted).toBeInstanceOf(QueueSlotRedisStore);
    expect(single).toBeInstanceOf(RedisStore);
    await Promise.all([slotted.close(), single.close()]);
  });

  it('refuses slots: queue on a RedisStore (it would silently keep one slot)', () => {
    expect(() => new RedisStore({ slots: 'queue' })).toThrow(/QueueSlotRedisStore/);
  });
});

describe.skipIf(!redis.available)('Redis store with queue slots', () => {
  const admin = redis.available ? new Redis(redis.url, { lazyConnect: true }) : undefined;
  const prefixes: string[] = [];
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    const scanning = admin as unknown as ScanningClient;
    for (const prefix of prefixes.splice(0)) {
      await deleteKeysWithPrefix(scanning, `{${prefix}}:`);
      await deleteKeysWithPrefix(scanning, `{${prefix}#`);
    }
  });
  afterAll(async () => {
    await admin?.quit();
  });

  function options(prefix?: string): RedisStoreOptions & { prefix: string } {
    const p = prefix ?? uniqueKeyPrefix('slots').slice(0, -1);
    if (!prefixes.includes(p)) prefixes.push(p);
    return { url: redis.url, prefix: p, clock: 'caller' };
  }

  function track<S extends { close(): Promise<void> }>(store: S): S {
    open.push(store);
    return store;
  }

  it('keeps each queue under a hash tag of its own, and job ids name their queue', async () => {
    const store = track(new QueueSlotRedisStore(options()));
    const [a] = await insert(store, [newJob({ queue: 'a' })]);
    const [b] = await insert(store, [newJob({ queue: 'b' })]);
    expect(a).toBe('1:1');
    expect(b).toBe('2:1');
    const keys = (await admin!.keys(`{${store.keys.prefix}#*`)).sort();
    expect(keys).toContain(`{${store.keys.prefix}#1}.j:1`);
    expect(keys).toContain(`{${store.keys.prefix}#2}.j:1`);
    expect(keys.some((k) => k.startsWith(`{${store.keys.prefix}}:j:`))).toBe(false);
  });

  for (const crashAt of ['insert', 'forget'] as const) {
    it(`loses and doubles no dead letter when the move crashes before its ${crashAt} step`, async () => {
      const opts = options();
      const crashing = track(new CrashingStore(opts, crashAt));
      const [id] = await insert(crashing, [newJob({ queue: 'mail', payload: { to: 'x' } })]);
      const [job] = await claim(crashing, { queue: 'mail', now: T0 });
      await expect(
        crashing.failJob({
          id: job!.id,
          token: job!.token,
          attempt: failedAttempt(job!, T0 + 5),
          outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-crash', T0 + 5) },
          now: T0 + 5,
        }),
      ).rejects.toThrow(/crashed/);
      // The failure itself is applied in the job's slot, atomically with the outbox record.
      expect((await crashing.getJob({ id: id! }))?.state).toBe('dead_lettered');
      const outboxKey = `{${opts.prefix}#1}.dl:out`;
      expect(await admin!.hlen(outboxKey)).toBe(1);

      // A new process opens the store. With a crash before the insert, a worker's lease sweep of
      // the queue finishes the move; with one before the delete, the first dead-letter call does.
      const reopened = track(new QueueSlotRedisStore(opts));
      if (crashAt === 'insert') {
        await reopened.recoverExpiredLeases({
          now: T0 + 6,
          queue: 'mail',
          maxOrphans: 3,
          limit: 10,
          deadLetterFor: () => {
            throw new Error('no orphan expected');
          },
        });
        expect(await admin!.hlen(outboxKey)).toBe(0);
      }
      const dl = await reopened.getDeadLetterByJob({ jobId: id! });
      expect(dl?.id).toBe('dl-crash');
      expect(dl?.jobId).toBe(id);
      expect(dl?.payload).toEqual({ to: 'x' });
      expect(await admin!.hlen(outboxKey)).toBe(0);

      // The maintainer's sweep runs the recovery pass again: still exactly one entry.
      await reopened.recoverExpiredLeases({
        now: T0 + 10,
        maxOrphans: 3,
        limit: 10,
        deadLetterFor: () => {
          throw new Error('no orphan expected');
        },
      });
      expect(await reopened.recoverDeadLetterMoves()).toBe(0);
      const page = await reopened.listDeadLetters({ limit: 10, withTotal: true });
      expect(page.items.map((d) => d.id)).toEqual(['dl-crash']);
      expect(page.total).toBe(1);
      const stats = await reopened.getDeadLetterStats({ now: T0 + 10 });
      expect([stats.total, stats.byStatus.pending]).toEqual([1, 1]);
    });
  }

  it('a repeated move of a record already moved adds nothing', async () => {
    const opts = options();
    const store = track(new QueueSlotRedisStore(opts));
    await insert(store, [newJob({ queue: 'mail' })]);
    const [job] = await claim(store, { queue: 'mail', now: T0 });
    await store.failJob({
      id: job!.id,
      token: job!.token,
      attempt: failedAttempt(job!, T0 + 5),
      outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-once', T0 + 5) },
      now: T0 + 5,
    });
    // The outbox record back, as a crash after the insert and before the delete would leave it.
    const outboxKey = `{${opts.prefix}#1}.dl:out`;
    const record = [job!.id.split(':')[1], '', String(T0 + 5), ['status', 'pending', 'domain', 'x']];
    await admin!.hset(outboxKey, 'dl-once', JSON.stringify(record));
    expect(await store.recoverDeadLetterMoves()).toBe(0);
    expect(await admin!.hlen(outboxKey)).toBe(0);
    expect((await store.listDeadLetters({ limit: 10, withTotal: true })).total).toBe(1);
  });

  it('refuses to put queue slots on a prefix that holds a single-slot store, naming redrive migrate', async () => {
    const opts = options();
    const single = track(new RedisStore(opts));
    await insert(single, [newJob({ queue: 'mail' })]);
    const slots = track(new QueueSlotRedisStore(opts));
    await expect(insert(slots, [newJob({ queue: 'mail' })])).rejects.toThrow(/redrive migrate/);
  });

  it("redrive migrate moves a single-slot store's jobs into queue slots, dead letters relinked", async () => {
    const opts = options();
    const single = track(new RedisStore(opts));
    const [a1, a2, , b1] = await insert(single, [
      newJob({ queue: 'a', payload: 1 }),
      newJob({ queue: 'a', payload: 2 }),
      newJob({ queue: 'a', payload: 3, idempotencyKey: 'once' }),
      newJob({ queue: 'b', payload: 4, runAt: T0 + 60_000 }),
    ]);
    const [first, second] = await claim(single, { queue: 'a', now: T0, limit: 2 });
    await single.completeJobs({
      completions: [{ id: first!.id, token: first!.token, resultJson: '7' }],
      now: T0 + 1,
    });
    await single.failJob({
      id: second!.id,
      token: second!.token,
      attempt: failedAttempt(second!, T0 + 2),
      outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-old', T0 + 2) },
      now: T0 + 2,
    });
    await single.pauseQueue({ queue: 'b' });
    // A bulk insert: its ids are one run member of the listing index.
    const bulk = await insert(
      single,
      Array.from({ length: 5 }, (_, i) => newJob({ queue: 'c', payload: i })),
    );
    const before = await single.countJobs({});

    const url = `${redis.url}?prefix=${encodeURIComponent(opts.prefix)}&slots=queue&clock=caller`;
    const report = await migrateStore(url);
    // The single-slot store was fresh, so at the newest format already: only the move is applied.
    expect(report).toMatchObject({ from: LATEST_FORMAT_VERSION, to: LATEST_FORMAT_VERSION });
    expect(report.applied).toHaveLength(1);
    expect(report.applied[0]).toMatch(/3 queues, 9 jobs, 1 dead letters/);
    expect(await migrateStore(url)).toMatchObject({
      from: LATEST_FORMAT_VERSION,
      to: LATEST_FORMAT_VERSION,
      applied: [],
    });

    const slots = track(new QueueSlotRedisStore(opts));
    expect(await slots.countJobs({})).toEqual(before);
    const listed = await slots.listJobs({ limit: 20 });
    expect(listed.map((j) => j.id.split(':')[1]).sort()).toEqual([a1, a2, '3', b1, ...bulk].sort());
    expect((await slots.listJobs({ queue: 'c', limit: 20 })).map((j) => j.payload)).toEqual([0, 1, 2, 3, 4]);
    const done = listed.find((j) => j.id.endsWith(`:${a1}`))!;
    expect([done.state, done.result]).toEqual(['completed', 7]);
    const dl = await slots.getDeadLetterByJob({ jobId: listed.find((j) => j.id.endsWith(`:${a2}`))!.id });
    expect(dl?.id).toBe('dl-old');
    expect(await slots.isQueuePaused({ queue: 'b' })).toBe(true);
    // Idempotency keys carry over; new ids continue after the old ones.
    const again = await slots.insertJobs({ jobs: [newJob({ queue: 'a', idempotencyKey: 'once' })], now: T0 });
    expect(again[0]).toMatchObject({ created: false });
    const [fresh] = await insert(slots, [newJob({ queue: 'a' })]);
    expect(Number(fresh!.split(':')[1])).toBeGreaterThan(9);
    expect(await admin!.exists(`{${opts.prefix}}:ids`)).toBe(0);
    expect(await admin!.keys(`{${opts.prefix}}:j:*`)).toEqual([]);
  });
});
