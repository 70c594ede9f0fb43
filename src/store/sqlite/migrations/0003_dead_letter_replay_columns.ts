/**
 * Dead-letter columns added after the first schema: the replay ledger (what an entry was replayed
 * from, when its replay started and last ran, its last error and job) and the fingerprint version.
 */
import { addMissingColumns, type SqliteMigration } from './migration.js';

/** Migration 3. */
export const deadLetterReplayColumns: SqliteMigration = {
  version: 3,
  name: '0003_dead_letter_replay_columns',
  up(db) {
    addMissingColumns(db, 'redrive_dead_letters', [
      ['replay_of', 'TEXT'],
      ['replay_started_at', 'INTEGER'],
      ['last_replay_at', 'INTEGER'],
      ['last_replay_error', 'TEXT'],
      ['replay_job_id', 'TEXT'],
      // Records from before versioned fingerprints were grouped by version 1.
      ['fingerprint_version', 'INTEGER NOT NULL DEFAULT 1'],
    ]);
  },
};
