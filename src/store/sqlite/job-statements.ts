/**
 * The job statements of one SQLite connection (claims, fenced lease changes, queue flags and
 * reads), prepared once. Typed by name: a statement that does not exist fails to compile.
 */
import type Database from 'better-sqlite3';
import { JOB_STATES } from '../../core/job.js';
import { CLAIM_ROW_JSON, JOB_COLUMNS } from './rows.js';
import type { SqliteStatement } from './statement.js';

/** Most scheduled jobs one claim promotes to waiting. */
const PROMOTE_BATCH = 1000;

/**
 * A claim's limit, bound as a value the query planner does not read. SQLite (3.53, as measured) plans
 * with the value bound to a plain `LIMIT ?` and expires the statement when a later claim binds
 * another, so each claim whose limit differs from the last one prepared the query again (~130k
 * instructions; 6.2 against 2.4 µs a call when the limit changes each time, 10-row reads).
 */
const CLAIM_LIMIT = 'LIMIT CAST(? AS INTEGER)';

/** Completes a claim's jobs (`@ids`, a JSON array) that still hold `@token`, without results. */
const COMPLETE_BY_TOKEN = `UPDATE redrive_jobs
    SET state = 'completed', finished_at = @now, lease_expires_at = NULL,
        attempts_made = attempts_made + 1, result = NULL
  WHERE id IN (SELECT value FROM json_each(@ids)) AND claim_token = @token AND state = 'active'`;

/** Prepares the job statements of `db`. */
export function prepareJobStatements(db: Database.Database) {
  const p = (sql: string): SqliteStatement => db.prepare(sql);
  return {
    isPaused: p('SELECT paused FROM redrive_queues WHERE name = ?').pluck(),
    setPaused: p(
      'INSERT INTO redrive_queues (name, paused) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused',
    ),
    listQueues: p('SELECT name, paused FROM redrive_queues ORDER BY name'),
    promote: p(
      `UPDATE redrive_jobs SET state = 'waiting' WHERE id IN (
         SELECT id FROM redrive_jobs WHERE queue = ? AND state = 'scheduled' AND run_at <= ? ORDER BY run_at LIMIT ${PROMOTE_BATCH})`,
    ),
    claimCandidates: p(
      `SELECT ${CLAIM_ROW_JSON} FROM redrive_jobs WHERE queue = ? AND state = 'waiting'
        ORDER BY priority DESC, run_at, id ${CLAIM_LIMIT}`,
    ).pluck(),
    claimCandidatesNoSuspects: p(
      `SELECT ${CLAIM_ROW_JSON} FROM redrive_jobs WHERE queue = ? AND state = 'waiting' AND suspect = 0
        ORDER BY priority DESC, run_at, id ${CLAIM_LIMIT}`,
    ).pluck(),
    anySuspect: p(
      "SELECT 1 FROM redrive_jobs WHERE queue = ? AND state = 'waiting' AND suspect = 1 LIMIT 1",
    ).pluck(),
    claimByIds: p(
      `UPDATE redrive_jobs
          SET state = 'active', claim_token = (attempts_made + 1) || ':' || @claimId, worker_id = @workerId,
              lease_expires_at = @leaseExpiresAt, started_at = @now, quarantined = 0, start_seq = @firstSeq + c.key
         FROM json_each(@ids) AS c
        WHERE redrive_jobs.id = c.value`,
    ),
    completeByToken: p(`${COMPLETE_BY_TOKEN} RETURNING id`).pluck(),
    completeByTokenCounted: p(COMPLETE_BY_TOKEN),
    savepoint: p('SAVEPOINT redrive_complete'),
    rollbackToSavepoint: p('ROLLBACK TO redrive_complete'),
    releaseSavepoint: p('RELEASE redrive_complete'),
    complete: p(
      `UPDATE redrive_jobs
          SET state = 'completed', finished_at = @now, lease_expires_at = NULL,
              attempts_made = attempts_made + 1, result = c.result
         FROM (SELECT value ->> '$[0]' AS id, value ->> '$[1]' AS token, value ->> '$[2]' AS result
                 FROM json_each(@batch)) AS c
        WHERE redrive_jobs.id = c.id AND redrive_jobs.claim_token = c.token AND redrive_jobs.state = 'active'
        RETURNING redrive_jobs.id`,
    ).pluck(),
    extend: p(
      `UPDATE redrive_jobs SET lease_expires_at = @leaseExpiresAt
         FROM (SELECT value ->> '$[0]' AS id, value ->> '$[1]' AS token FROM json_each(@batch)) AS c
        WHERE redrive_jobs.id = c.id AND redrive_jobs.claim_token = c.token AND redrive_jobs.state = 'active'
        RETURNING redrive_jobs.id`,
    ).pluck(),
    progress: p(
      `UPDATE redrive_jobs SET progress = @progress
        WHERE id = @id AND claim_token = @token AND state = 'active' RETURNING id`,
    ).pluck(),
    release: p(
      `UPDATE redrive_jobs SET state = 'waiting', lease_expires_at = NULL, worker_id = NULL, claim_token = NULL,
              run_at = MIN(run_at, @now)
         FROM (SELECT value ->> '$[0]' AS id, value ->> '$[1]' AS token FROM json_each(@batch)) AS c
        WHERE redrive_jobs.id = c.id AND redrive_jobs.claim_token = c.token AND redrive_jobs.state = 'active'
        RETURNING redrive_jobs.id`,
    ).pluck(),
    fenceState: p('SELECT state, claim_token FROM redrive_jobs WHERE id = ?'),
    nextScheduled: p("SELECT MIN(run_at) FROM redrive_jobs WHERE queue = ? AND state = 'scheduled'").pluck(),
    // Walks the partial lease index in order; the first row is the answer.
    nextLeaseExpiry: p(
      `SELECT lease_expires_at FROM redrive_jobs WHERE state = 'active' AND lease_expires_at IS NOT NULL
        ORDER BY lease_expires_at LIMIT 1`,
    ).pluck(),
    nextLeaseExpiryOfQueue: p(
      `SELECT lease_expires_at FROM redrive_jobs WHERE state = 'active' AND lease_expires_at IS NOT NULL AND queue = ?
        ORDER BY lease_expires_at LIMIT 1`,
    ).pluck(),
    getJob: p(`SELECT ${JOB_COLUMNS} FROM redrive_jobs WHERE id = ?`),
    countAll: p(countByStateSql('')).raw(),
    countQueue: p(countByStateSql('queue = @queue AND')).raw(),
  };
}

/** The prepared job statements of one connection. */
export type JobStatements = ReturnType<typeof prepareJobStatements>;

/** A single-row query counting each state (in {@link JOB_STATES} order) through its own index. */
function countByStateSql(queueFilter: string): string {
  const count = (state: string) =>
    `(SELECT COUNT(*) FROM redrive_jobs WHERE ${queueFilter} state = '${state}')`;
  return `SELECT ${JOB_STATES.map(count).join(', ')}`;
}
