/**
 * Error-text indexing from a marker instead of a queue. Since migration 14 a trigger queued every
 * new message in `redrive_dead_letter_text_queue` (a trigger program and a row per message), and
 * the writer indexed the queue, then deleted it, once it was long enough. Messages get their ids in
 * insertion order (`INTEGER PRIMARY KEY`, the largest id plus one), so the messages not indexed yet
 * are exactly those above the last id indexed: the marker (`message_text_indexed_through` in
 * `redrive_dead_letter_tally`) is all a writer needs, and it indexes the messages above it in one
 * statement that reads them by key range. A search reads the index and that same tail (see
 * dead-letter-filter.ts), so its results stay exact.
 *
 * Deleting a message takes it out of the index when it is at or below the marker. Deleting the
 * message with the largest id lets the next new message take that id again; the marker then comes
 * down to the largest id left, so the new message counts as not indexed.
 *
 * The queue is indexed here (under the migration's write lock: at most a few batches of messages)
 * and left empty. The table stays: a process of the previous release that is still running prepares
 * statements against it. Such a process no longer queues its new messages (the trigger is gone);
 * they are indexed by the next writer of this release that indexes, and until then its own searches
 * do not see them (searches of this release do).
 */
import type { SqliteMigration } from './migration.js';

/** The `redrive_dead_letter_tally` row holding the largest message id the trigram index covers. */
export const TEXT_MARKER = 'message_text_indexed_through';

const SQL = `
INSERT INTO redrive_dead_letter_message_text (rowid, message)
  SELECT redrive_dead_letter_messages.id, message FROM redrive_dead_letter_text_queue
   CROSS JOIN redrive_dead_letter_messages ON redrive_dead_letter_messages.id = redrive_dead_letter_text_queue.id;
DELETE FROM redrive_dead_letter_text_queue;
INSERT INTO redrive_dead_letter_tally (name, value)
  VALUES ('${TEXT_MARKER}', COALESCE((SELECT MAX(id) FROM redrive_dead_letter_messages), 0))
  ON CONFLICT (name) DO UPDATE SET value = excluded.value;
DROP TRIGGER redrive_dead_letter_messages_insert;
DROP TRIGGER redrive_dead_letter_messages_delete;
CREATE TRIGGER redrive_dead_letter_messages_delete AFTER DELETE ON redrive_dead_letter_messages BEGIN
  INSERT INTO redrive_dead_letter_message_text (redrive_dead_letter_message_text, rowid, message)
    SELECT 'delete', OLD.id, OLD.message
     WHERE OLD.id <= (SELECT value FROM redrive_dead_letter_tally WHERE name = '${TEXT_MARKER}');
  UPDATE redrive_dead_letter_tally SET value = COALESCE((SELECT MAX(id) FROM redrive_dead_letter_messages), 0)
   WHERE name = '${TEXT_MARKER}' AND value > COALESCE((SELECT MAX(id) FROM redrive_dead_letter_messages), 0);
END;
`;

/** Migration 21. */
export const errorTextMarker: SqliteMigration = {
  version: 21,
  name: '0021_error_text_marker',
  up: (db) => db.exec(SQL),
};
