/**
 * A dead letter keeps its error's stack once, in `errorStack`: the attempt that ended the job is
 * recorded without a copy of it (on the job and in the dead letter's history), which saves writing
 * a stack twice more per dead letter during a failure storm. Reading a dead letter puts the stack
 * back on that attempt, so its history reads as before.
 */
import type { AttemptRecord } from './job.js';

/**
 * The dead letter's attempts with `errorStack` on the final attempt when that attempt failed (not
 * orphaned) and was stored without a stack. Returns `attempts` itself when there is nothing to add.
 */
export function withFinalAttemptStack(attempts: AttemptRecord[], errorStack: string | null): AttemptRecord[] {
  const last = attempts.at(-1);
  if (!last || errorStack === null || last.stack !== undefined || last.outcome === 'orphaned')
    return attempts;
  attempts[attempts.length - 1] = { ...last, stack: errorStack };
  return attempts;
}
