/**
 * The error-text index keeps no per-message token counts. FTS5 stores, beside its postings, the
 * number of tokens of every message in a table of its own (`..._docsize`), which only its ranking
 * functions (`bm25`) and `xColumnSize` read; a search here is a substring match (`LIKE`) that
 * ranks nothing. Writing that row was about 2 400 of the ~95 000 SQLite instructions of storing a
 * dead letter whose message is new. The index is rebuilt with `columnsize = 0`: the same postings,
 * the same matches.
 *
 * Messages still queued (migration 14) stay queued and out of the index, so the writer that
 * indexes the queue adds each of them once. A process of the previous release that is still
 * running writes and searches the rebuilt index as before (it only inserts, deletes and matches).
 *
 * The rebuild reads every distinct message under the migration's write lock, about 2.4 s per
 * 100,000 messages: past {@link REBUILD_LIMIT} messages, longer than other processes wait for the
 * lock (`busyTimeoutMs`, 5 s by default). A database holding more keeps its index as it is, sizes
 * included (the same matches; each new message costs those few instructions more).
 */
import type { SqliteMigration } from './migration.js';

const SQL = `
DROP TABLE redrive_dead_letter_message_text;
CREATE VIRTUAL TABLE redrive_dead_letter_message_text USING fts5(
  message, content = 'redrive_dead_letter_messages', content_rowid = 'id', tokenize = 'trigram',
  detail = 'none', columnsize = 0
);
INSERT INTO redrive_dead_letter_message_text (rowid, message)
  SELECT id, message FROM redrive_dead_letter_messages
   WHERE id NOT IN (SELECT id FROM redrive_dead_letter_text_queue);
`;

/** Distinct messages past which the index is left as it is (a rebuild takes about 0.25 s here). */
export const REBUILD_LIMIT = 10_000;

/** Migration 16. */
export const errorTextWithoutSizes: SqliteMigration = {
  version: 16,
  name: '0016_error_text_without_sizes',
  up: (db) => {
    const many =
      db.prepare('SELECT 1 FROM redrive_dead_letter_messages LIMIT 1 OFFSET ?').get(REBUILD_LIMIT) !==
      undefined;
    if (!many) db.exec(SQL);
  },
};
