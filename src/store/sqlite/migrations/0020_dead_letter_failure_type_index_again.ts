/**
 * The `(failure_type, dead_lettered_at)` index of migration 7, created again where an earlier build
 * of migration 18 had dropped it. Without it a failure type was read through the failure groups
 * that hold it (per-fingerprint counters, then the fingerprint index): exact and fast while the type
 * is common inside its groups, but a type rare inside large groups either walked every entry of
 * those groups (88 ms of CPU for a first page at a million entries, more for larger groups) or gave
 * a partial page from a bounded scan, where Redis and PostgreSQL answer exactly from an index. The
 * index costs about 6 200 SQLite instructions per stored dead letter (7 %).
 *
 * A database that kept the index (every database that never ran that build) is left alone. One
 * that lost it builds it again under the migration's write lock: about 0.7 s per 100,000 entries,
 * so at a million entries (~7 s) other processes opening the file wait past their 5 s busy
 * timeout: open such a database first with the other processes stopped (the first process to open
 * the file applies the migration).
 */
import type { SqliteMigration } from './migration.js';

/** Migration 20. */
export const deadLetterFailureTypeIndexAgain: SqliteMigration = {
  version: 20,
  name: '0020_dead_letter_failure_type_index_again',
  up: (db) =>
    db.exec(
      'CREATE INDEX IF NOT EXISTS redrive_dead_letters_failure_type_time ON redrive_dead_letters (failure_type, dead_lettered_at DESC)',
    ),
};
