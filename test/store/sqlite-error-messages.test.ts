/**
 * The SQLite dead-letter queue stores and text-indexes each distinct error message once
 * (migration 9): a storm of one message adds one message row, search finds every entry through
 * it, deleting the last entry of a message deletes the message, and a database from before the
 * migration gets its messages linked on open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const T0 = Date.UTC(2026, 0, 1);
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function freshPath(): string {
  dir = mkdtempSync(join(tmpdir(), 'redrive-messages-'));
  return join(dir, 'dlq.db');
}

function messageRows(path: string): { message: string; entries: number }[] {
  const raw = new Database(path, { readonly: true });
  try {
    return raw
      .prepare(
        `SELECT m.message, (SELECT COUNT(*) FROM redrive_dead_letters d WHERE d.message_id = m.id) AS entries
           FROM redrive_dead_letter_messages m ORDER BY m.message`,
      )
      .all() as { message: string; entries: number }[];
  } finally {
    raw.close();
  }
}

it('stores a storm of one message once and finds every entry of it by text', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    const storm = Array.from({ length: 120 }, (_, i) =>
      standaloneDeadLetter(`s-${i}`, T0 + i, { errorMessage: 'payment provider refused the charge' }),
    );
    for (let i = 0; i < storm.length; i += 50) {
      await store.insertDeadLetters({ deadLetters: storm.slice(i, i + 50), now: T0 });
    }
    await store.insertDeadLetters({
      deadLetters: [standaloneDeadLetter('other', T0, { errorMessage: 'mailbox full' })],
      now: T0,
    });
    expect(messageRows(path)).toEqual([
      { message: 'mailbox full', entries: 1 },
      { message: 'payment provider refused the charge', entries: 120 },
    ]);
    const found = await store.listDeadLetters({ errorText: 'REFUSED the', limit: 200, withTotal: true });
    expect(found.items).toHaveLength(120);
    expect((await store.listDeadLetters({ errorText: 'mailbox', limit: 10 })).items.map((d) => d.id)).toEqual(
      ['other'],
    );
  } finally {
    await store.close();
  }
});

it('deletes a message with its last entry, and finds nothing by its text after', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    await store.insertDeadLetters({
      deadLetters: [
        standaloneDeadLetter('a', T0, { errorMessage: 'disk quota exceeded' }),
        standaloneDeadLetter('b', T0 + 1, { errorMessage: 'disk quota exceeded' }),
      ],
      now: T0,
    });
    await store.resolveDeadLetters({ ids: ['a', 'b'], now: T0 + 2, actor: 'test' });
    await store.transitionDeadLetters({ action: 'archive', now: T0 + 3, before: T0 + 3, limit: 10 });
    await store.purgeDeadLetters({ ids: ['a'], limit: 10, now: T0 + 4 });
    expect(messageRows(path)).toEqual([{ message: 'disk quota exceeded', entries: 1 }]);
    await store.purgeDeadLetters({ ids: ['b'], limit: 10, now: T0 + 4 });
    expect(messageRows(path)).toEqual([]);
    expect((await store.listDeadLetters({ errorText: 'quota', limit: 10 })).items).toEqual([]);
  } finally {
    await store.close();
  }
});

it('links the entries of a database from before the migration to their messages on open', async () => {
  // Two entries written by today's store, copied into a database built by migrations 1-8 only
  // (as a release before messages were stored once wrote it): every column of that schema.
  const path = freshPath();
  const current = join(dir!, 'current.db');
  const store = new SqliteStore({ path: current, pollIntervalMs: 0 });
  await store.insertDeadLetters({
    deadLetters: [
      standaloneDeadLetter('old-1', T0, { errorMessage: 'connection reset by peer' }),
      standaloneDeadLetter('old-2', T0 + 1, { errorMessage: 'connection reset by peer' }),
    ],
    now: T0,
  });
  await store.close();
  const raw = new Database(path);
  migrateSqliteSchema(raw, path, SQLITE_MIGRATIONS.slice(0, 8));
  const columns = raw
    .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
    .all('redrive_dead_letters')
    .map((c) => `"${c.name}"`)
    .join(', ');
  raw.prepare('ATTACH DATABASE ? AS current').run(current);
  raw.exec(`INSERT INTO redrive_dead_letters (${columns})
            SELECT ${columns} FROM current.redrive_dead_letters`);
  raw.exec('DETACH DATABASE current');
  raw.close();

  const reopened = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect(messageRows(path)).toEqual([{ message: 'connection reset by peer', entries: 2 }]);
    const found = await reopened.listDeadLetters({ errorText: 'reset by', limit: 10 });
    expect(found.items.map((d) => d.id).sort()).toEqual(['old-1', 'old-2']);
  } finally {
    await reopened.close();
  }
});
