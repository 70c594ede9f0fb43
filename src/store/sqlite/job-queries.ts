/**
 * Reads and maintenance on SQLite jobs: lookups, listings, counts, queue flags and removal. Each
 * method runs in its own transaction (or autocommit read) through the store's wrappers.
 */
import type Database from 'better-sqlite3';
import type { Job, JobCounts } from '../../core/job.js';
import { emptyJobCounts, isRemovableJobState, JOB_STATES } from '../../core/job.js';
import type { ListJobsParams, NextLeaseExpiryParams, RemoveJobsParams } from '../job-store.js';
import type { JobStatements } from './job-statements.js';
import { JOB_COLUMNS, type JobRow, jobFromRow } from './rows.js';
import type { SqliteTransactions } from './transactions.js';

/** Job reads and maintenance queries of one connection. */
export class JobQueries {
  /** The sharded store's dead-letter checks, on every dead-lettering batch: prepared once, on first use. */
  private checks?: { deadLetterIdsOfJobs: Database.Statement; jobsOfDeadLetters: Database.Statement };

  constructor(
    private readonly db: Database.Database,
    private readonly stmt: JobStatements,
    private readonly tx: SqliteTransactions,
  ) {}

  /** The earliest run time of a scheduled job of `queue`, or `null`. */
  nextScheduledAt(queue: string): number | null {
    return this.tx.read(() => (this.stmt.nextScheduled.get(queue) as number | null) ?? null);
  }

  /** Milliseconds from `now` until the earliest lease of an active job expires (0 if one has), or `null`. */
  nextLeaseExpiry(params: NextLeaseExpiryParams): number | null {
    const at = this.tx.read(
      () =>
        (params.queue === undefined
          ? this.stmt.nextLeaseExpiry.get()
          : this.stmt.nextLeaseExpiryOfQueue.get(params.queue)) as number | undefined,
    );
    return at === undefined ? null : Math.max(0, at - params.now);
  }

  /** A job by id, or `null` (an id that is not a row id is simply not found). */
  getJob(id: string): Job | null {
    const numeric = Number(id);
    if (!Number.isSafeInteger(numeric)) return null;
    const row = this.tx.read(() => this.stmt.getJob.get(numeric) as JobRow | undefined);
    return row ? jobFromRow(row) : null;
  }

