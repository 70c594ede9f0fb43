/**
 * Error-text indexing behind the writes. A new message used to enter the trigram index by trigger,
 * inside the statement that added it; FTS5 writes what it holds to disk at every statement of a
 * transaction, so each message became an index segment of its own, merged again and again: about
 * half of what storing an entry with a message of its own cost. Now the trigger only queues the new
 * message in `redrive_dead_letter_text_queue` (writers of every version queue theirs the same way),
 * the writer indexes the queue in one statement once it is long enough (dead-letter-messages.ts),
 * and a search reads the index and the queued messages both, so its results are exact either way.
 * Deleting a message takes it out of whichever of the two holds it.
 */
import type { SqliteMigration } from './migration.js';

const SQL = `
CREATE TABLE redrive_dead_letter_text_queue (id INTEGER PRIMARY KEY);
DROP TRIGGER redrive_dead_letter_messages_insert;
CREATE TRIGGER redrive_dead_letter_messages_insert AFTER INSERT ON redrive_dead_letter_messages BEGIN
  INSERT INTO redrive_dead_letter_text_queue (id) VALUES (NEW.id);
END;
DROP TRIGGER redrive_dead_letter_messages_delete;
CREATE TRIGGER redrive_dead_letter_messages_delete AFTER DELETE ON redrive_dead_letter_messages BEGIN
  INSERT INTO redrive_dead_letter_message_text (redrive_dead_letter_message_text, rowid, message)
    SELECT 'delete', OLD.id, OLD.message
     WHERE NOT EXISTS (SELECT 1 FROM redrive_dead_letter_text_queue WHERE id = OLD.id);
  DELETE FROM redrive_dead_letter_text_queue WHERE id = OLD.id;
END;
`;

/** Migration 14. */
export const errorTextQueue: SqliteMigration = {
  version: 14,
  name: '0014_error_text_queue',
  up: (db) => db.exec(SQL),
};
