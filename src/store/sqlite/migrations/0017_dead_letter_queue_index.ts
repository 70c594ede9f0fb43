/**
 * The `(queue, dead_lettered_at)` index holds only entries that have a queue. A dead letter stored
 * through `DeadLetterQueue.store()` without one (a failure outside a job) was an index entry under
 * NULL that no read ever looks for: a list filtered by queue asks for `queue = ?`, which a NULL
 * never equals, and SQLite uses a partial index `WHERE queue IS NOT NULL` for it all the same. That
 * entry was about 6 000 of the SQLite instructions of storing such a dead letter (its place is in
 * the middle of the index, so its leaf is rebalanced with its neighbours as it fills) and several
 * pages of every commit. Reads, their order and their plans are unchanged.
 *
 * The index is rebuilt (one pass over the dead letters, under the migration's write lock: a few
 * seconds at a million). A process of the previous release that is still running reads and writes
 * the new index as it did the old one (the name is the same).
 */
import type { SqliteMigration } from './migration.js';

const SQL = `
DROP INDEX redrive_dead_letters_queue_time;
CREATE INDEX redrive_dead_letters_queue_time ON redrive_dead_letters (queue, dead_lettered_at DESC)
  WHERE queue IS NOT NULL;
`;

/** Migration 17. */
export const deadLetterQueueIndex: SqliteMigration = {
  version: 17,
  name: '0017_dead_letter_queue_index',
  up: (db) => db.exec(SQL),
};
