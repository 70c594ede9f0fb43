/**
 * Row <-> entity mapping for the SQLite store.
 */
import type { AttemptRecord, ClaimedJob, Job, JobState } from '../../core/job.js';

/** The job columns, in the order the row type lists them. */
export const JOB_COLUMNS =
  'id, queue, name, payload, state, priority, attempts_made, max_attempts, orphan_count, rate_limit_delays, run_at, created_at, started_at, finished_at, lease_expires_at, claim_token, worker_id, timeout_ms, backoff, idempotency_key, result, attempts, dead_letter_id, replay_of';

/** A row of `redrive_jobs`. */
export interface JobRow {
  id: number;
  queue: string;
  name: string;
  payload: string;
  state: JobState;
  priority: 0 | 1 | 2;
  attempts_made: number;
  max_attempts: number;
  orphan_count: number;
  rate_limit_delays: number;
  run_at: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  lease_expires_at: number | null;
  claim_token: string | null;
  worker_id: string | null;
  timeout_ms: number | null;
  backoff: string | null;
  idempotency_key: string | null;
  result: string | null;
  attempts: string | null;
  dead_letter_id: string | null;
  replay_of: string | null;
}

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** Maps a job row to a {@link Job}. */
export function jobFromRow(row: JobRow): Job {
  return {
    id: String(row.id),
    queue: row.queue,
    name: row.name,
    payload: JSON.parse(row.payload),
    state: row.state,
    priority: row.priority,
    attemptsMade: row.attempts_made,
    maxAttempts: row.max_attempts,
    orphanCount: row.orphan_count,
    rateLimitDelays: row.rate_limit_delays,
    runAt: row.run_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    leaseExpiresAt: row.lease_expires_at,
    workerId: row.worker_id,
    timeoutMs: row.timeout_ms,
    backoff: parseJson(row.backoff) as Job['backoff'],
    idempotencyKey: row.idempotency_key,
    result: parseJson(row.result),
    attempts: (parseJson(row.attempts) as AttemptRecord[] | null) ?? [],
    deadLetterId: row.dead_letter_id,
    replayOf: row.replay_of,
  };
}

/** Maps a claimed row (with its claim token) to a {@link ClaimedJob}. */
export function claimedJobFromRow(row: JobRow): ClaimedJob {
  const job = jobFromRow(row) as ClaimedJob;
  job.token = row.claim_token as string;
  return job;
}
