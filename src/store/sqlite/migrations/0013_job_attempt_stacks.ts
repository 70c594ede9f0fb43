/**
 * The stacks of a job's retried attempts kept apart from the job row. A retried attempt's stack
 * (about a kilobyte) made the row several times larger: every claim of the job read and parsed it
 * again, and every later write of the row (the claim, the completion) rewrote it. Now the row's
 * `attempts` holds each retried attempt without its stack, and `redrive_job_attempt_stacks` holds
 * the job's stacks by position in that list (one row per job that has any); reads of the job and
 * its dead letter put them back (see attempt-stacks.ts). Attempts written before keep their stacks
 * inline and read as before.
 *
 * A deleted job takes its stacks along (a job id may be used again after the highest row goes).
 */
import type { SqliteMigration } from './migration.js';

const SQL = `
CREATE TABLE redrive_job_attempt_stacks (
  job_id INTEGER PRIMARY KEY,
  stacks TEXT    NOT NULL
);
CREATE TRIGGER redrive_jobs_attempt_stacks_delete AFTER DELETE ON redrive_jobs
  WHEN OLD.attempts IS NOT NULL BEGIN
  DELETE FROM redrive_job_attempt_stacks WHERE job_id = OLD.id;
END;
`;

/** Migration 13. */
export const jobAttemptStacks: SqliteMigration = {
  version: 13,
  name: '0013_job_attempt_stacks',
  up: (db) => db.exec(SQL),
};
