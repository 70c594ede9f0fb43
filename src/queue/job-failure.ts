/**
 * Turns a failed attempt and the policy's decision into the failure the store records: the attempt
 * record, and the outcome (with the job's dead letter when the decision is to dead-letter it).
 */
import { describeThrown } from '../core/as-error.js';
import type { Random } from '../core/clock.js';
import { JobTimeoutError } from '../core/errors.js';
import type { FingerprintMemo } from '../dead-letter-record/fingerprint-memo.js';
import { buildJobDeadLetter, type DeadLetterSettings } from '../dead-letter-record/record.js';
import type { DeadLetterFromJob, JobFailure } from '../store/job-store.js';
import type { RunningJob } from './active-job.js';
import type { FailureDecision } from './failure-outcome.js';

/** Inputs of {@link jobFailure}. */
export interface JobFailureContext {
  job: RunningJob<unknown>;
  error: Error;
  decision: FailureDecision;
  now: number;
  workerId: string;
  queue: string;
  deadLetterSettings: DeadLetterSettings;
  random: Random;
  /** The worker's memo of recent fingerprints. */
  fingerprints: FingerprintMemo;
}

/** The failure of `job`'s current attempt, as `failJobs` takes it. */
export function jobFailure(ctx: JobFailureContext): JobFailure {
  const { job, error: err, decision, now } = ctx;
  const outcome: JobFailure['outcome'] =
    decision.kind === 'dead_letter'
      ? {
          kind: 'dead_letter',
          deadLetter: withJobHeaders(
            job,
            buildJobDeadLetter({
              queue: ctx.queue,
              failureType: decision.failureType,
              error: err,
              workerId: ctx.workerId,
              settings: ctx.deadLetterSettings,
              now,
              firstFailedAt: job.claimed.attempts[0]?.endedAt ?? now,
              random: ctx.random,
              fingerprints: ctx.fingerprints,
            }),
          ),
        }
      : { kind: decision.kind, runAt: decision.runAt };
  const code = (err as { code?: unknown }).code;
  return {
    id: job.id,
    token: job.token,
    outcome,
    attempt: {
      attempt: job.attempt,
      outcome:
        decision.kind === 'rate_limited'
          ? 'rate_limited'
          : err instanceof JobTimeoutError
            ? 'timed_out'
            : 'failed',
      startedAt: job.startedAt,
      endedAt: now,
      workerId: ctx.workerId,
      errorClass: err.name,
      ...(code === undefined ? {} : { errorCode: describeThrown(code) }),
      message: err.message,
      // A dead letter keeps the stack once, as its errorStack (see core/attempt-stack.ts).
      ...(err.stack === undefined || outcome.kind === 'dead_letter' ? {} : { stack: err.stack }),
    },
  };
}

/**
 * The dead letter of a job with headers keeps them in `metadata.headers`, so that a replay can
 * carry them (the trace link) even after the job row was cleaned away.
 */
function withJobHeaders(job: RunningJob<unknown>, deadLetter: DeadLetterFromJob): DeadLetterFromJob {
  if (job.headers === null) return deadLetter;
  return { ...deadLetter, metadata: { ...deadLetter.metadata, headers: { ...job.headers } } };
}
