/**
 * The Redis store's search indexes of dead letters, on a real server: declared JSON paths
 * (`indexedPaths`) and the error-text word index. Each filter answered from an index must agree
 * with the same filter checked entry by entry (a store on the same keys that declares no path,
 * or the messages searched in the test), after inserts, replays, resolves, retention (expire,
 * archive) and purges; older entries (stored before the indexes, or before a path was declared)
 * are walked into them by the backfill, which a process may leave mid-way for another to finish;
 * a JSON path or search text that no index serves is a bounded scan that says how much it examined.
 */
import { describe, expect, it } from 'vitest';
import type { NewDeadLetter } from '../../src/core/dead-letter.js';
import type { DeadLetterFilter } from '../../src/store/dead-letter-store.js';
import { QueueSlotRedisStore } from '../../src/store/redis/queue-slot-redis-store.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { record } from '../dlq/helpers.js';
import { redisService } from '../support/services.js';
import { redisStoreHarness, T0 } from './redis-store-harness.js';

const redis = await redisService();
const PATHS = ['payload.customerId', 'metadata.region', 'payload.flags[0]'];

function entry(i: number): NewDeadLetter {
  const values: unknown[] = [i % 7, `c-${i % 7}`, true, 2.5, null];
  return record(`dl-${String(i).padStart(4, '0')}`, T0 + Math.floor(i / 3), {
    domain: i % 2 ? 'billing' : 'email',
    errorMessage:
      i % 5 === 0 ? `Upstream timed out after ${3000 + i}ms for order ${i}` : `card declined: order ${i}`,
    payload: i % 11 === 0 ? { other: i } : { customerId: values[i % values.length], flags: [i % 3 === 0] },
    metadata: { region: i % 4 === 0 ? 'eu' : 'us' },
  });
}

const ids = (page: { items: { id: string }[] }) => page.items.map((d) => d.id);

