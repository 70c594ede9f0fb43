/**
 * The stacks of a job's retried attempts, kept apart from the job row (migration 13,
 * `redrive_job_attempt_stacks`): the row's `attempts` lists each retried attempt without its stack,
 * so that a claim reads and parses a few hundred bytes instead of a kilobyte per earlier failure,
 * and later writes of the row do not rewrite the stacks. The job's stacks are one JSON object,
 * keyed by the attempt's position in `attempts`, appended to without parsing it. Reads of the job
 * and the dead letter made from it put the stacks back, so the history they return is whole.
 */
import type { AttemptRecord } from '../../core/job.js';

/**
 * Adds one stack entry (`{"<position>": "<stack>"}`) to a job's stacks, creating its row; binds the
 * job id, the position (as text) and the stack. SQLite writes the entry's JSON (escaping a
 * kilobyte of stack in C costs less than `JSON.stringify` and binding the longer text).
 */
export const ADD_ATTEMPT_STACK_SQL = `INSERT INTO redrive_job_attempt_stacks (job_id, stacks) VALUES (?, json_object(?, ?))
  ON CONFLICT (job_id) DO UPDATE SET stacks = substr(stacks, 1, length(stacks) - 1) || ',' || substr(excluded.stacks, 2)`;

/** A job's stacks (JSON text or null), as a column of a query over `redrive_jobs`. */
export const ATTEMPT_STACKS_COLUMN =
  '(SELECT stacks FROM redrive_job_attempt_stacks WHERE job_id = redrive_jobs.id) AS attempt_stacks';

/** One job's stacks (JSON text), by job id. */
export const JOB_ATTEMPT_STACKS_SQL = 'SELECT stacks FROM redrive_job_attempt_stacks WHERE job_id = ?';

/** An attempt as the job row stores it: its JSON without the stack, and the stack to keep apart. */
export function attemptWithoutStack(attempt: AttemptRecord): { json: string; stack: string | undefined } {
  const { stack } = attempt;
  if (stack === undefined) return { json: JSON.stringify(attempt), stack: undefined };
  // A copy with the stack undefined (left out by JSON.stringify): faster than a rest pattern.
  return { json: JSON.stringify({ ...attempt, stack: undefined }), stack };
}

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
