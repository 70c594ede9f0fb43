/**
 * A job row as the SQL stores (SQLite, PostgreSQL) select it for `getJob` and `listJobs`, and its
 * mapping to {@link Job}. Both tables name their columns alike; they differ only in how `attempts`
 * (text on SQLite, decoded by `pg`) and `suspect` (0/1 on SQLite, a boolean) arrive, so each store
 * decodes those and the mapping of every other column lives here once. (A claim reads its own
 * columns: see each store's claim rows.)
 */

import type { AttemptRecord, Job, JobState } from '../../core/job.js';
import { parseHeaders } from '../new-job-batch.js';

/** The columns of a job row other than `attempts` and `suspect`. */
export interface JobScalarColumns {
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
  dead_letter_id: string | null;
  replay_of: string | null;
  /** Absent on a PostgreSQL database not yet migrated to 0005 (read as none). */
  headers?: string | null;
}

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** Maps a job row, with `attempts` and `suspect` decoded by the store, to a {@link Job}. */
export function jobFromColumns(
  row: JobScalarColumns,
  decoded: { attempts: AttemptRecord[]; suspect: boolean },
): Job {
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
    suspect: decoded.suspect,
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
    attempts: decoded.attempts,
    deadLetterId: row.dead_letter_id,
    replayOf: row.replay_of,
    headers: parseHeaders(row.headers),
  };
}