describe.skipIf(!redis.available)('Redis dead-letter search indexes', () => {
  const { admin, open } = redisStoreHarness(redis);

  /** Every page of a filter, newest first, by cursor. */
  /** An entry's member in the time-ordered indexes. */
  const memberOf = async (store: RedisStore, id: string) =>
    (await admin!.hget(`${store.keys.base}dl:e:${id}`, 'member'))!;

  async function all(store: RedisStore, filter: DeadLetterFilter): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await store.listDeadLetters({ ...filter, limit: 37, ...(cursor ? { cursor } : {}) });
      out.push(...ids(page));
      if (page.nextCursor === null) return out;
      cursor = page.nextCursor;
    }
  }

  /** Declared-path filters: the indexed store's answer, and the same filter checked by scan. */
  async function expectPathsAgree(indexed: RedisStore, scanning: RedisStore): Promise<void> {
    const filters: DeadLetterFilter[] = [
      { json: [{ field: 'payload', path: 'customerId', value: 3 }] },
      { json: [{ field: 'payload', path: 'customerId', value: 'c-1' }] },
      { json: [{ field: 'payload', path: 'customerId', value: true }] },
      { json: [{ field: 'payload', path: 'customerId', value: 1 }] },
      { json: [{ field: 'metadata', path: 'region', value: 'eu' }], statuses: ['pending'] },
      { json: [{ field: 'payload', path: 'flags[0]', value: false }], domain: 'billing' },
      {
        json: [
          { field: 'payload', path: 'customerId', value: 0 },
          { field: 'metadata', path: 'region', value: 'us' },
        ],
      },
    ];
    for (const filter of filters) {
      const page = await indexed.listDeadLetters({ ...filter, limit: 5 });
      expect(page.scan).toBeUndefined();
      const expected = await all(scanning, filter);
      expect(await all(indexed, filter)).toEqual(expected);
      expect(page.total).toBe(expected.length);
      expect(ids(page)).toEqual(expected.slice(0, 5));
    }
  }

  it('answers declared-path filters from the index, in agreement with a scan through every kind of change', async () => {
    const indexed = open({ indexedPaths: PATHS });
    const scanning = open({ prefix: indexed.keys.prefix });
    // Half of them indexed by the walk, half still waiting for it: filters read both.
    await indexed.insertDeadLetters({
      deadLetters: Array.from({ length: 150 }, (_, i) => entry(i)),
      now: T0,
    });
    expect((await indexed.backfillDeadLetterCounters({ maxSteps: 50 })).done).toBe(true);
    await indexed.insertDeadLetters({
      deadLetters: Array.from({ length: 150 }, (_, i) => entry(150 + i)),
      now: T0,
    });
    await expectPathsAgree(indexed, scanning);

    // Replays (one resolved, one failing again), resolves, retention and purges.
    for (const [id, status] of [
      ['dl-0003', 'resolved'],
      ['dl-0010', 'pending'],
    ] as const) {
      const acquired = await indexed.acquireDeadLetterForReplay({ id, now: T0 + 1000 });
      expect(acquired.ok).toBe(true);
      if (acquired.ok)
        await indexed.finishDeadLetterReplay({
          id,
          generation: acquired.deadLetter.generation,
          now: T0 + 1001,
          status,
        });
    }
    const resolve = Array.from({ length: 60 }, (_, i) => `dl-${String(i * 5).padStart(4, '0')}`);
    await indexed.resolveDeadLetters({ ids: resolve, now: T0 + 2000, actor: 'test' });
    await indexed.transitionDeadLetters({ action: 'archive', now: T0 + 3000, before: T0 + 3000, limit: 40 });
    const purged = await indexed.purgeDeadLetters({ before: T0 + 4000, limit: 25, now: T0 + 4000 });
    expect(purged.ids).toHaveLength(25);
    await expectPathsAgree(indexed, scanning);

    // A purged entry is in no index set any more, nor waiting for one.
    const keys = [...(await admin!.keys(`${indexed.keys.base}dl:x:*`)), `${indexed.keys.base}dl:ixq`];
    for (const key of keys)
      for (const member of await admin!.zrange(key, '0', '-1'))
        expect(purged.ids).not.toContain(member.slice(16));
  });

  it('indexes a path declared after entries were stored once the backfill has walked them, a bounded scan until then', async () => {
    const first = open();
    await first.insertDeadLetters({ deadLetters: Array.from({ length: 120 }, (_, i) => entry(i)), now: T0 });
    const later = open({ prefix: first.keys.prefix, indexedPaths: ['payload.customerId'] });
    const filter = { json: [{ field: 'payload' as const, path: 'customerId', value: 3 }] };
    const before = await later.listDeadLetters({ ...filter, limit: 50 });
    expect(before.scan).toEqual({ examined: 120, budget: 20_000, complete: true });
    // New entries wait for the walk, which indexes them and then the older ones; one process
    // leaves it mid-way and another finishes it.
    await later.insertDeadLetters({
      deadLetters: Array.from({ length: 30 }, (_, i) => entry(120 + i)),
      now: T0,
    });
    expect((await later.backfillDeadLetterCounters({ maxSteps: 1, stepSize: 40 })).done).toBe(false);
    const other = open({ prefix: first.keys.prefix, indexedPaths: ['payload.customerId'] });
    expect((await other.backfillDeadLetterCounters({ maxSteps: 10, stepSize: 40 })).done).toBe(true);
    const after = await later.listDeadLetters({ ...filter, limit: 50 });
    expect(after.scan).toBeUndefined();
    expect(ids(after)).toEqual(await all(first, filter));
    expect(after.total).toBe((await all(first, filter)).length);
  });

  it('finds error text through the word index, as a substring search would, after purges', async () => {
    const store = open();
    const stored = Array.from({ length: 400 }, (_, i) => entry(i));
    // Half of them indexed by the walk, half still waiting for it: searches read both.
    await store.insertDeadLetters({ deadLetters: stored.slice(0, 200), now: T0 });
    expect((await store.backfillDeadLetterCounters({ maxSteps: 50 })).done).toBe(true);
    await store.insertDeadLetters({ deadLetters: stored.slice(200), now: T0 });
    await store.resolveDeadLetters({ ids: stored.slice(0, 100).map((d) => d.id), now: T0 + 1, actor: 't' });
    await store.transitionDeadLetters({ action: 'archive', now: T0 + 2, before: T0 + 2, limit: 100 });
    const gone = new Set((await store.purgeDeadLetters({ limit: 50, now: T0 + 3 })).ids);
    expect(gone.size).toBe(50);
    // The store's own order (ties in dead-letter time by insertion), filtered here.
    const order = await all(store, {});
    const messages = new Map(stored.map((d) => [d.id, d.errorMessage.toLowerCase()]));
    const expected = (text: string) => order.filter((id) => messages.get(id)!.includes(text.toLowerCase()));
    for (const text of [
      'order 12',
      'ORDER 3',
      'timed out after 31',
      'declined: order',
      ' order 7',
      'out after 3',
    ]) {
      const page = await store.listDeadLetters({ errorText: text, limit: 10 });
      expect(page.scan, text).toBeUndefined();
      expect(page.total, text).toBe(expected(text).length);
      expect(await all(store, { errorText: text }), text).toEqual(expected(text));
    }
    // One word open on both sides may sit inside any word: no index answers it.
    const inside = await store.listDeadLetters({ errorText: 'eclin', limit: 10 });
    expect(inside.scan).toEqual({ examined: 350, budget: 20_000, complete: true });
    expect(inside.total).toBe(expected('eclin').length);
    // A purged entry's words: its last word sets and vocabulary entries are gone.
    const purgedWord = [...gone].map((id) => Number(id.slice(3)))[0]!;
    expect(await admin!.exists(`${store.keys.base}dl:w:${purgedWord}`)).toBe(0);
    expect(await admin!.zscore(`${store.keys.base}dl:wv`, String(purgedWord))).toBeNull();
    const waiting = await admin!.zrange(`${store.keys.base}dl:ixq`, '0', '-1');
    expect(waiting.filter((member) => gone.has(member.slice(16)))).toEqual([]);
  });

  it('new entries wait for the index walk, found meanwhile; past the backlog an insert indexes the oldest', async () => {
    const store = open({ indexedPaths: PATHS });
    const queue = `${store.keys.base}dl:ixq`;
    // A storm of one message and another of all-distinct messages: one member each, no word set.
    const storm = Array.from({ length: 10_050 }, (_, i) =>
      record(`q-${String(i).padStart(5, '0')}`, T0 + i, {
        errorMessage: i % 2 ? `socket hang up on order ${i}` : 'socket hang up',
        payload: { customerId: i % 3 },
      }),
    );
    await store.insertDeadLetters({ deadLetters: storm.slice(0, 9_990), now: T0 });
    expect(await admin!.zcard(queue)).toBe(9_990);
    expect(await admin!.exists(`${store.keys.base}dl:w:socket`)).toBe(0);
    const search = await store.listDeadLetters({ errorText: 'order 4243', limit: 5 });
    expect(search.scan).toBeUndefined();
    expect(ids(search)).toEqual(['q-04243']);
    const byPath = await store.listDeadLetters({
      json: [{ field: 'payload', path: 'customerId', value: 2 }],
      limit: 3,
    });
    expect(byPath.scan).toBeUndefined();
    expect(ids(byPath)).toEqual(['q-09989', 'q-09986', 'q-09983']);
    expect(byPath.total).toBe(3_330);
    // Past the backlog of 10 000, the insert indexes the oldest waiting entries itself.
    await store.insertDeadLetters({ deadLetters: storm.slice(9_990), now: T0 });
    expect(await admin!.zcard(queue)).toBe(10_000);
    expect(await admin!.zscore(`${store.keys.base}dl:w:1`, await memberOf(store, 'q-00001'))).not.toBeNull();
    expect(await admin!.exists(`${store.keys.base}dl:w:51`)).toBe(0);
    // The walk takes the rest; the answers stay the same.
    expect((await store.backfillDeadLetterCounters({ maxSteps: 100 })).done).toBe(true);
    expect(await admin!.zcard(queue)).toBe(0);
    expect(ids(await store.listDeadLetters({ errorText: 'order 4243', limit: 5 }))).toEqual(['q-04243']);
    const indexed = await store.listDeadLetters({
      json: [{ field: 'payload', path: 'customerId', value: 2 }],
      limit: 3,
    });
    expect(ids(indexed)).toEqual(['q-10049', 'q-10046', 'q-10043']);
    expect(indexed.total).toBe(3_350);
  });

  it('stops indexing a word once it is common, and still finds the text by its rarer words', async () => {
    const store = open();
    const storm = Array.from({ length: 5100 }, (_, i) =>
      record(`s-${String(i).padStart(5, '0')}`, T0 + i, { errorMessage: `connection reset by peer ${i}` }),
    );
    await store.insertDeadLetters({ deadLetters: storm, now: T0 });
    expect((await store.backfillDeadLetterCounters({ maxSteps: 50 })).done).toBe(true);
    expect(await admin!.sismember(`${store.keys.base}dl:w:common`, 'connection')).toBe(1);
    expect(await admin!.exists(`${store.keys.base}dl:w:connection`)).toBe(0);
    const page = await store.listDeadLetters({ errorText: 'peer 4242', limit: 5 });
    expect(page.scan).toBeUndefined();
    expect(ids(page)).toEqual(['s-04242']);
    expect(page.total).toBe(1);
    // Only common words: a bounded scan, with the budget reported.
    const small = open({ prefix: store.keys.prefix, scanBudget: 1000 });
    const common = await small.listDeadLetters({ errorText: 'connection reset ', limit: 5 });
    expect(common.scan).toEqual({ examined: 1000, budget: 1000, complete: false });
    expect(common.total).toBe(1000);
    expect(ids(common)).toEqual(['s-05099', 's-05098', 's-05097', 's-05096', 's-05095']);
  });

  it('walks entries stored before the word index into it, searching by bounded scan until then', async () => {
    const store = open({ scanBudget: 200 });
    await store.insertDeadLetters({ deadLetters: Array.from({ length: 300 }, (_, i) => entry(i)), now: T0 });
    // As a version without the index left them: no word sets, no vocabulary, no completeness mark.
    const base = store.keys.base;
    const words = await admin!.keys(`${base}dl:w*`);
    await admin!.del(...words, `${base}dl:ix`);
    const bounded = await store.listDeadLetters({ errorText: 'order 42', limit: 5 });
    expect(bounded.scan).toEqual({ examined: 200, budget: 200, complete: false });
    expect(ids(bounded)).toEqual([]);
    expect(bounded.nextCursor).not.toBeNull();
    // The cursor goes on after the last entry examined, and finds the match further back.
    const next = await store.listDeadLetters({
      errorText: 'order 42',
      limit: 5,
      cursor: bounded.nextCursor!,
    });
    expect(ids(next)).toEqual(['dl-0042']);
    expect((await store.backfillDeadLetterCounters({ maxSteps: 50 })).done).toBe(true);
    const indexed = await store.listDeadLetters({ errorText: 'order 42', limit: 5 });
    expect(indexed.scan).toBeUndefined();
    expect(ids(indexed)).toEqual(['dl-0042']);
  });

  it('undeclared paths are a bounded scan whose cursor walks the rest', async () => {
    const store = open({ scanBudget: 100 });
    await store.insertDeadLetters({ deadLetters: Array.from({ length: 300 }, (_, i) => entry(i)), now: T0 });
    const filter = { json: [{ field: 'payload' as const, path: 'customerId', value: 'c-1' }] };
    const found: string[] = [];
    const reports: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listDeadLetters({ ...filter, limit: 50, ...(cursor ? { cursor } : {}) });
      found.push(...ids(page));
      reports.push(page.scan);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const expected = Array.from({ length: 300 }, (_, i) => entry(i))
      .filter((d) => (d.payload as { customerId?: unknown }).customerId === 'c-1')
      .map((d) => d.id)
      .reverse();
    expect(found).toEqual(expected);
    expect(reports[0]).toEqual({ examined: 100, budget: 100, complete: false });
  });

  it('QueueSlotRedisStore backfills its dead letters (counters and indexes) in the store slot', async () => {
    const plain = open();
    const slotted = new QueueSlotRedisStore({ url: redis.url, prefix: plain.keys.prefix, clock: 'caller' });
    try {
      await plain.insertDeadLetters({ deadLetters: Array.from({ length: 90 }, (_, i) => entry(i)), now: T0 });
      const base = plain.keys.base;
      await admin!.del(`${base}dl:g`, `${base}dl:g:backfill`, `${base}dl:ix`);
      for (const id of await admin!.zrange(`${base}dl:t`, '0', '-1'))
        await admin!.hdel(`${base}dl:e:${id.slice(16)}`, 'counted');
      expect((await slotted.topDeadLetterFailures({ limit: 5 })).groups).toEqual([]);
      expect((await slotted.backfillDeadLetterCounters({ maxSteps: 20 })).done).toBe(true);
      const [group] = (await slotted.topDeadLetterFailures({ limit: 5 })).groups;
      expect(group?.count).toBe(90);
      expect((await slotted.listDeadLetters({ errorText: 'order 42', limit: 5 })).scan).toBeUndefined();
    } finally {
      await slotted.close();
    }
  });
});
