/**
 * Each distinct stack of a job's retried attempts stored once. Migration 13 moved a retried
 * attempt's stack out of the job row into `redrive_job_attempt_stacks`, one row per job: a storm
 * that retries thousands of jobs still wrote a kilobyte of the same frames per job (a quarter of
 * the pages its commits wrote). Now the frames (the stack from its first `at` line on) are stored
 * once in `redrive_job_stack_frames`, which counts the references to them (`refs`), and the job row
 * names them in `attempt_stack_refs`: a JSON object keyed by the attempt's position in `attempts`,
 * each value `[framesId]` (the head is the attempt's `errorClass: message`), `[framesId, head]`, or
 * `[null, stack]` (a stack without frames). Stacks written before stay in
 * `redrive_job_attempt_stacks` and read as before; reads merge the two (see attempt-stacks.ts).
 *
 * Failure batches add the counts once per batch and distinct stack; deleting a job takes its
 * references off, and frames go with their last reference.
 *
 * A process of the previous release that is still running reads stacks only from
 * `redrive_job_attempt_stacks`: a job it dead-letters after a new process retried it keeps those
 * earlier attempts without their stacks in the dead letter's history. Stop the processes of the
 * previous release before the first process of this one opens the file.
 */
import type { SqliteMigration } from './migration.js';

const SQL = `
CREATE TABLE redrive_job_stack_frames (
  id     INTEGER PRIMARY KEY,
  frames TEXT    NOT NULL UNIQUE,
  refs   INTEGER NOT NULL
);
ALTER TABLE redrive_jobs ADD COLUMN attempt_stack_refs TEXT;
CREATE TRIGGER redrive_jobs_stack_refs_delete AFTER DELETE ON redrive_jobs
  WHEN OLD.attempt_stack_refs IS NOT NULL BEGIN
  UPDATE redrive_job_stack_frames
     SET refs = refs - (SELECT COUNT(*) FROM json_each(OLD.attempt_stack_refs) r
                         WHERE r.value ->> 0 = redrive_job_stack_frames.id)
   WHERE id IN (SELECT r.value ->> 0 FROM json_each(OLD.attempt_stack_refs) r);
  DELETE FROM redrive_job_stack_frames
   WHERE id IN (SELECT r.value ->> 0 FROM json_each(OLD.attempt_stack_refs) r) AND refs <= 0;
END;
`;

/** Migration 19. */
export const jobStackFrames: SqliteMigration = {
  version: 19,
  name: '0019_job_stack_frames',
  up: (db) => db.exec(SQL),
};
