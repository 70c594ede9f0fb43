/**
 * When is a failure a resend of one a store already recorded? When its attempt is the job's last
 * recorded attempt: the same number, outcome, start and end times and worker. One comparison for
 * every store (a missing worker id and a null one are the same).
 */
import type { AttemptRecord } from '../../core/job.js';

/** Whether `last` (the job's last recorded attempt, if any) is `attempt`. */
export function isSameAttempt(last: AttemptRecord | null | undefined, attempt: AttemptRecord): boolean {
  return (
    last !== null &&
    last !== undefined &&
    last.attempt === attempt.attempt &&
    last.outcome === attempt.outcome &&
    last.startedAt === attempt.startedAt &&
    last.endedAt === attempt.endedAt &&
    (last.workerId ?? null) === (attempt.workerId ?? null)
  );
}
