/**
 * The transaction wrappers of one SQLite connection: each refuses to run on a closed store and
 * translates native SQLite failures into typed errors. The job and dead-letter parts of the store
 * share one instance.
 */
import type Database from 'better-sqlite3';
import { assertOpen } from '../shared/closed.js';
import { translateSqliteError } from './sqlite-errors.js';

/** Write, snapshot and read wrappers of one connection. */
export class SqliteTransactions {
  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly isClosed: () => boolean,
    /** Called after each committed write transaction (the WAL checkpointer counts them). */
    private readonly afterWrite?: () => void,
  ) {}

  /** Runs `fn` in a write transaction that takes the lock up front (`BEGIN IMMEDIATE`). */
  write<T>(fn: () => T): T {
    assertOpen(this.isClosed(), 'SQLite', this.path);
    let result: T;
    try {
      result = this.db.transaction(fn).immediate();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
    this.afterWrite?.();
    return result;
  }

  /** Runs reads in one deferred transaction (one consistent snapshot). */
  snapshot<T>(fn: () => T): T {
    assertOpen(this.isClosed(), 'SQLite', this.path);
    try {
      return this.db.transaction(fn).deferred();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }

  /** Runs `fn` as it is (autocommit: each statement its own transaction). */
  read<T>(fn: () => T): T {
    assertOpen(this.isClosed(), 'SQLite', this.path);
    try {
      return fn();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }
}
