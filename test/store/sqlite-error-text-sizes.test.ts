/**
 * The SQLite error-text index keeps no per-message token counts (migration 16: FTS5
 * `columnsize = 0`; only ranking reads them, and a search ranks nothing). A new store has no size
 * table. A database of schema 15 holding at most REBUILD_LIMIT messages is rebuilt (the rebuild
 * holds the write lock; a bigger one keeps its index as it is, and searches it the same) with every indexed message still indexed and every
 * queued message still queued (indexed once when the queue is), so searches return what they did,
 * deleting a message still takes it out of the index, and FTS5's integrity check passes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';
import { TEXT_INDEX_BATCH } from '../../src/store/sqlite/dead-letter-messages.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { REBUILD_LIMIT } from '../../src/store/sqlite/migrations/0016_error_text_without_sizes.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteDeadLetters } from '../../src/store/sqlite/sqlite-dead-letters.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { checkTextIndex, indexQueueAsBefore, searchIds } from '../support/sqlite-text-index.js';

const T0 = Date.UTC(2026, 0, 1);
const SIZES = 'redrive_dead_letter_message_text_docsize';
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const entry = (id: string, i: number, message: string) =>
  standaloneDeadLetter(id, T0 + i, { errorMessage: message });

function tables(db: Database.Database): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
}

function queued(path: string): number {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.prepare('SELECT COUNT(*) FROM redrive_dead_letter_text_queue').pluck().get() as number;
  } finally {
    raw.close();
  }
}

/** The ids whose message holds `text`, straight from the entries (what a search must return). */
function expected(path: string, text: string): string[] {
  const raw = new Database(path, { readonly: true });
  try {
    return raw
      .prepare(
        'SELECT id FROM redrive_dead_letters WHERE instr(lower(error_message), lower(?)) > 0 ORDER BY id',
      )
      .pluck()
      .all(text) as string[];
  } finally {
    raw.close();
  }
}

it('a new store keeps no token counts for its error-text index', async () => {
  const db = new Database(':memory:');
  const store = new SqliteStore({ database: db });
  await store.insertDeadLetters({ deadLetters: [entry('a', 0, 'socket hang up')], now: T0 });
  expect(tables(db)).toContain('redrive_dead_letter_message_text');
  expect(tables(db)).not.toContain(SIZES);
  expect(await searchIds(store, 'hang')).toEqual(['a']);
  await store.close();
  db.close();
});

it('rebuilds the index of a database of schema 15: indexed messages stay indexed, queued ones are indexed once, searches and deletes unchanged', async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-text-sizes-'));
  const path = join(dir, 'dlq.db');
  const db = new Database(path);
  migrateSqliteSchema(db, path, SQLITE_MIGRATIONS.slice(0, 15));
  expect(tables(db)).toContain(SIZES);
  // Written as by the insert code of schema 15 (the migration changes no stored row): a batch long
  // enough to be indexed, then a few messages left in the queue, some sharing words with the first.
  const writer = new SqliteDeadLetters(db, { path });
  await writer.insertDeadLetters({
    deadLetters: Array.from({ length: TEXT_INDEX_BATCH }, (_, i) =>
      entry(`old-${i}`, i, `upstream returned 503 for order ${i}`),
    ),
    now: T0,
  });
  indexQueueAsBefore(db);
  await writer.insertDeadLetters({
    deadLetters: [
      entry('new-1', 5000, 'upstream returned 502 for order 7'),
      entry('new-2', 5001, 'Connection reset by peer'),
    ],
    now: T0,
  });
  db.close();
  expect(queued(path)).toBe(2);

  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    const raw = new Database(path, { readonly: true });
    expect(tables(raw)).not.toContain(SIZES);
    raw.close();
    // Migration 21 indexed what was queued (once: FTS5's integrity check below passes).
    expect(queued(path)).toBe(0);
    for (const text of ['for order 7', 'returned 50', 'RESET by', 'order 1999', 'no such text']) {
      expect(await searchIds(store, text)).toEqual(expected(path, text));
    }
    expect((await searchIds(store, 'for order 7')).length).toBeGreaterThan(2);
    // An indexed message whose last entry is purged leaves the index.
    await store.resolveDeadLetters({ ids: ['old-7'], now: T0 + 1, actor: 'test' });
    await store.transitionDeadLetters({ action: 'archive', now: T0 + 2, before: T0 + 2, limit: 10 });
    await store.purgeDeadLetters({ ids: ['old-7'], limit: 10, now: T0 + 3 });
    expect(await searchIds(store, 'for order 7')).toEqual(expected(path, 'for order 7'));
  } finally {
    await store.close();
  }
  checkTextIndex(path);
});

it('leaves the index of a database of schema 15 holding more messages than a rebuild should lock for, and searches it as before', async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-text-sizes-'));
  const path = join(dir, 'dlq.db');
  const db = new Database(path);
  migrateSqliteSchema(db, path, SQLITE_MIGRATIONS.slice(0, 15));
  const writer = new SqliteDeadLetters(db, { path });
  const count = REBUILD_LIMIT + 1;
  for (let first = 0; first < count; first += 2000) {
    await writer.insertDeadLetters({
      deadLetters: Array.from({ length: Math.min(2000, count - first) }, (_, k) =>
        entry(`old-${first + k}`, first + k, `upstream returned 503 for order ${first + k}`),
      ),
      now: T0,
    });
    if (first + 2000 <= count) indexQueueAsBefore(db);
  }
  db.close();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    const raw = new Database(path, { readonly: true });
    expect(tables(raw)).toContain(SIZES);
    raw.close();
    for (const text of ['for order 7777', 'order 10000', 'no such text']) {
      expect(await searchIds(store, text)).toEqual(expected(path, text));
    }
    expect(await searchIds(store, 'for order 7777')).toEqual(['old-7777']);
    await store.insertDeadLetters({ deadLetters: [entry('new-1', 20_000, 'socket hang up')], now: T0 });
  } finally {
    await store.close();
  }
  checkTextIndex(path);
}, 30_000);
