/**
 * Orphan attribution on one SQLite connection: start horizons, suspects and the recovery sweep.
 *
 * A claimed job gets a start sequence number (`start_seq`); its worker records a start horizon
 * (`redrive_workers`) before it starts any job at or beyond it. When the lease expires, the job was
 * `prefetched` if its number is at or beyond the horizon (it never started), `running` otherwise
 * (it may have: it becomes a suspect), or `quarantine` if it was claimed alone as a suspect (only
 * then does the orphaning count towards `maxOrphans`). Unknown (no number, no horizon row) counts
 * as `running`: a wrong `running` costs a quarantine run, a wrong `prefetched` could let a poison
 * pill kill workers forever.
 */
import type Database from 'better-sqlite3';
import type { RecoverExpiredLeasesParams, RecoveryResult } from '../job-store.js';
import { HORIZON_RETENTION_MS, orphanedAttempt, orphanedWhile } from '../orphan-attribution.js';
import { ATTEMPT_STACKS_COLUMN, attemptsJsonWithStacks } from './attempt-stacks.js';
import { appendAttemptJson } from './job-failures.js';
import { CLAIM_ROW_JSON, type ClaimRow } from './rows.js';
import type { JobDeadLetterInput } from './sqlite-dead-letters.js';
import type { SqliteStatement } from './statement.js';

interface ExpiredRow {
  id: number;
  queue: string;
  name: string;
  payload: string;
  claim_token: string;
  orphan_count: number;
  attempts: string | null;
  attempt_stacks: string | null;
  attempts_made: number;
  worker_id: string | null;
  started_at: number | null;
  start_seq: number | null;
  quarantined: 0 | 1;
  start_horizon: number | null;
}

/** The statements of orphan attribution (typed by name, so a missing one fails to compile). */
function prepareOrphanStatements(db: Database.Database) {
  const p = (sql: string): SqliteStatement => db.prepare(sql);
  return {
    raiseHorizon: p(
      `INSERT INTO redrive_workers (worker_id, start_horizon, updated_at) VALUES (@workerId, @horizon, @now)
         ON CONFLICT (worker_id) DO UPDATE SET start_horizon = MAX(start_horizon, excluded.start_horizon),
            updated_at = excluded.updated_at`,
    ),
    forgetHorizons: p('DELETE FROM redrive_workers WHERE updated_at < ?'),
    suspectCandidate: p(
      `SELECT ${CLAIM_ROW_JSON} FROM redrive_jobs WHERE queue = ? AND state = 'waiting' AND suspect = 1
        ORDER BY priority DESC, run_at, id LIMIT 1`,
    ).pluck(),
    claimSuspect: p(
      `UPDATE redrive_jobs
          SET state = 'active', claim_token = (attempts_made + 1) || ':' || @claimId, worker_id = @workerId,
              lease_expires_at = @leaseExpiresAt, started_at = @now, start_seq = NULL, quarantined = 1
        WHERE id = @id`,
    ),
    expired: p(
      `SELECT id, queue, name, payload, claim_token, orphan_count, attempts, attempts_made, worker_id, started_at,
              start_seq, quarantined, ${ATTEMPT_STACKS_COLUMN},
              (SELECT start_horizon FROM redrive_workers w WHERE w.worker_id = redrive_jobs.worker_id) AS start_horizon
         FROM redrive_jobs WHERE state = 'active' AND lease_expires_at < @now AND (@queue IS NULL OR queue = @queue)
        ORDER BY lease_expires_at LIMIT @limit`,
    ),
    toWaiting: p(
      `UPDATE redrive_jobs SET state = 'waiting', orphan_count = orphan_count + @counted, attempts = @attempts,
              suspect = MAX(suspect, @suspect), quarantined = 0, lease_expires_at = NULL, worker_id = NULL,
              claim_token = NULL
        WHERE id = @id AND claim_token = @token AND state = 'active'`,
    ),
    toDeadLetter: p(
      `UPDATE redrive_jobs SET state = 'dead_lettered', orphan_count = orphan_count + 1, attempts = @attempts,
              finished_at = @now, lease_expires_at = NULL, dead_letter_id = @deadLetterId
        WHERE id = @id AND claim_token = @token AND state = 'active'`,
    ),
    linkDeadLetter: p('UPDATE redrive_jobs SET dead_letter_id = ? WHERE id = ?'),
  };
}

