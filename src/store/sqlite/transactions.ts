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
  /**
   * One transaction function, wrapped once, that runs the body it is given. `db.transaction(fn)`
   * builds four wrappers and defines five properties on each: ~61k instructions per call against
   * ~17k for a one-row insert's whole transaction (callgrind), paid on every write.
   */
  private readonly inTransaction: Database.Transaction<(body: () => unknown) => unknown>;

  constructor(
    db: Database.Database,
    private readonly path: string,
    private readonly isClosed: () => boolean,
    /** Called after each committed write transaction (the WAL checkpointer counts them). */
    private readonly afterWrite?: () => void,
  ) {
    this.inTransaction = db.transaction((body: () => unknown) => body());
  }

  /** Runs `fn` in a write transaction that takes the lock up front (`BEGIN IMMEDIATE`). */
  write<T>(fn: () => T): T {
    assertOpen(this.isClosed(), 'SQLite', this.path);
    let result: T;
    try {
      result = this.inTransaction.immediate(fn) as T;
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
      return this.inTransaction.deferred(fn) as T;
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
