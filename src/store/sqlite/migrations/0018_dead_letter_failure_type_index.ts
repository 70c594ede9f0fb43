/**
 * One index fewer for every dead letter written: `(failure_type, dead_lettered_at)` is dropped. A
 * list filtered by failure type now finds the failure groups holding that type in the
 * per-fingerprint counters (migration 5) and reads their entries through
 * `(fingerprint, dead_lettered_at)`, in time order (dead-letter-failure-type.ts). Every entry sat
 * at the front of its failure type's run in the dropped index, where a filling leaf is rebalanced
 * with its neighbours: about a tenth of the SQLite instructions of storing a dead letter.
 *
 * Dropping the index frees its pages under the migration's write lock (about 0.05 s per 100,000
 * entries). A process of the previous release that is still running lists a failure type by
 * walking the time index and testing each entry (correct, slower for a rare type) until upgraded.
 */
import type { SqliteMigration } from './migration.js';

/** Migration 18. */
export const deadLetterFailureTypeIndex: SqliteMigration = {
  version: 18,
  name: '0018_dead_letter_failure_type_index',
  up: (db) => db.exec('DROP INDEX IF EXISTS redrive_dead_letters_failure_type_time'),
};
