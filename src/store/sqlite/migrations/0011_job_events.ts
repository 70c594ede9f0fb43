/**
 * Job progress and job events: `redrive_jobs.progress` holds the last value a handler reported
 * (`job.updateProgress`, JSON); `redrive_job_events` is the capped log `QueueEvents` listeners
 * read, one row per queue and published batch (see sqlite-job-events.ts).
 */
import type { SqliteMigration } from './migration.js';

const SQL = `
ALTER TABLE redrive_jobs ADD COLUMN progress TEXT;
CREATE TABLE redrive_job_events (
  seq    INTEGER PRIMARY KEY,
  queue  TEXT    NOT NULL,
  events TEXT    NOT NULL,
  at     INTEGER NOT NULL
);
CREATE INDEX redrive_job_events_queue ON redrive_job_events (queue, seq);
`;

/** Migration 11. */
export const jobEvents: SqliteMigration = {
  version: 11,
  name: '0011_job_events',
  up: (db) => db.exec(SQL),
};
