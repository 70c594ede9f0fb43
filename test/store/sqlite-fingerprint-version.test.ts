/**
 * A database written before fingerprints were versioned gets the column on open, and its records
 * read back as version 1 (the algorithm that computed them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { standaloneDeadLetter } from '../conformance/dead-letter-fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

it('adds fingerprint_version to an older database; its records are version 1', async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-fpv-'));
  const path = join(dir, 'old.db');
  const first = new SqliteStore({ path, pollIntervalMs: 0 });
  await first.insertDeadLetters({
    deadLetters: [standaloneDeadLetter('old-1', T0, { fingerprintVersion: 7 })],
    now: T0,
  });
  await first.close();
  const raw = new Database(path);
  raw.exec('ALTER TABLE redrive_dead_letters DROP COLUMN fingerprint_version');
  // Such databases recorded version 1 (the column came with a later migration).
  raw.prepare('UPDATE redrive_schema SET version = 1').run();
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
