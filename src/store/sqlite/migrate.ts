/**
 * Schema migrations of the SQLite store: the numbered files in `./migrations/`, applied in order in
 * one `BEGIN IMMEDIATE` transaction (so two processes opening the file at once apply them once),
 * the version reached recorded in `redrive_schema`. A database written by a newer redrive is
 * refused with a clear error instead of being used half-understood.
 *
 * The version lives in a table of redrive's own: `PRAGMA user_version` belongs to the application
 * (many migration tools keep their own version there), and a store opened on the application's
 * connection (`SqliteStore({ database })`) must never read or write it.
 */
import type Database from 'better-sqlite3';
import { ValidationError } from '../../core/errors.js';
import { SQLITE_MIGRATIONS } from './migrations/index.js';
import type { SqliteMigration } from './migrations/migration.js';

/** The schema version this code writes and reads. */
export function latestSqliteSchemaVersion(migrations = SQLITE_MIGRATIONS): number {
  return migrations.at(-1)?.version ?? 0;
}

/** What {@link migrateSqliteSchema} did. */
export interface SqliteMigrationResult {
  /** The version before. 0 for a new database. */
  from: number;
  /** The version now. */
  to: number;
  /** Names of the migrations applied. */
  applied: string[];
}

const VERSION_TABLE_SQL = `CREATE TABLE IF NOT EXISTS redrive_schema (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
)`;

/**
 * The recorded version: the `redrive_schema` row, else 1 for a database of the first releases
 * (redrive's tables but no version table: they kept the version, always 1, in `user_version`,
 * which is never read here), else 0 (a new database).
 */
function storedVersion(db: Database.Database): number {
  const hasVersionTable =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'redrive_schema'").get() !==
    undefined;
  if (hasVersionTable) {
    const version = db.prepare('SELECT version FROM redrive_schema WHERE id = 1').pluck().get() as
      | number
      | undefined;
    if (version !== undefined) return version;
  }
  const hasJobs =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'redrive_jobs'").get() !==
    undefined;
  return hasJobs ? 1 : 0;
}

function refuseNewer(version: number, latest: number, path: string): void {
  if (version > latest) {
    throw new ValidationError(
      'path',
      `${path} was written by a newer redrive (schema ${version}, this one knows ${latest}); upgrade redrive, or open another file`,
    );
  }
}

/**
 * Applies the migrations `db` lacks and records the version reached. A database already at the
 * latest version is only read (so a read-only file opens too).
 *
 * @throws ValidationError naming `path` when the database was written by a newer redrive
 */
export function migrateSqliteSchema(
  db: Database.Database,
  path: string,
  migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS,
): SqliteMigrationResult {
  const latest = latestSqliteSchemaVersion(migrations);
  const before = storedVersion(db);
  refuseNewer(before, latest, path);
  if (before === latest) return { from: before, to: latest, applied: [] };
  return db
    .transaction((): SqliteMigrationResult => {
      // Read again under the write lock: another process may have migrated meanwhile.
      const from = storedVersion(db);
      refuseNewer(from, latest, path);
      const pending = migrations.filter((m) => m.version > from);
      for (const migration of pending) migration.up(db);
      db.exec(VERSION_TABLE_SQL);
      db.prepare(
        'INSERT INTO redrive_schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
      ).run(latest);
      return { from, to: latest, applied: pending.map((m) => m.name) };
    })
    .immediate();
}
