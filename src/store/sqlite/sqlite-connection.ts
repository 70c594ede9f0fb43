/**
 * Opening the store's SQLite connection: the path checked, its directory created, the pragmas set
 * (WAL, `busy_timeout`, `synchronous`) and the schema migrated (migrate.ts). A connection the application
 * passes in is configured and migrated the same way but stays the application's to close.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ValidationError } from '../../core/errors.js';
import { migrateSqliteSchema } from './migrate.js';
import { translateSqliteError } from './sqlite-errors.js';
import type { SqliteStoreOptions } from './sqlite-store-options.js';

/** An open, configured and migrated connection. */
export interface SqliteConnection {
  readonly db: Database.Database;
  /** The database file path (or `:memory:`). */
  readonly path: string;
  /** Whether the store opened it (and so closes it). */
  readonly ownsDatabase: boolean;
  /** The `busy_timeout` set, in ms. */
  readonly busyTimeoutMs: number;
  /** The `synchronous` level set. */
  readonly synchronous: 'NORMAL' | 'FULL';
}

/**
 * Opens (or adopts) the connection and migrates the schema.
 *
 * @throws ValidationError for a missing path or an unknown `synchronous` or `walCheckpoint`
 * @throws StoreUnavailableError (translated) when SQLite cannot open or migrate the file
 */
export function openSqliteConnection(options: SqliteStoreOptions): SqliteConnection {
  if (!options.database && (typeof options.path !== 'string' || options.path === '')) {
    throw new ValidationError(
      'path',
      "a database file path is required (use ':memory:' explicitly for a throwaway in-memory store)",
    );
  }
  const synchronous = options.synchronous ?? 'NORMAL';
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new ValidationError('synchronous', `must be 'NORMAL' or 'FULL', got ${String(synchronous)}`);
  }
  const walCheckpoint = options.walCheckpoint ?? 'thread';
  if (walCheckpoint !== 'thread' && walCheckpoint !== 'commit') {
    throw new ValidationError('walCheckpoint', `must be 'thread' or 'commit', got ${String(walCheckpoint)}`);
  }
  const path = options.database ? options.database.name : (options.path as string);
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  const ownsDatabase = !options.database;
  let db: Database.Database | undefined = options.database;
  try {
    if (!db) {
      if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
    }
    const open = db;
    open.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (path !== ':memory:') open.pragma('journal_mode = WAL');
    open.pragma(`synchronous = ${synchronous}`);
    open.pragma('temp_store = MEMORY');
    migrateSqliteSchema(open, path);
    return { db: open, path, ownsDatabase, busyTimeoutMs, synchronous };
  } catch (error) {
    if (ownsDatabase && db?.open) db.close();
    throw translateSqliteError(error, path);
  }
}
