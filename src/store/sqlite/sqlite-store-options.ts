/**
 * The options of the SQLite store: where the database is, how durable its commits are, and how
 * dead-letter queries may use it.
 */
import type Database from 'better-sqlite3';

/** Options of `SqliteStore`. */
export interface SqliteStoreOptions {
  /** Database file (required unless `database` is given); its directory is created if missing. `:memory:` for a throwaway in-memory store. */
  path?: string;
  /**
   * An open better-sqlite3 connection owned by the application. Jobs added with `Queue.addSync`
   * then join the application's own transactions. The store does not close it.
   */
  database?: Database.Database;
  /** `NORMAL` (default: durable across process crashes, may lose the last commits on power loss) or `FULL`. */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * Where WAL checkpoints run. `'thread'` (default): once the store's WAL has reached SQLite's
   * checkpoint threshold (4 MB), a worker thread with its own connection copies the WAL back into the
   * database file, off the thread that runs jobs; the store's commits checkpoint only if the WAL
   * passes 16 MB. `'commit'`: SQLite's default, inside the commit that takes the WAL past 4 MB.
   * A connection passed as `database` always keeps the application's setting.
   */
  walCheckpoint?: 'thread' | 'commit';
  /** How long a write waits for another process's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** How often idle watchers look for other processes' commits. Default 5 ms; 0 disables. */
  pollIntervalMs?: number;
  /**
   * Rows of job events kept for `QueueEvents` listeners to resume from (about: trimmed every 100
   * rows), each row one queue's batch of events from one worker. Default 10 000.
   */
  eventRetention?: number;
  /**
   * JSON paths of dead letters that filters use often (`payload.customerId`, `metadata.region`):
   * each gets an expression index, so a `payload.<path>` filter reads its first page from the
   * index instead of a bounded scan. Each index costs a little on every dead-letter insert.
   */
  indexedPaths?: readonly string[];
  /**
   * Most candidates a dead-letter query examines for a condition no index serves (an undeclared
   * JSON path, a search text under three characters). Default 20 000.
   */
  scanBudget?: number;
}
