/**
 * Row <-> entity mapping for the SQLite store.
 */
import type { AttemptRecord, ClaimedJob, Job, JobState } from '../../core/job.js';
import { parseHeaders } from '../new-job-batch.js';

/** The job columns, in the order the row type lists them. */
export const JOB_COLUMNS =
  'id, queue, name, payload, state, priority, attempts_made, max_attempts, orphan_count, rate_limit_delays, run_at, created_at, started_at, finished_at, lease_expires_at, claim_token, worker_id, timeout_ms, backoff, idempotency_key, result, attempts, dead_letter_id, replay_of, suspect, headers, progress';

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
  progress: string | null;
  attempts: string | null;
  dead_letter_id: string | null;
  replay_of: string | null;
  suspect: 0 | 1;
  headers: string | null;
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
    suspect: row.suspect === 1,
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
    progress: parseJson(row.progress),
    attempts: (parseJson(row.attempts) as AttemptRecord[] | null) ?? [],
    deadLetterId: row.dead_letter_id,
    replayOf: row.replay_of,
    headers: parseHeaders(row.headers),
  };
}

/** The columns a claim reads, in {@link ClaimRow} order. */
export const CLAIM_COLUMNS =
  'id, name, payload, priority, attempts_made, max_attempts, orphan_count, rate_limit_delays, run_at, created_at, timeout_ms, backoff, idempotency_key, attempts, replay_of, headers';

/** A raw claim row, in {@link CLAIM_COLUMNS} order. */
export type ClaimRow = [
  id: number,
  name: string,
  payload: string,
  priority: 0 | 1 | 2,
  attemptsMade: number,
  maxAttempts: number,
  orphanCount: number,
  rateLimitDelays: number,
  runAt: number,
  createdAt: number,
  timeoutMs: number | null,
  backoff: string | null,
  idempotencyKey: string | null,
  attempts: string | null,
  replayOf: string | null,
  headers: string | null,
];

/** Builds a {@link ClaimedJob} from a raw claim row and the claim's own values. */
export function claimedJobFromClaimRow(
  row: ClaimRow,
  queue: string,
  claimId: string,
  workerId: string,
  leaseExpiresAt: number,
  now: number,
  suspect = false,
): ClaimedJob {
  return {
    id: String(row[0]),
    queue,
    name: row[1],
    payload: JSON.parse(row[2]),
    state: 'active',
    priority: row[3],
    attemptsMade: row[4],
    maxAttempts: row[5],
    orphanCount: row[6],
    suspect,
    rateLimitDelays: row[7],
    runAt: row[8],
    createdAt: row[9],
    startedAt: now,
    finishedAt: null,
    leaseExpiresAt,
    workerId,
    timeoutMs: row[10],
    backoff: parseJson(row[11]) as Job['backoff'],
    idempotencyKey: row[12],
    result: null,
    // Not read by a claim (a handler reports progress; it does not read the last attempt's).
    progress: null,
    attempts: (parseJson(row[13]) as AttemptRecord[] | null) ?? [],
    deadLetterId: null,
    replayOf: row[14],
    headers: parseHeaders(row[15]),
    token: `${row[4] + 1}:${claimId}`,
  };
}
