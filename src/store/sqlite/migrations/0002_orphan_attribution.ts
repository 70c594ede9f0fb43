/**
 * Orphan attribution (see sqlite-orphans.ts): job columns
 * - `suspect`: orphaned while running; claimed only alone, in quarantine, until it finishes;
 * - `start_seq`: the claimed job's start sequence number (compared with its worker's horizon);
 * - `quarantined`: the current claim runs the job alone, in quarantine;
 * waiting suspects in claim order (a partial index that is empty unless a worker died), and each
 * worker's start horizon.
 */
import { addMissingColumns, type SqliteMigration } from './migration.js';

const SQL = `
CREATE INDEX IF NOT EXISTS redrive_jobs_suspects ON redrive_jobs (queue, priority DESC, run_at, id)
  WHERE state = 'waiting' AND suspect = 1;
CREATE TABLE IF NOT EXISTS redrive_workers (
  worker_id     TEXT PRIMARY KEY,
  start_horizon INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Migration 2. */
export const orphanAttribution: SqliteMigration = {
  version: 2,
  name: '0002_orphan_attribution',
  up(db) {
    addMissingColumns(db, 'redrive_jobs', [
      ['suspect', 'INTEGER NOT NULL DEFAULT 0'],
      ['start_seq', 'INTEGER'],
      ['quarantined', 'INTEGER NOT NULL DEFAULT 0'],
    ]);
    db.exec(SQL);
  },
};
