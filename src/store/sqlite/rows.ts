/**
 * Row <-> entity mapping for the SQLite store.
 */
import type { AttemptRecord, ClaimedJob, Job } from '../../core/job.js';
import { type JobScalarColumns, jobFromColumns } from '../shared/job-row.js';
import { ATTEMPT_STACKS_COLUMN, withAttemptStacks } from './attempt-stacks.js';

/** The job columns (and its retried attempts' stacks), in the order the row type lists them. */
export const JOB_COLUMNS = `id, queue, name, payload, state, priority, attempts_made, max_attempts, orphan_count, rate_limit_delays, run_at, created_at, started_at, finished_at, lease_expires_at, claim_token, worker_id, timeout_ms, backoff, idempotency_key, result, attempts, ${ATTEMPT_STACKS_COLUMN}, dead_letter_id, replay_of, suspect, headers, progress`;

/** A row of `redrive_jobs` (`attempts` as text, `suspect` 0 or 1). */
export interface JobRow extends JobScalarColumns {
  attempts: string | null;
  /** The retried attempts' stacks kept apart (attempt-stacks.ts), or null. */
  attempt_stacks: string | null;
  suspect: 0 | 1;
  headers: string | null;
}

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** Maps a job row to a {@link Job}. */
export function jobFromRow(row: JobRow): Job {
  return jobFromColumns(row, {
    attempts: withAttemptStacks(
      (parseJson(row.attempts) as AttemptRecord[] | null) ?? [],
      row.attempt_stacks,
    ),
    suspect: row.suspect === 1,
  });
}

/**
 * What a claim reads of each job, as one JSON array text per row ({@link ClaimRow} once parsed):
 * not the retried attempts' stacks (a handler does not see the history; reads of the job return it
 * whole). One text value per row instead of sixteen columns: the driver builds a row array through
 * a slow per-element call (about 900 instructions per column on Node 20), and the JSON columns
 * (payload, backoff, attempts, headers) are spliced in as they are stored, so one `JSON.parse`
 * decodes the whole row. Every spliced column holds JSON text written by the store itself.
 * `concat_ws` builds the text in one pass (a chain of `||` copies the growing text at each step).
 */
export const CLAIM_ROW_JSON = `'[' || concat_ws(',', id, json_quote(name), payload, priority, attempts_made, max_attempts,
  orphan_count, rate_limit_delays, run_at, created_at, COALESCE(timeout_ms, 'null'), COALESCE(backoff, 'null'),
  json_quote(idempotency_key), COALESCE(attempts, 'null'), json_quote(replay_of), COALESCE(NULLIF(headers, ''), 'null')) || ']'`;

/** A claimed job's row, parsed from {@link CLAIM_ROW_JSON}. */
export type ClaimRow = [
  id: number,
  name: string,
  payload: unknown,
  priority: 0 | 1 | 2,
  attemptsMade: number,
  maxAttempts: number,
  orphanCount: number,
  rateLimitDelays: number,
  runAt: number,
  createdAt: number,
  timeoutMs: number | null,
  backoff: Job['backoff'],
  idempotencyKey: string | null,
  attempts: AttemptRecord[] | null,
  replayOf: string | null,
  headers: Record<string, string> | null,
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
    payload: row[2],
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
    backoff: row[11],
    idempotencyKey: row[12],
    result: null,
    // Not read by a claim (a handler reports progress; it does not read the last attempt's).
    progress: null,
    attempts: row[13] ?? [],
    deadLetterId: null,
    replayOf: row[14],
    headers: row[15],
    token: `${row[4] + 1}:${claimId}`,
  };
}
