/**
 * The jobs a worker still holds under claims whose replies it lost (`ClaimJobsParams.lostClaims`)
 * go back to waiting inside its next claim's transaction, before that claim, as releaseJobs would:
 * no attempt spent, token cleared. An in-process store never loses a reply, but a caller across a
 * process boundary (or a test) may still name a claim it never saw answered.
 */
import type Database from 'better-sqlite3';
import type { ClaimJobsParams } from '../job-store.js';
import type { SqliteStatement } from './statement.js';

/** Releases the jobs of lost claims; see the module comment. */
export class LostClaims {
  private readonly release: SqliteStatement;

  constructor(db: Database.Database) {
    // A claim's token is `<attempts_made + 1>:<claim id>` (job-statements.ts); active jobs are few
    // and found through the lease index.
    this.release = db
      .prepare(
        `UPDATE redrive_jobs SET state = 'waiting', lease_expires_at = NULL, worker_id = NULL, claim_token = NULL,
                run_at = MIN(run_at, @now)
          WHERE state = 'active' AND queue = @queue AND worker_id = @workerId
            AND claim_token IN (SELECT (redrive_jobs.attempts_made + 1) || ':' || value FROM json_each(@claims))
          RETURNING id`,
      )
      .pluck();
  }

  /** Releases the jobs of `params.lostClaims` (in the caller's write transaction); returns how many. */
  releaseFor(params: ClaimJobsParams): number {
    const claims = params.lostClaims;
    if (!claims || claims.length === 0) return 0;
    const { queue, workerId, now } = params;
    return this.release.all({ queue, workerId, now, claims: JSON.stringify(claims) }).length;
  }
}
