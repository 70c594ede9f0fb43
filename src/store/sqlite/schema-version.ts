/**
 * Where redrive records the version of its SQLite schema: a table of its own. `PRAGMA user_version`
 * belongs to the application (many migration tools keep their own version there), and a store opened
 * on the application's connection (`SqliteStore({ database })`) must never read or write it.
 */
import type Database from 'better-sqlite3';
import { ValidationError } from '../../core/errors.js';

const VERSION_TABLE_SQL = `CREATE TABLE IF NOT EXISTS redrive_schema (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
)`;

function hasRedriveTables(db: Database.Database): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'redrive_jobs'").get() !==
    undefined
  );
}

/**
 * Applies redrive's schema (`apply`, idempotent) and records `current` as its version, after
 * refusing a database written by a newer redrive. A database created by the first releases, which
 * kept the version in `user_version` (always 1), is adopted as version 1; `user_version` itself is
 * never read or written.
 *
 * @throws ValidationError naming `path` when the database was written by a newer redrive
 */
export function applySchema(db: Database.Database, path: string, current: number, apply: () => void): void {
  const existed = hasRedriveTables(db);
  db.exec(VERSION_TABLE_SQL);
  const stored = db.prepare('SELECT version FROM redrive_schema WHERE id = 1').pluck().get() as
    | number
    | undefined;
  const version = stored ?? (existed ? 1 : current);
  if (version > current) {
    throw new ValidationError(
      'path',
      `${path} was written by a newer redrive (schema ${version}, this one knows ${current})`,
    );
  }
  apply();
  if (stored === current) return; // nothing to write: a read-only database opens too
  db.prepare(
    'INSERT INTO redrive_schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version WHERE excluded.version > version',
  ).run(current);
}
