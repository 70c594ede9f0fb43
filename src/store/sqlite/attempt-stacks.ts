/**
 * The stacks of a job's retried attempts, kept apart from the job row: the row's `attempts` lists
 * each retried attempt without its stack, so that a claim reads and parses a few hundred bytes
 * instead of a kilobyte per earlier failure. A stack is kept as a reference from the row
 * (`attempt_stack_refs`) to frames stored once for every job that threw them (migration 19,
 * job-stack-frames.ts); stacks written before that are whole, in `redrive_job_attempt_stacks`
 * (migration 13: one JSON object per job, keyed by the attempt's position in `attempts`). Reads of
 * the job and the dead letter made from it put the stacks back from both, so the history they
 * return is whole.
 */
import type { AttemptRecord } from '../../core/job.js';
import { attemptDefaultHeadSql } from './job-stack-frames.js';

/** The stacks written before migration 19: a JSON object of whole stacks, or null. */
const WHOLE_STACKS_SQL = '(SELECT stacks FROM redrive_job_attempt_stacks WHERE job_id = redrive_jobs.id)';

/**
 * The stacks the job row names (migration 19), as a JSON object of whole stacks. Each stack is put
 * together as JSON text (the head's without its closing quote, the frames' without the opening
 * one), never decoded: see {@link attemptDefaultHeadSql}.
 */
const REFERENCED_STACKS_SQL = `(SELECT json_group_object(r.key, json(
    CASE WHEN json_array_length(r.value) > 1 THEN substr(r.value -> 1, 1, length(r.value -> 1) - 1)
         ELSE ${attemptDefaultHeadSql('redrive_jobs.attempts', 'r.key')} END
    || substr(json_quote(COALESCE(f.frames, '')), 2)))
  FROM json_each(redrive_jobs.attempt_stack_refs) AS r
  LEFT JOIN redrive_job_stack_frames AS f ON f.id = r.value ->> 0)`;

/**
 * A job's stacks (a JSON object keyed by position, or null), as an expression over a row of
 * `redrive_jobs`: both kinds merged (a job retried before and after the upgrade has some of each).
 */
const ATTEMPT_STACKS_SQL = `CASE WHEN redrive_jobs.attempt_stack_refs IS NULL THEN ${WHOLE_STACKS_SQL}
  ELSE json_patch(COALESCE(${WHOLE_STACKS_SQL}, '{}'), ${REFERENCED_STACKS_SQL}) END`;

/** A job's stacks, as a column of a query over `redrive_jobs`. */
export const ATTEMPT_STACKS_COLUMN = `${ATTEMPT_STACKS_SQL} AS attempt_stacks`;

/** One job's stacks (JSON text or null), by job id. */
export const JOB_ATTEMPT_STACKS_SQL = `SELECT ${ATTEMPT_STACKS_SQL} FROM redrive_jobs WHERE id = ?`;

/** Puts a job's stacks (JSON text from the stacks table, or null) back on its attempts, in place. */
export function withAttemptStacks(attempts: AttemptRecord[], stacksJson: string | null): AttemptRecord[] {
  if (stacksJson === null) return attempts;
  const stacks = JSON.parse(stacksJson) as Record<string, string>;
  for (const position in stacks) {
    const attempt = attempts[Number(position)];
    if (attempt) attempt.stack = stacks[position];
  }
  return attempts;
}

/** A job's attempts (JSON text) with its stacks back in them, for the job's dead letter. */
export function attemptsJsonWithStacks(attemptsJson: string, stacksJson: string | null | undefined): string {
  if (stacksJson === null || stacksJson === undefined) return attemptsJson;
  return JSON.stringify(withAttemptStacks(JSON.parse(attemptsJson) as AttemptRecord[], stacksJson));
}
