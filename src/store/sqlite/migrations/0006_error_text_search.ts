/**
 * Error-text search: an FTS5 trigram index over `error_message` (external content: the text is
 * stored once, in the table). `LIKE '%text%'` on it reads the index for any text of three
 * characters or more, case-insensitively for ASCII, and checks each candidate against the text.
 * Kept by triggers; created (and built from existing rows) once.
 */
import { hasTable, type SqliteMigration } from './migration.js';

const TABLE_SQL = `
CREATE VIRTUAL TABLE redrive_dead_letter_text USING fts5(
  error_message, content = 'redrive_dead_letters', content_rowid = 'rowid', tokenize = 'trigram', detail = 'none'
);
INSERT INTO redrive_dead_letter_text (redrive_dead_letter_text) VALUES ('rebuild');
`;

const TRIGGERS_SQL = `
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_text_insert AFTER INSERT ON redrive_dead_letters BEGIN
  INSERT INTO redrive_dead_letter_text (rowid, error_message) VALUES (NEW.rowid, NEW.error_message);
END;
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_text_delete AFTER DELETE ON redrive_dead_letters BEGIN
  INSERT INTO redrive_dead_letter_text (redrive_dead_letter_text, rowid, error_message)
    VALUES ('delete', OLD.rowid, OLD.error_message);
END;
CREATE TRIGGER IF NOT EXISTS redrive_dead_letters_text_update AFTER UPDATE OF error_message ON redrive_dead_letters BEGIN
  INSERT INTO redrive_dead_letter_text (redrive_dead_letter_text, rowid, error_message)
    VALUES ('delete', OLD.rowid, OLD.error_message);
  INSERT INTO redrive_dead_letter_text (rowid, error_message) VALUES (NEW.rowid, NEW.error_message);
END;
`;

/** Migration 6. */
export const errorTextSearch: SqliteMigration = {
  version: 6,
  name: '0006_error_text_search',
  up(db) {
    if (!hasTable(db, 'redrive_dead_letter_text')) db.exec(TABLE_SQL);
    db.exec(TRIGGERS_SQL);
  },
};
