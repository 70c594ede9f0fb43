/**
 * SQLite's error-text index merges its segments sixteen at a time (migration 22): a database of
 * schema 21 gets the setting without losing an entry or a match, keeps more segments than FTS5's
 * default of four would, and every search still returns exactly the entries whose message holds
 * the text (FTS5's integrity check of the index against the messages passes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import type { NewDeadLetter } from '../../src/core/dead-letter.js';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { AUTOMERGE, CRISIS_MERGE } from '../../src/store/sqlite/migrations/0022_error_text_merge_policy.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteDeadLetters } from '../../src/store/sqlite/sqlite-dead-letters.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { checkTextIndex, searchIds } from '../support/sqlite-text-index.js';

const T0 = Date.UTC(2026, 0, 1);
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The index's configuration rows (`automerge`, `crisismerge`, ...) and its number of segments. */
function textIndex(path: string): { config: Record<string, unknown>; segments: number } {
  const raw = new Database(path, { readonly: true });
  try {
    const rows = raw.prepare('SELECT k, v FROM redrive_dead_letter_message_text_config').all() as {
      k: string;
      v: unknown;
    }[];
    const segments = raw
      .prepare('SELECT COUNT(DISTINCT segid) FROM redrive_dead_letter_message_text_idx')
      .pluck()
      .get() as number;
    return { config: Object.fromEntries(rows.map((r) => [r.k, r.v])), segments };
  } finally {
    raw.close();
  }
}

/** Entries `from` to `from + n - 1`, each with a message of its own. */
function entries(from: number, n: number): NewDeadLetter[] {
  return Array.from({ length: n }, (_, k) =>
    standaloneDeadLetter(`dl-${from + k}`, T0 + from + k, { errorMessage: `order ${from + k} declined` }),
  );
}

it('merges the error-text segments of a database of schema 21 sixteen at a time, and every search stays exact', async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-text-merge-'));
  const path = join(dir, 'dlq.db');
  const db = new Database(path);
  migrateSqliteSchema(db, path, SQLITE_MIGRATIONS.slice(0, 21));
  const writer = new SqliteDeadLetters(db, { path });
  await writer.insertDeadLetters({ deadLetters: entries(0, 300), now: T0 });
  db.close();
  checkTextIndex(path);
  expect(textIndex(path).config).not.toHaveProperty('automerge');

  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect(textIndex(path).config).toMatchObject({ automerge: AUTOMERGE, crisismerge: CRISIS_MERGE });
    expect((await store.listDeadLetters({ limit: 0 })).total).toBe(300);
    // One segment per indexing: forty more. FTS5's default (four at a time) leaves 11 of the 41.
    for (let round = 0; round < 40; round++) {
      await store.insertDeadLetters({ deadLetters: entries(300 + round * 20, 20), now: T0 });
      checkTextIndex(path);
    }
    expect(textIndex(path).segments).toBeGreaterThanOrEqual(AUTOMERGE);
    const all = entries(0, 1100);
    for (const text of ['order 1', 'order 99 ', '7 declined', 'order 1099']) {
      const expected = all
        .filter((d) => d.errorMessage.includes(text))
        .map((d) => d.id)
        .sort();
      expect(await searchIds(store, text), text).toEqual(expected);
    }
  } finally {
    await store.close();
  }
  checkTextIndex(path);
});
