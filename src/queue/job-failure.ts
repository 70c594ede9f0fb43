/**
 * Turns a failed attempt and the policy's decision into the failure the store records: the attempt
 * record, and the outcome (with the job's dead letter when the decision is to dead-letter it).
 */
import { describeThrown } from '../core/as-error.js';
import type { Random } from '../core/clock.js';
import { JobTimeoutError } from '../core/errors.js';
import type { AttemptRecord } from '../core/job.js';
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
  return {
    id: job.id,
    token: job.token,
    outcome,
    attempt: attemptRecord(ctx, outcome.kind === 'dead_letter'),
  };
}

/**
 * The record of the failed attempt. Built as one of two literals and then given its stack, in the
 * order the spread form wrote them (class, code, message, stack): a literal with conditional
 * spreads copied each part through V8's slow property path, once per failure of a storm.
 */
function attemptRecord(ctx: JobFailureContext, deadLettered: boolean): AttemptRecord {
  const { job, error: err, decision, now } = ctx;
  const outcome =
    decision.kind === 'rate_limited'
      ? 'rate_limited'
      : err instanceof JobTimeoutError
        ? 'timed_out'
        : 'failed';
  const code = (err as { code?: unknown }).code;
  const attempt: AttemptRecord =
    code === undefined
      ? {
          attempt: job.attempt,
          outcome,
          startedAt: job.startedAt,
          endedAt: now,
          workerId: ctx.workerId,
          errorClass: err.name,
          message: err.message,
        }
      : {
          attempt: job.attempt,
          outcome,
          startedAt: job.startedAt,
          endedAt: now,
          workerId: ctx.workerId,
          errorClass: err.name,
          errorCode: describeThrown(code),
          message: err.message,
        };
  // A dead letter keeps the stack once, as its errorStack (see core/attempt-stack.ts).
  const { stack } = err;
  if (stack !== undefined && !deadLettered) attempt.stack = stack;
  return attempt;
}

/**
 * The dead letter of a job with headers keeps them in `metadata.headers`, so that a replay can
 * carry them (the trace link) even after the job row was cleaned away.
 */
function withJobHeaders(job: RunningJob<unknown>, deadLetter: DeadLetterFromJob): DeadLetterFromJob {
  if (job.headers === null) return deadLetter;
  return { ...deadLetter, metadata: { ...deadLetter.metadata, headers: { ...job.headers } } };
}
