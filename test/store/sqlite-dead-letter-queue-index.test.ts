/**
 * SQLite's `(queue, dead_lettered_at)` index holds only dead letters that have a queue (migration
 * 17): one stored without a queue (`DeadLetterQueue.store()` outside a job) is no entry in it. A
 * list filtered by queue still reads the index in time order, without sorting, and returns exactly
 * what it did: newest or oldest first, ties by row id, by offset and by cursor, with its total. A
 * database of schema 16 gets the smaller index and lists the same.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteDeadLetters } from '../../src/store/sqlite/sqlite-dead-letters.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { expectListing } from '../support/dead-letter-listing.js';
import { forEachUnsortedPagePlan } from '../support/sqlite-plans.js';

const T0 = Date.UTC(2026, 0, 1);
const QUEUES = ['emails', 'payments', null];
const INDEX = 'redrive_dead_letters_queue_time';
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** How many entries the queue index holds (its cells, read from SQLite's page statistics). */
function indexEntries(db: Database.Database): number {
  return db
    .prepare("SELECT SUM(ncell) FROM dbstat WHERE name = ? AND pagetype = 'leaf'")
    .pluck()
    .get(INDEX) as number;
}

/** The ids of a queue in list order, straight from the table. */
function expected(path: string, queue: string, order: 'newest' | 'oldest'): string[] {
  const raw = new Database(path, { readonly: true });
  try {
    const by = order === 'newest' ? 'dead_lettered_at DESC, rowid ASC' : 'dead_lettered_at ASC, rowid DESC';
    return raw
      .prepare(`SELECT id FROM redrive_dead_letters NOT INDEXED WHERE queue = ? ORDER BY ${by}`)
      .pluck()
      .all(queue) as string[];
  } finally {
    raw.close();
  }
}

it('gives a database of schema 16 an index of the entries with a queue, and lists each queue in the same order, by offset and by cursor', async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-queue-index-'));
  const path = join(dir, 'dlq.db');
  const db = new Database(path);
  migrateSqliteSchema(db, path, SQLITE_MIGRATIONS.slice(0, 16));
  const writer = new SqliteDeadLetters(db, { path });
  await writer.insertDeadLetters({
    deadLetters: Array.from({ length: 90 }, (_, i) =>
      // Three entries per millisecond, inserted out of time order; a third without a queue.
      standaloneDeadLetter(`dl-${i}`, T0 + Math.floor(((i * 37) % 90) / 3), { queue: QUEUES[i % 3]! }),
    ),
    now: T0,
  });
  expect(indexEntries(db)).toBe(90);
  db.close();

  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    const raw = new Database(path, { readonly: true });
    expect(indexEntries(raw)).toBe(60);
    raw.close();
    for (const queue of ['emails', 'payments']) {
      for (const order of ['newest', 'oldest'] as const) {
        const all = expected(path, queue, order);
        expect(all).toHaveLength(30);
        await expectListing((p) => store.listDeadLetters(p), { queue }, order, all);
      }
    }
    // New entries without a queue stay out of the index; those with one go in.
    await store.insertDeadLetters({
      deadLetters: [
        standaloneDeadLetter('late-1', T0 + 100, { queue: null }),
        standaloneDeadLetter('late-2', T0 + 100, { queue: 'emails' }),
      ],
      now: T0,
    });
    const after = new Database(path, { readonly: true });
    expect(indexEntries(after)).toBe(61);
    after.close();
    expect((await store.listDeadLetters({ queue: 'emails', limit: 1 })).items.map((d) => d.id)).toEqual([
      'late-2',
    ]);
  } finally {
    await store.close();
  }
});

it('reads a queue through its index in time order, without sorting its entries', async () => {
  await forEachUnsortedPagePlan(
    [
      { queue: 'emails', limit: 25 },
      { queue: 'emails', order: 'oldest', limit: 25 },
      { queue: 'emails', from: T0, to: T0 + 10, limit: 25 },
    ],
    (plan) =>
      expect(
        plan.some((d) => d.includes(INDEX)),
        plan.join('\n'),
      ).toBe(true),
  );
});
