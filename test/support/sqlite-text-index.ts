/**
 * Checks of the SQLite error-text index for the tests that change how messages are indexed.
 */
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { TEXT_MARKER } from '../../src/store/sqlite/migrations/0021_error_text_marker.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** Indexes the messages above the marker (as a writer does), then runs FTS5's check of the index against the messages. */
export function checkTextIndex(path: string): void {
  const raw = new Database(path);
  try {
    raw.exec(`INSERT INTO redrive_dead_letter_message_text (rowid, message)
                SELECT id, message FROM redrive_dead_letter_messages
                 WHERE id > (SELECT value FROM redrive_dead_letter_tally WHERE name = '${TEXT_MARKER}');
              UPDATE redrive_dead_letter_tally SET value = (SELECT COALESCE(MAX(id), 0) FROM redrive_dead_letter_messages)
               WHERE name = '${TEXT_MARKER}';
              INSERT INTO redrive_dead_letter_message_text (redrive_dead_letter_message_text) VALUES ('integrity-check');`);
  } finally {
    raw.close();
  }
}

/**
 * Indexes the queue of a database of schema 14 to 20 the way its writers did (the writer of today
 * indexes from the marker of migration 21, which such a database does not have yet).
 */
export function indexQueueAsBefore(db: Database.Database): void {
  db.exec(`INSERT INTO redrive_dead_letter_message_text (rowid, message)
             SELECT m.id, m.message FROM redrive_dead_letter_text_queue q JOIN redrive_dead_letter_messages m ON m.id = q.id;
           DELETE FROM redrive_dead_letter_text_queue;`);
}

/** The ids a search for `text` finds (sorted), after checking its total. */
export async function searchIds(store: SqliteStore, text: string): Promise<string[]> {
  const page = await store.listDeadLetters({ errorText: text, limit: 5000, withTotal: true });
  expect(page.total).toBe(page.items.length);
  return page.items.map((d) => d.id).sort();
}
