/**
 * Claims on SQLite: the next due jobs of a queue are read through the claim index and leased, in
 * the caller's IMMEDIATE transaction so that no other writer claims them in between.
 */
import type { ClaimedJob } from '../../core/job.js';
import type { ClaimJobsParams } from '../job-store.js';
import type { JobStatements } from './job-statements.js';
import { type ClaimRow, claimedJobFromClaimRow } from './rows.js';
import type { SqliteOrphans } from './sqlite-orphans.js';

/** Claims jobs inside an open write transaction. */
export class JobClaims {
  constructor(
    private readonly stmt: JobStatements,
    private readonly orphans: SqliteOrphans,
  ) {}

  /**
   * Promotes due scheduled jobs, then leases the next ones (a quarantine claim takes one suspect
   * first). Two statements beat one UPDATE ... RETURNING, which materialises every returned
   * column first. Call inside a write transaction.
   */
  claim(params: ClaimJobsParams): ClaimedJob[] {
    const { queue, now, claimId, workerId } = params;
    if (this.stmt.isPaused.get(queue) === 1) return [];
    this.stmt.promote.run(queue, now);
    const leaseExpiresAt = now + params.leaseMs;
    if (params.quarantine && params.limit > 0) {
      const row = this.orphans.claimSuspect({ queue, claimId, workerId, leaseExpiresAt, now });
      if (row) return [claimedJobFromClaimRow(row, queue, claimId, workerId, leaseExpiresAt, now, true)];
    }
    // Suspects are rare: the plain candidate query (no suspect filter) runs unless one is waiting.
    const candidates =
      this.stmt.anySuspect.get(queue) === undefined
        ? this.stmt.claimCandidates
        : this.stmt.claimCandidatesNoSuspects;
    const texts = candidates.all(queue, params.limit) as string[];
    if (texts.length === 0) return [];
    const rows: ClaimRow[] = new Array(texts.length);
    let ids = '[';
    for (let i = 0; i < texts.length; i++) {
      const row = JSON.parse(texts[i]!) as ClaimRow;
      rows[i] = row;
      ids += (i > 0 ? ',' : '') + row[0];
    }
    this.stmt.claimByIds.run({
      ids: `${ids}]`,
      claimId,
      workerId,
      leaseExpiresAt,
      now,
      firstSeq: params.starts?.firstSeq ?? null,
    });
    if (params.starts) this.orphans.raiseHorizon(workerId, params.starts.horizon, now);
    return rows.map((row) => claimedJobFromClaimRow(row, queue, claimId, workerId, leaseExpiresAt, now));
  }
}
