/**
 * A database written before fingerprints were versioned gets the column on open, and its records
 * read back as version 1 (the algorithm that computed them).
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

it('adds fingerprint_version to an older database; its records are version 1', async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-fpv-'));
  const path = join(dir, 'old.db');
  // A database from before fingerprint versions: migrations 1 and 2, without the column.
  const raw = new Database(path);
  migrateSqliteSchema(raw, path, SQLITE_MIGRATIONS.slice(0, 2));
  raw.exec('ALTER TABLE redrive_dead_letters DROP COLUMN fingerprint_version');
  raw
    .prepare(
      `INSERT INTO redrive_dead_letters (id, queue, domain, failure_type, error_message, fingerprint, attempts,
         metadata, status, max_replays, first_failed_at, dead_lettered_at, updated_at)
       VALUES ('old-1', 'q', 'default', 'unknown', 'boom', 'fp-old', '[]', '{}', 'pending', 3, ?, ?, ?)`,
    )
    .run(T0, T0, T0);
  raw.close();

  const reopened = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect((await reopened.getDeadLetter({ id: 'old-1' }))?.fingerprintVersion).toBe(1);
    await reopened.insertDeadLetters({
      deadLetters: [standaloneDeadLetter('new-1', T0 + 1, { fingerprintVersion: 2 })],
      now: T0 + 1,
    });
    expect((await reopened.getDeadLetter({ id: 'new-1' }))?.fingerprintVersion).toBe(2);
  } finally {
    await reopened.close();
  }
});
