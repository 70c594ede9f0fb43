/**
 * The prepared-statement type of the SQLite store. An interface of its own (rather than
 * better-sqlite3's alias) so that declaration files can name the statement maps built from it.
 */
import type Database from 'better-sqlite3';

/** A better-sqlite3 prepared statement, as the store uses it. */
export interface SqliteStatement extends Database.Statement<unknown[], unknown> {}