  /** Jobs in id order, filtered by queue and states, after `afterId`. */
  listJobs(params: ListJobsParams): Job[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (params.queue !== undefined) {
      where.push('queue = ?');
      args.push(params.queue);
    }
    if (params.states && params.states.length > 0) {
      where.push(`state IN (${params.states.map(() => '?').join(', ')})`);
      args.push(...params.states);
    }
    if (params.afterId !== undefined) {
      where.push('id > ?');
      args.push(Number(params.afterId));
    }
    const sql = `SELECT ${JOB_COLUMNS} FROM redrive_jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    const rows = this.tx.read(() => this.db.prepare(sql).all(...args, params.limit) as JobRow[]);
    return rows.map(jobFromRow);
  }

  /**
   * One COUNT per state, each answered from that state's partial index, so counting never scans
   * the table (a GROUP BY over a million rows would block the event loop for tens of ms).
   */
  countJobs(queue?: string): JobCounts {
    const counts = emptyJobCounts();
    const row = this.tx.read(() =>
      queue === undefined
        ? (this.stmt.countAll.get() as number[])
        : (this.stmt.countQueue.get({ queue }) as number[]),
    );
    JOB_STATES.forEach((state, i) => {
      counts[state] = row[i] ?? 0;
    });
    return counts;
  }

  /** Every queue that has a row, with its paused flag. */
  listQueues(): { name: string; paused: boolean }[] {
    const rows = this.tx.read(() => this.stmt.listQueues.all() as { name: string; paused: number }[]);
    return rows.map((r) => ({ name: r.name, paused: r.paused === 1 }));
  }

  /** Sets a queue's paused flag (creating its row). */
  setPaused(queue: string, paused: boolean): void {
    this.tx.write(() => this.stmt.setPaused.run(queue, paused ? 1 : 0));
  }

  /** Whether a queue is paused. */
  isPaused(queue: string): boolean {
    return this.tx.read(() => this.stmt.isPaused.get(queue) === 1);
  }

  /**
   * Deletes per state, with the state written literally into the SQL so that SQLite can use that
   * state's partial index (a bound parameter would not match the index's WHERE clause).
   */
  removeJobs(params: RemoveJobsParams): number {
    const states = [...new Set(params.states)].filter(isRemovableJobState);
    return this.tx.write(() => {
      let removed = 0;
      for (const state of states) {
        const finished = state === 'completed' || state === 'dead_lettered';
        // Finished jobs are indexed by (queue, finished_at). Across queues, the old rows are sought
        // queue by queue: one range over the index would walk every retained row, under the write
        // lock, on every run of the completed-job cleaner.
        const queues: Iterable<string | undefined> =
          params.queue !== undefined
            ? [params.queue]
            : finished && params.before !== undefined
              ? this.queuesHolding(state)
              : [undefined];
        let remove: Database.Statement | undefined;
        for (const queue of queues) {
          if (removed >= params.limit) break;
          const where = [`state = '${state}'`];
          const args: unknown[] = [];
          if (queue !== undefined) {
            where.push('queue = ?');
            args.push(queue);
          }
          if (params.before !== undefined) {
            where.push(finished ? 'finished_at < ?' : 'created_at < ?');
            args.push(params.before);
          }
          remove ??= this.db.prepare(
            `DELETE FROM redrive_jobs WHERE id IN (SELECT id FROM redrive_jobs WHERE ${where.join(' AND ')} LIMIT ?)`,
          );
          removed += remove.run(...args, params.limit - removed).changes;
        }
      }
      return removed;
    });
  }

  /** The queues holding jobs in a finished `state`, in order, one index seek each (names are never empty). */
  private *queuesHolding(state: 'completed' | 'dead_lettered'): Generator<string> {
    const next = this.db
      .prepare(`SELECT MIN(queue) FROM redrive_jobs WHERE state = '${state}' AND queue > ?`)
      .pluck();
    for (
      let queue = next.get('') as string | null;
      queue !== null;
      queue = next.get(queue) as string | null
    ) {
      yield queue;
    }
  }

  /** Deletes jobs by id, never an active one. */
  removeJobsById(ids: readonly string[]): number {
    const numeric = ids.map(Number).filter(Number.isSafeInteger);
    if (numeric.length === 0) return 0;
    return this.tx.write(
      () =>
        this.db
          .prepare(
            "DELETE FROM redrive_jobs WHERE id IN (SELECT value FROM json_each(?)) AND state != 'active'",
          )
          .run(JSON.stringify(numeric)).changes,
    );
  }

  /** Deletes dead letters by id, without retention rules (moving records between shards). */
  deleteDeadLettersById(ids: readonly string[]): number {
    if (ids.length === 0) return 0;
    return this.tx.write(
      () =>
        this.db
          .prepare('DELETE FROM redrive_dead_letters WHERE id IN (SELECT value FROM json_each(?))')
          .run(JSON.stringify(ids)).changes,
    );
  }

  /** The id of the entry stored for each of `jobIds` that has one (a sharded store's dead-letter file). */
  deadLetterIdsOfJobs(jobIds: readonly string[]): Map<string, string> {
    if (jobIds.length === 0) return new Map();
    const rows = this.shardedChecks().deadLetterIdsOfJobs.all(JSON.stringify(jobIds)) as [string, string][];
    return new Map(rows);
  }

  /** The job of each of these dead letters that exists (null for an entry of no job), by id. */
  jobsOfDeadLetters(ids: readonly string[]): Map<string, string | null> {
    if (ids.length === 0) return new Map();
    const rows = this.shardedChecks().jobsOfDeadLetters.all(JSON.stringify(ids)) as [string, string | null][];
    return new Map(rows);
  }

  private shardedChecks(): NonNullable<JobQueries['checks']> {
    this.checks ??= {
      deadLetterIdsOfJobs: this.db
        .prepare(
          'SELECT job_id, id FROM redrive_dead_letters WHERE job_id IN (SELECT value FROM json_each(?))',
        )
        .raw(),
      jobsOfDeadLetters: this.db
        .prepare('SELECT id, job_id FROM redrive_dead_letters WHERE id IN (SELECT value FROM json_each(?))')
        .raw(),
    };
    return this.checks;
  }

  /**
   * Points dead-lettered jobs at the entry kept for them elsewhere (a sharded store's dead-letter
   * file), and deletes the records written for them here that that entry replaces.
   */
  relinkDeadLetters(links: readonly { jobId: string; keptId: string | null; replacedId: string }[]): void {
    if (links.length === 0) return;
    this.tx.write(() => {
      const relink = this.db.prepare(
        "UPDATE redrive_jobs SET dead_letter_id = ? WHERE id = ? AND state = 'dead_lettered'",
      );
      const drop = this.db.prepare('DELETE FROM redrive_dead_letters WHERE id = ? AND job_id = ?');
      for (const { jobId, keptId, replacedId } of links) {
        relink.run(keptId, Number(jobId));
        drop.run(replacedId, jobId);
      }
    });
  }

  /** `PRAGMA integrity_check`: `['ok']` for a healthy database. */
  integrityCheck(): string[] {
    return this.tx
      .read(() => this.db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[])
      .map((r) => r.integrity_check);
  }
}
