/**
 * The failure a worker sends for a job whose handler threw a `PermanentError`: its attempt record
 * and the dead letter built with the default settings, for the instruction-count scripts.
 */
import { systemRandom } from '../src/core/clock.js';
import { PermanentError } from '../src/core/errors.js';
import type { AttemptRecord, ClaimedJob } from '../src/core/job.js';
import type { FingerprintMemo } from '../src/dead-letter-record/fingerprint-memo.js';
import { buildJobDeadLetter } from '../src/dead-letter-record/record.js';
import type { JobFailure } from '../src/store/job-store.js';

function thrown(): Error {
  try {
    throw new PermanentError('the order was rejected by the payment provider');
  } catch (err) {
    return err as Error;
  }
}

/** The dead-letter failure of `job` (queue `bench`, worker `w1`) at `now`; one memo per run. */
export function permanentFailure(
  job: Pick<ClaimedJob, 'id' | 'token' | 'attemptsMade'>,
  now: number,
  fingerprints: FingerprintMemo,
): JobFailure {
  const error = thrown();
  const attempt: AttemptRecord = {
    attempt: job.attemptsMade + 1,
    outcome: 'failed',
    startedAt: now,
    endedAt: now,
    workerId: 'w1',
    errorClass: error.name,
    message: error.message,
  };
  const deadLetter = buildJobDeadLetter({
    queue: 'bench',
    failureType: 'permanent',
    error,
    workerId: 'w1',
    settings: {},
    now,
    firstFailedAt: now,
    random: systemRandom,
    fingerprints,
  });
  return { id: job.id, token: job.token, attempt, outcome: { kind: 'dead_letter', deadLetter } };
}
