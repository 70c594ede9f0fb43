/**
 * The SQLite dead-letter store indexes new error messages behind the writes (migrations 14 and
 * 21): the index covers the messages up to a marker, the writer indexes those above it once there
 * are TEXT_INDEX_BATCH (those left by earlier processes included), and a search reads the index and
 * the messages above the marker both. Searches agree with a plain LIKE over the entries whichever
 * side holds a message; deleting a message takes it out of the index when it is indexed (the
 * trigram index stays consistent: FTS5's integrity check passes), and deleting the newest one lets
 * the next new message, which takes its id again, be indexed; a database written before the
 * migrations keeps its indexed and queued messages searchable and deletable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';
import { TEXT_INDEX_BATCH } from '../../src/store/sqlite/dead-letter-messages.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { TEXT_MARKER } from '../../src/store/sqlite/migrations/0021_error_text_marker.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { planOf, recordStatements } from '../support/sqlite-plans.js';
import { checkTextIndex, indexQueueAsBefore, searchIds } from '../support/sqlite-text-index.js';

const T0 = Date.UTC(2026, 0, 1);
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function freshPath(): string {
  dir = mkdtempSync(join(tmpdir(), 'redrive-text-queue-'));
  return join(dir, 'dlq.db');
}

/** How many messages are above the marker, and how many messages the trigram index finds for `text`. */
function sides(path: string, text: string): { queued: number; indexed: number } {
  const raw = new Database(path, { readonly: true });
  try {
    return {
      queued: raw
        .prepare(
          'SELECT COUNT(*) FROM redrive_dead_letter_messages WHERE id > (SELECT value FROM redrive_dead_letter_tally WHERE name = ?)',
        )
        .pluck()
        .get(TEXT_MARKER) as number,
      indexed: raw
        .prepare('SELECT COUNT(*) FROM redrive_dead_letter_message_text WHERE message LIKE ?')
        .pluck()
        .get(`%${text}%`) as number,
    };
  } finally {
    raw.close();
  }
}

const entry = (id: string, i: number, message: string) =>
  standaloneDeadLetter(id, T0 + i, { errorMessage: message });

it('finds entries by text whether their message is above the marker or indexed, and indexes those above it once there are enough', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    await store.insertDeadLetters({
      deadLetters: [
        entry('a', 0, 'card 4242 declined'),
        entry('b', 1, 'card 4242 declined'),
        entry('c', 2, 'mailbox full'),
      ],
      now: T0,
    });
    expect(sides(path, 'declined')).toEqual({ queued: 2, indexed: 0 });
    expect(await searchIds(store, 'DECLINED')).toEqual(['a', 'b']);
    expect(await searchIds(store, '4242 dec')).toEqual(['a', 'b']);

    const more = Array.from({ length: TEXT_INDEX_BATCH }, (_, i) =>
      entry(`m-${i}`, 10 + i, `order ${i} declined`),
    );
    for (let i = 0; i < more.length; i += 500)
      await store.insertDeadLetters({ deadLetters: more.slice(i, i + 500), now: T0 });
    // The batch that added the TEXT_INDEX_BATCH-th message indexed every message above the marker.
    expect(sides(path, 'declined')).toEqual({ queued: 0, indexed: 1 + TEXT_INDEX_BATCH });
    await store.insertDeadLetters({ deadLetters: [entry('d', 5000, 'card 4242 declined again')], now: T0 });
    expect(sides(path, '4242')).toEqual({ queued: 1, indexed: 1 });
    expect(await searchIds(store, 'card 4242')).toEqual(['a', 'b', 'd']);
    // One batch of many new messages leaves none queued.
    const large = Array.from({ length: TEXT_INDEX_BATCH * 5 }, (_, i) =>
      entry(`l-${i}`, 6000 + i, `sku ${i} gone`),
    );
    await store.insertDeadLetters({ deadLetters: large, now: T0 });
    expect(sides(path, ' gone')).toEqual({ queued: 0, indexed: large.length });
    expect(await searchIds(store, 'order 19')).toEqual(
      more
        .filter((d) => d.errorMessage.includes('order 19'))
        .map((d) => d.id)
        .sort(),
    );
  } finally {
    await store.close();
  }
  checkTextIndex(path);
});

