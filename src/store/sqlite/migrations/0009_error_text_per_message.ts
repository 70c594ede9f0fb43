/**
 * Error-text search over each distinct message once. A failure storm stores thousands of dead
 * letters with the same message; indexing every copy cost the FTS5 trigram index a posting per
 * trigram per entry, more than half of a dead letter's insert. Now the distinct messages live in
 * `redrive_dead_letter_messages` with their own trigram index, and each entry names its message by
 * `message_id` (indexed), so a storm inserts one message row and index entry in all, and a search
 * reads the matching messages, then their entries. `error_message` stays on the entry (reads and
 * the exact, escaped LIKE are unchanged).
 *
 * Kept by triggers: a message is indexed when inserted and unindexed when deleted; deleting the
 * last entry of a message deletes the message; changing an entry's `error_message` links it to
 * that message. The entry-level index and its triggers (migration 6) are dropped.
 */
import { addMissingColumns, hasTable, type SqliteMigration } from './migration.js';

/** The messages, their index, and every existing entry linked to its message. */
const MESSAGES_SQL = `
CREATE TABLE redrive_dead_letter_messages (
  id      INTEGER PRIMARY KEY,
  message TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE redrive_dead_letter_message_text USING fts5(
  message, content = 'redrive_dead_letter_messages', content_rowid = 'id', tokenize = 'trigram', detail = 'none'
);
INSERT INTO redrive_dead_letter_messages (message) SELECT DISTINCT error_message FROM redrive_dead_letters;
UPDATE redrive_dead_letters
   SET message_id = (SELECT id FROM redrive_dead_letter_messages WHERE message = error_message);
INSERT INTO redrive_dead_letter_message_text (redrive_dead_letter_message_text) VALUES ('rebuild');
`;

/** The entry index and the triggers, in place of the entry-level text index of migration 6. */
const SQL = `
CREATE INDEX IF NOT EXISTS redrive_dead_letters_message ON redrive_dead_letters (message_id);

DROP TRIGGER IF EXISTS redrive_dead_letters_text_insert;
DROP TRIGGER IF EXISTS redrive_dead_letters_text_delete;
DROP TRIGGER IF EXISTS redrive_dead_letters_text_update;
DROP TABLE IF EXISTS redrive_dead_letter_text;

CREATE TRIGGER IF NOT EXISTS redrive_dead_letter_messages_insert AFTER INSERT ON redrive_dead_letter_messages BEGIN
  INSERT INTO redrive_dead_letter_message_text (rowid, message) VALUES (NEW.id, NEW.message);
END;
CREATE TRIGGER IF NOT EXISTS redrive_dead_letter_messages_delete AFTER DELETE ON redrive_dead_letter_messages BEGIN
  INSERT INTO redrive_dead_letter_message_text (redrive_dead_letter_message_text, rowid, message)
    VALUES ('delete', OLD.id, OLD.message);
END;
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_message_delete AFTER DELETE ON redrive_dead_letters
  WHEN NOT EXISTS (SELECT 1 FROM redrive_dead_letters WHERE message_id = OLD.message_id) BEGIN
  DELETE FROM redrive_dead_letter_messages WHERE id = OLD.message_id;
END;
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_message_update AFTER UPDATE OF error_message ON redrive_dead_letters
  WHEN OLD.error_message IS NOT NEW.error_message BEGIN
  INSERT INTO redrive_dead_letter_messages (message) VALUES (NEW.error_message) ON CONFLICT (message) DO NOTHING;
  UPDATE redrive_dead_letters
     SET message_id = (SELECT id FROM redrive_dead_letter_messages WHERE message = NEW.error_message)
   WHERE rowid = NEW.rowid;
  DELETE FROM redrive_dead_letter_messages
   WHERE id = OLD.message_id AND NOT EXISTS (SELECT 1 FROM redrive_dead_letters WHERE message_id = OLD.message_id);
END;
`;

/** Migration 9. */
export const errorTextPerMessage: SqliteMigration = {
  version: 9,
  name: '0009_error_text_per_message',
  // Idempotent like migrations 1 to 8, so that it also tolerates a database whose recorded version
  // understates what it holds.
  up(db) {
    addMissingColumns(db, 'redrive_dead_letters', [['message_id', 'INTEGER']]);
    if (!hasTable(db, 'redrive_dead_letter_messages')) db.exec(MESSAGES_SQL);
    db.exec(SQL);
  },
};
