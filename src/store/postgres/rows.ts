/**
 * Row <-> entity mapping for the PostgreSQL job tables (the dead-letter ones: dead-letter-rows.ts).
 * bigint columns arrive as numbers (the store's type parser; times are ms since the epoch, well
 * inside the safe range), jsonb columns as values.
 */

import type { AttemptRecord, ClaimedJob, Job } from '../../core/job.js';
import { parseHeaders } from '../new-job-batch.js';
import { type JobScalarColumns, jobFromColumns } from '../shared/job-row.js';

/** A row of `jobs` (`pg` decodes `attempts`; `suspect` is a boolean). */
export interface JobRow extends JobScalarColumns {
  attempts: AttemptRecord[] | null;
  suspect: boolean;
}

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** Maps a job row to a {@link Job}. */
export function jobFromRow(row: JobRow): Job {
  return jobFromColumns(row, { attempts: row.attempts ?? [], suspect: row.suspect });
}

/** A row of `complete_and_claim(...)`: a completion (`done`) or a claimed job. */
export interface ClaimRow {
  done: boolean;
  id: number;
  token: string;
  name: string;
  payload: string;
  priority: 0 | 1 | 2;
  attempts_made: number;
  max_attempts: number;
  orphan_count: number;
  rate_limit_delays: number;
  run_at: number;
  created_at: number;
  timeout_ms: number | null;
  backoff: string | null;
  idempotency_key: string | null;
  attempts: AttemptRecord[] | null;
  replay_of: string | null;
  /** A suspect claimed alone, in quarantine. */
  suspect: boolean | null;
  headers: string | null;
}

/** Builds a {@link ClaimedJob} from a claim row and the claim's own values. */
export function claimedJobFromRow(
  row: ClaimRow,
  claim: { queue: string; workerId: string; now: number; leaseMs: number },
): ClaimedJob {
  return {
    id: String(row.id),
    queue: claim.queue,
    name: row.name,
    payload: JSON.parse(row.payload),
    state: 'active',
    priority: row.priority,
    attemptsMade: row.attempts_made,
    maxAttempts: row.max_attempts,
    orphanCount: row.orphan_count,
    suspect: row.suspect === true,
    rateLimitDelays: row.rate_limit_delays,
    runAt: row.run_at,
    createdAt: row.created_at,
    startedAt: claim.now,
    finishedAt: null,
    leaseExpiresAt: claim.now + claim.leaseMs,
    workerId: claim.workerId,
    timeoutMs: row.timeout_ms,
    backoff: parseJson(row.backoff) as Job['backoff'],
    idempotencyKey: row.idempotency_key,
    result: null,
    // Not read by a claim (a handler reports progress; it does not read the last attempt's).
    progress: null,
    attempts: row.attempts ?? [],
    deadLetterId: null,
    replayOf: row.replay_of,
    headers: parseHeaders(row.headers),
    token: row.token,
  };
}

/** Claim order: highest priority, then earliest due, then oldest. */
export function byClaimOrder(a: ClaimRow, b: ClaimRow): number {
  return b.priority - a.priority || a.run_at - b.run_at || a.id - b.id;
}

/** A job id of this store as a number, or null when it cannot be one. */
export function toJobId(id: string): number | null {
  if (typeof id !== 'string' || !/^\d{1,15}$/.test(id)) return null;
  return Number(id);
}