it('counts the messages earlier processes left above the marker: short-lived writers never leave more than a batch unindexed', async () => {
  const path = freshPath();
  const lifetimes = 4;
  const perLifetime = Math.ceil((TEXT_INDEX_BATCH * 3) / 4);
  const queuedAfter: number[] = [];
  for (let life = 0; life < lifetimes; life++) {
    const store = new SqliteStore({ path, pollIntervalMs: 0 });
    try {
      const batch = Array.from({ length: perLifetime }, (_, i) =>
        entry(`p${life}-${i}`, life * perLifetime + i, `tenant ${life}-${i} over quota`),
      );
      for (let i = 0; i < batch.length; i += 250)
        await store.insertDeadLetters({ deadLetters: batch.slice(i, i + 250), now: T0 });
    } finally {
      await store.close();
    }
    queuedAfter.push(sides(path, 'over quota').queued);
  }
  for (const queued of queuedAfter) expect(queued).toBeLessThan(TEXT_INDEX_BATCH);
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect(await searchIds(store, 'tenant 3-7 over')).toEqual(['p3-7']);
  } finally {
    await store.close();
  }
  checkTextIndex(path);
});

it('deletes a message from the index when it is indexed, and from the messages above the marker when not', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    const indexed = Array.from({ length: TEXT_INDEX_BATCH }, (_, i) =>
      entry(`i-${i}`, i, `quota ${i} exceeded`),
    );
    await store.insertDeadLetters({ deadLetters: indexed, now: T0 });
    await store.insertDeadLetters({ deadLetters: [entry('q-1', 9000, 'disk full on q-1')], now: T0 });
    expect(sides(path, 'exceeded')).toEqual({ queued: 1, indexed: TEXT_INDEX_BATCH });
    const gone = ['i-7', 'i-8', 'q-1'];
    await store.resolveDeadLetters({ ids: gone, now: T0 + 1, actor: 'test' });
    await store.transitionDeadLetters({
      action: 'archive',
      now: T0 + 2,
      before: T0 + 2,
      limit: 10,
      ids: gone,
    });
    await store.purgeDeadLetters({ ids: gone, limit: 10, now: T0 + 3 });
    expect(sides(path, 'exceeded')).toEqual({ queued: 0, indexed: TEXT_INDEX_BATCH - 2 });
    expect(await searchIds(store, 'disk full')).toEqual([]);
    expect(await searchIds(store, 'quota 7 ')).toEqual([]);
    expect(await searchIds(store, 'quota 9 ')).toEqual(['i-9']);
  } finally {
    await store.close();
  }
  checkTextIndex(path);
});

it('keeps the messages indexed before the migration searchable and deletable', async () => {
  // Entries and messages written by today's store, copied into a database of migrations 1-13
  // (whose trigger indexes each message as it is added, as a release before the queue did).
  const path = freshPath();
  const current = join(dir!, 'current.db');
  const writer = new SqliteStore({ path: current, pollIntervalMs: 0 });
  await writer.insertDeadLetters({
    deadLetters: [
      entry('old-1', 0, 'connection reset by peer'),
      entry('old-2', 1, 'connection reset by peer'),
    ],
    now: T0,
  });
  await writer.close();
  const raw = new Database(path);
  migrateSqliteSchema(raw, path, SQLITE_MIGRATIONS.slice(0, 13));
  const columns = (table: string) =>
    raw
      .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
      .all(table)
      .map((c) => `"${c.name}"`)
      .join(', ');
  raw.prepare('ATTACH DATABASE ? AS current').run(current);
  for (const table of ['redrive_dead_letter_messages', 'redrive_dead_letter_stacks', 'redrive_dead_letters'])
    raw.exec(`INSERT INTO ${table} (${columns(table)}) SELECT ${columns(table)} FROM current.${table}`);
  raw.exec('DETACH DATABASE current');
  raw.close();

  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect(sides(path, 'reset by')).toEqual({ queued: 0, indexed: 1 });
    await store.insertDeadLetters({
      deadLetters: [entry('new', 5, 'connection reset by peer again')],
      now: T0,
    });
    expect(sides(path, 'reset by')).toEqual({ queued: 1, indexed: 1 });
    expect(await searchIds(store, 'reset by')).toEqual(['new', 'old-1', 'old-2']);
    await store.resolveDeadLetters({ ids: ['old-1', 'old-2'], now: T0 + 1, actor: 'test' });
    await store.transitionDeadLetters({ action: 'archive', now: T0 + 2, before: T0 + 2, limit: 10 });
    await store.purgeDeadLetters({ ids: ['old-1', 'old-2'], limit: 10, now: T0 + 3 });
    expect(sides(path, 'reset by')).toEqual({ queued: 1, indexed: 0 });
    expect(await searchIds(store, 'reset by')).toEqual(['new']);
  } finally {
    await store.close();
  }
  checkTextIndex(path);
});

