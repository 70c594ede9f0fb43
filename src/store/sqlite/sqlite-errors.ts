/**
 * Turns native SQLite failures into typed errors with a message a person can act on, so that a
 * corrupt or read-only database never surfaces as a native stack.
 */
import { RedriveError, StoreUnavailableError } from '../../core/errors.js';

const EXPLANATIONS: Record<string, string> = {
  SQLITE_NOTADB: 'the file is not a SQLite database (or it is encrypted or corrupt)',
  SQLITE_CORRUPT: 'the database file is corrupt; restore it from a backup or run PRAGMA integrity_check',
  SQLITE_CANTOPEN: 'the database file cannot be opened; check that the directory exists and is writable',
  SQLITE_READONLY: 'the database is read-only; check file permissions and the mount',
  SQLITE_FULL: 'the disk is full; free space and retry (no data was changed by the failed call)',
  SQLITE_IOERR: 'an I/O error occurred while accessing the database file',
  SQLITE_BUSY: 'the database stayed locked by another connection longer than busy_timeout',
  SQLITE_LOCKED: 'the database table is locked by another statement on this connection',
  SQLITE_PERM: 'permission denied while accessing the database file',
  // Creating the database's directory (before SQLite runs) fails with file-system codes.
  ENOTDIR: 'a parent of the database path is a file, not a directory',
  EEXIST: 'a parent of the database path exists and is not a directory',
  EACCES: 'permission denied creating the database directory or file',
  EPERM: 'permission denied creating the database directory or file',
  EROFS: 'the file system holding the database is read-only',
  ENOSPC: 'the disk is full; free space and retry',
};

function explanationFor(code: string): string | undefined {
  if (EXPLANATIONS[code]) return EXPLANATIONS[code];
  const base = Object.keys(EXPLANATIONS).find((prefix) => code.startsWith(`${prefix}_`));
  return base ? EXPLANATIONS[base] : undefined;
}

/** Wraps an infrastructure error from SQLite in a {@link StoreUnavailableError}; returns others unchanged. */
export function translateSqliteError(error: unknown, path: string): unknown {
  if (error instanceof RedriveError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  const explanation = explanationFor(code);
  if (!explanation) return error;
  return new StoreUnavailableError(`SQLite store at ${path}: ${explanation} (${code})`, {
    cause: error,
    details: { sqliteCode: code, path },
  });
}
