/**
 * The indexes of dead-letter lists filtered by queue, entity, failure type or fingerprint, newest
 * first; they replace the single-column indexes of the first schema.
 */
import type { SqliteMigration } from './migration.js';

const SQL = `
CREATE INDEX IF NOT EXISTS redrive_dead_letters_queue_time ON redrive_dead_letters (queue, dead_lettered_at DESC);
CREATE INDEX IF NOT EXISTS redrive_dead_letters_entity_time ON redrive_dead_letters (entity_id, dead_lettered_at DESC)
  WHERE entity_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS redrive_dead_letters_failure_type_time ON redrive_dead_letters (failure_type, dead_lettered_at DESC);
CREATE INDEX IF NOT EXISTS redrive_dead_letters_fingerprint_time ON redrive_dead_letters (fingerprint, dead_lettered_at DESC);
DROP INDEX IF EXISTS redrive_dead_letters_fingerprint;
DROP INDEX IF EXISTS redrive_dead_letters_queue;
`;

/** Migration 7. */
export const deadLetterReadIndexes: SqliteMigration = {
  version: 7,
  name: '0007_dead_letter_read_indexes',
  up: (db) => db.exec(SQL),
};