it('indexes the messages above the marker by key range, never reading every message', async () => {
  const db = new Database(':memory:');
  const ran = recordStatements(db);
  const store = new SqliteStore({ database: db });
  try {
    const messages = Array.from({ length: TEXT_INDEX_BATCH }, (_, i) =>
      entry(`p-${i}`, i, `refund ${i} failed`),
    );
    await store.insertDeadLetters({ deadLetters: messages, now: T0 });
    const indexing = [...ran].filter((sql) => /INSERT INTO redrive_dead_letter_message_text\b/.test(sql));
    expect(indexing).toHaveLength(1);
    const plan = planOf(db, indexing[0]!.replace(/^\s*INSERT INTO[^)]*\)/, ''));
    expect(plan).toEqual([
      'SEARCH redrive_dead_letter_messages USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)',
    ]);
  } finally {
    await store.close();
  }
});

it('indexes what a database of schema 20 had queued when it migrates, and searches and deletes it as before', async () => {
  const path = freshPath();
  const db = new Database(path);
  migrateSqliteSchema(db, path, SQLITE_MIGRATIONS.slice(0, 20));
  // Messages as writers of schema 20 left them: a batch indexed from the queue, then two queued.
  const add = db.prepare('INSERT INTO redrive_dead_letter_messages (message) VALUES (?)');
  const entries = [
    entry('old-1', 0, 'lock wait timeout on orders'),
    entry('old-2', 1, 'lock wait timeout on users'),
  ];
  entries.push(entry('q-1', 2, 'deadlock detected on orders'), entry('q-2', 3, 'deadlock detected on users'));
  const insert = db.prepare(
    `INSERT INTO redrive_dead_letters (id, domain, failure_type, error_message, fingerprint, attempts, metadata, status,
       max_replays, first_failed_at, dead_lettered_at, updated_at, message_id)
     VALUES (?, 'd', 'permanent', ?, 'fp', '[]', '{}', 'pending', 3, ?, ?, ?, ?)`,
  );
  entries.forEach((e, i) => {
    const messageId = Number(add.run(e.errorMessage).lastInsertRowid);
    insert.run(e.id, e.errorMessage, T0 + i, T0 + i, T0, messageId);
    if (i === 1) indexQueueAsBefore(db);
  });
  expect(db.prepare('SELECT COUNT(*) FROM redrive_dead_letter_text_queue').pluck().get()).toBe(2);
  db.close();

  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    // Everything is indexed and the marker is the newest message's id.
    expect(sides(path, 'on orders')).toEqual({ queued: 0, indexed: 2 });
    expect(await searchIds(store, 'on orders')).toEqual(['old-1', 'q-1']);
    expect(await searchIds(store, 'deadlock')).toEqual(['q-1', 'q-2']);
    await store.resolveDeadLetters({ ids: ['q-2', 'old-1'], now: T0 + 1, actor: 'test' });
    await store.transitionDeadLetters({ action: 'archive', now: T0 + 2, before: T0 + 2, limit: 10 });
    await store.purgeDeadLetters({ ids: ['q-2', 'old-1'], limit: 10, now: T0 + 3 });
    expect(await searchIds(store, 'on users')).toEqual(['old-2']);
    expect(await searchIds(store, 'deadlock')).toEqual(['q-1']);
  } finally {
    await store.close();
  }
  checkTextIndex(path);
});

it('deleting the newest message brings the marker down, so the next new message, which takes its id, is indexed', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  const marker = () => {
    const raw = new Database(path, { readonly: true });
    try {
      return raw
        .prepare('SELECT value FROM redrive_dead_letter_tally WHERE name = ?')
        .pluck()
        .get(TEXT_MARKER);
    } finally {
      raw.close();
    }
  };
  try {
    const batch = Array.from({ length: TEXT_INDEX_BATCH }, (_, i) =>
      entry(`b-${i}`, i, `payout ${i} refused`),
    );
    await store.insertDeadLetters({ deadLetters: batch, now: T0 });
    expect(marker()).toBe(TEXT_INDEX_BATCH);
    const newest = `b-${TEXT_INDEX_BATCH - 1}`;
    await store.resolveDeadLetters({ ids: [newest], now: T0 + 1, actor: 'test' });
    await store.transitionDeadLetters({
      action: 'archive',
      now: T0 + 2,
      before: T0 + 2,
      limit: 1,
      ids: [newest],
    });
    await store.purgeDeadLetters({ ids: [newest], limit: 1, now: T0 + 3 });
    expect(marker()).toBe(TEXT_INDEX_BATCH - 1);
    await store.insertDeadLetters({ deadLetters: [entry('n-1', 9000, 'mailbox unavailable')], now: T0 });
    expect(sides(path, 'mailbox')).toEqual({ queued: 1, indexed: 0 });
    expect(await searchIds(store, 'MAILBOX')).toEqual(['n-1']);
    expect(await searchIds(store, `payout ${TEXT_INDEX_BATCH - 1} `)).toEqual([]);
  } finally {
    await store.close();
  }
  checkTextIndex(path);
});