type OrphanStatements = ReturnType<typeof prepareOrphanStatements>;

/** Start horizons, quarantine claims and the recovery sweep; every method runs in the caller's transaction. */
export class SqliteOrphans {
  private readonly stmt: OrphanStatements;

  /**
   * `insertDeadLetter` inserts a poison pill's dead letter and returns the id of the entry the job
   * keeps: the one inserted, or, when the insert is refused, the job's earlier entry (null for none:
   * the id was another job's entry).
   */
  constructor(
    db: Database.Database,
    private readonly insertDeadLetter: (input: JobDeadLetterInput, now: number) => string | null,
  ) {
    this.stmt = prepareOrphanStatements(db);
  }

  /** Raises a worker's start horizon (never lowers it). */
  raiseHorizon(workerId: string, horizon: number, now: number): void {
    this.stmt.raiseHorizon.run({ workerId, horizon, now });
  }

  /** The first waiting suspect of `queue` in claim order, leased alone for quarantine; or undefined. */
  claimSuspect(params: {
    queue: string;
    claimId: string;
    workerId: string;
    leaseExpiresAt: number;
    now: number;
  }): ClaimRow | undefined {
    const text = this.stmt.suspectCandidate.get(params.queue) as string | undefined;
    if (text === undefined) return undefined;
    const row = JSON.parse(text) as ClaimRow;
    this.stmt.claimSuspect.run({ ...params, id: row[0] });
    return row;
  }

  /** One recovery sweep (see {@link JobStore.recoverExpiredLeases}); returns the queues that got jobs back. */
  recover(params: RecoverExpiredLeasesParams): RecoveryResult & { queues: Set<string> } {
    const { now } = params;
    this.stmt.forgetHorizons.run(now - HORIZON_RETENTION_MS);
    const rows = this.stmt.expired.all({
      now,
      queue: params.queue ?? null,
      limit: params.limit,
    }) as ExpiredRow[];
    const out: RecoveryResult & { queues: Set<string> } = {
      recovered: [],
      deadLettered: [],
      orphanedWhile: {},
      queues: new Set(),
    };
    for (const row of rows) {
      const id = String(row.id);
      const held = orphanedWhile({
        quarantined: row.quarantined === 1,
        startSeq: row.start_seq,
        startHorizon: row.start_horizon,
      });
      const attempt = orphanedAttempt(
        { attemptsMade: row.attempts_made, startedAt: row.started_at, workerId: row.worker_id },
        held,
        now,
      );
      const attempts = appendAttemptJson(row.attempts, JSON.stringify(attempt));
      const counted = held === 'quarantine' ? 1 : 0;
      const orphanCount = row.orphan_count + counted;
      if (counted === 1 && orphanCount >= params.maxOrphans) {
        const dl = params.deadLetterFor({ id, queue: row.queue, name: row.name, orphanCount });
        const changed = this.stmt.toDeadLetter.run({
          id: row.id,
          token: row.claim_token,
          attempts,
          now,
          deadLetterId: dl.id,
        }).changes;
        if (changed === 1) {
          const entry = this.insertDeadLetter(
            {
              deadLetter: dl,
              jobId: id,
              queue: row.queue,
              jobName: row.name,
              payloadJson: row.payload,
              attemptsJson: attemptsJsonWithStacks(attempts, row.attempt_stacks),
            },
            now,
          );
          // A job with an entry already keeps it, as a failure's dead letter does (job-failures.ts).
          if (entry !== dl.id) this.stmt.linkDeadLetter.run(entry, row.id);
          out.deadLettered.push(entry === null ? { jobId: id } : { jobId: id, deadLetterId: entry });
          out.orphanedWhile[id] = held;
        }
        continue;
      }
      const changed = this.stmt.toWaiting.run({
        id: row.id,
        token: row.claim_token,
        attempts,
        counted,
        suspect: held === 'prefetched' ? 0 : 1,
      }).changes;
      if (changed === 1) {
        out.recovered.push(id);
        out.orphanedWhile[id] = held;
        out.queues.add(row.queue);
      }
    }
    return out;
  }
}
