/**
 * How a store judges an orphan (shared by every store's recovery sweep; see
 * `JobStore.recoverExpiredLeases` and docs/poison-pills.md): from how the job was claimed and its
 * worker's start horizon, and the attempt record that says so.
 */
import type { AttemptRecord, OrphanedWhile } from '../core/job.js';

/** A start horizon not raised for this long belongs to a worker that is gone (its row may be dropped). */
export const HORIZON_RETENTION_MS = 24 * 3_600_000;

/** The attempt message of each kind of orphaning. */
export const ORPHAN_MESSAGES: Readonly<Record<OrphanedWhile, string>> = {
  prefetched: 'the lease expired before the job started (its worker crashed, hung or lost its store)',
  running:
    'the lease expired while the job ran beside others (its worker crashed, hung or lost its store); it runs alone next',
  quarantine:
    'the lease expired while the job ran alone in quarantine (it crashed or hung its worker, or lost its store)',
};

/**
 * How the worker held an expired job: `quarantine` when claimed alone as a suspect; `prefetched`
 * when its start sequence number is at or beyond its worker's start horizon (it never started);
 * otherwise `running`, also whenever the number or the horizon is unknown (a wrong `running` costs a
 * quarantine run, a wrong `prefetched` could let a poison pill kill workers forever).
 */
export function orphanedWhile(job: {
  quarantined: boolean;
  startSeq: number | null;
  startHorizon: number | null;
}): OrphanedWhile {
  if (job.quarantined) return 'quarantine';
  if (job.startSeq !== null && job.startHorizon !== null && job.startSeq >= job.startHorizon)
    return 'prefetched';
  return 'running';
}

/** The `orphaned` attempt a recovery sweep appends to a job's history. */
export function orphanedAttempt(
  job: { attemptsMade: number; startedAt: number | null; workerId: string | null },
  held: OrphanedWhile,
  now: number,
): AttemptRecord {
  return {
    attempt: job.attemptsMade + 1,
    outcome: 'orphaned',
    startedAt: job.startedAt ?? now,
    endedAt: now,
    workerId: job.workerId,
    orphanedWhile: held,
    message: ORPHAN_MESSAGES[held],
  };
}
