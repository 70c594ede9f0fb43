/**
 * The Redis store's counter backfill: dead letters stored before the per-fingerprint counters
 * existed are counted into them exactly once — across changes made before and during the
 * backfill, a process that dies mid-way and another that takes over, and two processes at once.
 *
 * "Stored the old way": the entries are inserted by the current scripts, then everything the
 * counters added is taken away again (the `counted` field of each entry, the {p}:dl:g cells and the
 * fingerprint sightings). What is left is what the scripts before the counters wrote: the same
 * hash and the same time, status, queue and fingerprint indexes and (status, domain) counts.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { systemClock, systemRandom } from '../../src/core/clock.js';
import type { NewDeadLetter } from '../../src/core/dead-letter.js';
import { createMaintenanceServices } from '../../src/maintenance/maintenance-options.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { runScript } from '../../src/store/redis/scripts.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { record } from '../dlq/helpers.js';
import { deleteKeysWithPrefix, redisService, uniqueKeyPrefix } from '../support/services.js';

const redis = await redisService();
const T0 = Date.UTC(2026, 0, 1);
const DOMAINS = ['billing', 'email', 'search'];

function oldEntry(i: number): NewDeadLetter {
  const domain = DOMAINS[i % DOMAINS.length]!;
  return record(`old-${String(i).padStart(5, '0')}`, T0 + Math.floor(i / 4), {
    domain,
    queue: i % 5 === 0 ? null : domain,
    failureType: i % 3 === 0 ? 'permanent' : 'retries_exhausted',
    errorClass: 'UpstreamError',
    errorMessage: `upstream returned 503 for order ${i}`,
    errorStack: `UpstreamError: upstream returned 503 for order ${i}\n    at call (src/client.ts:41:11)`,
    fingerprint: `fp-${i % 7}`,
  });
}

describe.skipIf(!redis.available)('Redis counter backfill', () => {
  const admin = new Redis(redis.url);
  const opened: RedisStore[] = [];
  let prefix = '';

  const open = () => {
    const store = new RedisStore({ url: redis.url, prefix, clock: 'caller' });
    opened.push(store);
    return store;
  };
  const key = (name: string) => `{${prefix}}:${name}`;

  /** Stores `n` entries as a version without the counters would have left them. */
  async function storeTheOldWay(store: RedisStore, n: number): Promise<void> {
    const deadLetters = Array.from({ length: n }, (_, i) => oldEntry(i));
    await store.insertDeadLetters({ deadLetters, now: T0 });
    const strip = admin.pipeline();
    for (const dl of deadLetters) strip.hdel(key(`dl:e:${dl.id}`), 'counted');
    strip.del(key('dl:g'), key('dl:fp:id'), key('dl:fp:first'), key('dl:fp:last'));
    await strip.exec();
  }

  /** The counter cells the entries themselves call for (what the counters must say). */
  async function cellsFromEntries(): Promise<Record<string, number>> {
    const members = await admin.zrange(key('dl:t'), '0', '-1');
    const read = admin.pipeline();
    for (const m of members)
      read.hmget(key(`dl:e:${m.slice(16)}`), 'fingerprint', 'status', 'domain', 'queue', 'failureType');
    const cells: Record<string, number> = {};
    for (const [, row] of (await read.exec()) ?? []) {
      const [fp, status, domain, queue, type] = row as (string | null)[];
      const cell = [fp, status, domain, queue ?? '', type].join('\u0000');
      cells[cell] = (cells[cell] ?? 0) + 1;
    }
    return cells;
  }

  async function counterCells(): Promise<Record<string, number>> {
    const raw = await admin.hgetall(key('dl:g'));
    return Object.fromEntries(
      Object.entries(raw)
        .map(([cell, n]) => [cell, Number(n)] as const)
        .filter(([, n]) => n !== 0),
    );
  }

  async function backfillToTheEnd(store: RedisStore, stepSize: number) {
    for (let i = 0; i < 1000; i++) {
      const progress = await store.backfillDeadLetterCounters({ maxSteps: 3, stepSize });
      if (progress.done) return progress;
    }
    throw new Error('the backfill did not finish');
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await deleteKeysWithPrefix(admin, `{${prefix}}`);
  });
  afterAll(() => admin.disconnect());

  it('counts old entries once, across changes before and during the backfill', async () => {
    prefix = uniqueKeyPrefix('backfill');
    const store = open();
    await storeTheOldWay(store, 1200);
    expect((await store.topDeadLetterFailures({ limit: 10 })).groups).toEqual([]);

    // Changes to old entries before the backfill: nothing is subtracted from cells never added to.
    const resolved = await store.resolveDeadLetters({
      ids: ['old-00001', 'old-00002'],
      actor: 'ops',
      now: T0 + 1,
    });
    expect(resolved.resolved).toHaveLength(2);
    // ... and new entries, counted as they arrive.
    await store.insertDeadLetters({
      deadLetters: [record('new-1', T0 + 500, { fingerprint: 'fp-1', domain: 'email', queue: 'email' })],
      now: T0,
    });

    const first = await store.backfillDeadLetterCounters({ maxSteps: 2, stepSize: 100 });
    // The two resolved entries were counted by their change: the walk passes over them.
    expect(first).toMatchObject({ counted: 198, examined: 200, done: false });
    // A change during the backfill, to an entry already counted and to one not yet reached.
    await store.resolveDeadLetters({ ids: ['old-00003', 'old-01100'], actor: 'ops', now: T0 + 2 });
    const last = await backfillToTheEnd(store, 100);
    expect(last).toMatchObject({ done: true, uncounted: 0 });

    expect(await counterCells()).toEqual(await cellsFromEntries());
    const { groups, scan } = await store.topDeadLetterFailures({ limit: 10 });
    expect(scan).toBeNull();
    expect(groups.reduce((sum, g) => sum + g.count, 0)).toBe(1201);
    // Groups of old entries get their identity and sightings from those entries.
    const fp3 = groups.find((g) => g.fingerprint === 'fp-3')!;
    expect(fp3).toMatchObject({ errorClass: 'UpstreamError', count: Math.ceil((1200 - 3) / 7) });
    expect(fp3.normalizedMessage).not.toContain('1197');
    expect(fp3.firstSeenAt).toBe(T0);
    expect(fp3.lastSeenAt).toBe(T0 + Math.floor(1193 / 4));

    // Done stays done, and later changes keep the counters exact.
    expect(await store.backfillDeadLetterCounters({ maxSteps: 5 })).toMatchObject({ counted: 0, done: true });
    await store.resolveDeadLetters({ ids: ['old-00004'], actor: 'ops', now: T0 + 3 });
    expect(await counterCells()).toEqual(await cellsFromEntries());
  });

  it('a process that dies mid-backfill leaves nothing counted twice; another finishes it', async () => {
    prefix = uniqueKeyPrefix('backfill-crash');
    const seeder = open();
    await storeTheOldWay(seeder, 3000);

    // Process A dies with a backfill call in flight: its connection drops between two steps.
    const a = open();
    const inFlight = a.backfillDeadLetterCounters({ maxSteps: 1000, stepSize: 50 });
    const countedSoFar = async () => (await admin.hvals(key('dl:g'))).reduce((s, n) => s + Number(n), 0);
    for (let i = 0; i < 10_000 && (await countedSoFar()) < 500; i++);
    a.redis.disconnect();
    await expect(inFlight).rejects.toThrow();
    const partial = Object.values(await counterCells()).reduce((s, n) => s + n, 0);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(3000);

    // The position was lost too (as if the state were rolled back): the walk starts again, and
    // the entries counted already are passed over.
    await admin.hdel(key('dl:g:backfill'), 'score', 'member');
    const b = open();
    const progress = await backfillToTheEnd(b, 250);
    expect(progress.uncounted).toBe(0);
    expect(await counterCells()).toEqual(await cellsFromEntries());
    const total = (await b.topDeadLetterFailures({ limit: 10 })).groups.reduce((s, g) => s + g.count, 0);
    expect(total).toBe(3000);
  });

  it('a walk finished by one process gets its identities from the next', async () => {
    prefix = uniqueKeyPrefix('backfill-identities');
    const store = open();
    await storeTheOldWay(store, 300);
    // Walk to the end with the script alone, stopping before the identities are recorded.
    for (let state = 'more'; state === 'more'; ) {
      [state] = (await runScript(store.redis, 'count-dead-letters', [key('dl:t')], [key(''), 100, 3])) as [
        string,
      ];
    }
    expect(await admin.hlen(key('dl:fp:id'))).toBe(0);
    const next = open();
    expect(await next.backfillDeadLetterCounters({ maxSteps: 1 })).toMatchObject({ counted: 0, done: true });
    expect(await admin.hlen(key('dl:fp:id'))).toBe(7);
    expect(await counterCells()).toEqual(await cellsFromEntries());
  });

  it('two processes backfilling at once count every entry once', async () => {
    prefix = uniqueKeyPrefix('backfill-two');
    await storeTheOldWay(open(), 2000);
    const [a, b] = [open(), open()];
    const [pa, pb] = await Promise.all([backfillToTheEnd(a, 100), backfillToTheEnd(b, 70)]);
    expect(pa.done && pb.done).toBe(true);
    expect(await counterCells()).toEqual(await cellsFromEntries());
  });

  it('a store without old entries is done at once; the maintainer runs the backfill on Redis only', async () => {
    prefix = uniqueKeyPrefix('backfill-fresh');
    const store = open();
    expect(await store.backfillDeadLetterCounters({ maxSteps: 1 })).toMatchObject({
      done: true,
      examined: 0,
    });
    const names = (s: Store) =>
      createMaintenanceServices(s, {}, { clock: systemClock, random: systemRandom }).map((x) => x.name);
    expect(names(store)).toContain('dead-letter-counter-backfill');
    const sqlite = new SqliteStore({ path: ':memory:' });
    try {
      expect(names(sqlite)).not.toContain('dead-letter-counter-backfill');
    } finally {
      await sqlite.close();
    }
  });
});
