/**
 * The embedded store: one SQLite database file in WAL mode, shared safely by several processes.
 * Writes take the lock up front (`BEGIN IMMEDIATE`) and wait out other writers with
 * `busy_timeout`; every hot path is one statement per batch of jobs.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DeadLetter, DeadLetterAuditEntry, NewDeadLetter } from '../../core/dead-letter.js';
import { ValidationError } from '../../core/errors.js';
import type { ClaimedJob, Job, JobCounts, JobState } from '../../core/job.js';
import { emptyJobCounts, JOB_STATES } from '../../core/job.js';
import type * as DL from '../dead-letter-store.js';
import type {
  AdvanceStartHorizonParams,
  ClaimJobsParams,
  CompleteJobInTransactionParams,
  CompleteJobsParams,
  ExtendLeasesParams,
  FailJobParams,
  FailJobResult,
  FailJobsParams,
  FenceResult,
  InsertJobResult,
  InsertJobsParams,
  JobCompletion,
  JobFailure,
  ListJobsParams,
  RecoverExpiredLeasesParams,
  RecoveryResult,
  ReleaseJobsParams,
  RemoveJobsParams,
  StoreCapabilities,
  TransactionalCompletion,
} from '../job-store.js';
import type * as LS from '../leader-store.js';
import type { Store } from '../store.js';
import { JobFailureWriter } from './job-failures.js';
import { JobInserter } from './job-inserter.js';
import { QueueWatcher } from './queue-watcher.js';
import {
  CLAIM_COLUMNS,
  type ClaimRow,
  claimedJobFromClaimRow,
  JOB_COLUMNS,
  type JobRow,
  jobFromRow,
} from './rows.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import { applySchema } from './schema-version.js';
import { SqliteDeadLetters } from './sqlite-dead-letters.js';
import { translateSqliteError } from './sqlite-errors.js';
import { SqliteLeadership } from './sqlite-leadership.js';
import { migrateOrphanSchema, SqliteOrphans } from './sqlite-orphans.js';
import { SqliteTransactionalCompletion } from './transactional-completion.js';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file (required unless `database` is given); its directory is created if missing. `:memory:` for a throwaway in-memory store. */
  path?: string;
  /**
   * An open better-sqlite3 connection owned by the application. Jobs added with `Queue.addSync`
   * then join the application's own transactions. The store does not close it.
   */
  database?: Database.Database;
  /** `NORMAL` (default: durable across process crashes, may lose the last commits on power loss) or `FULL`. */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another process's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** How often idle watchers look for other processes' commits. Default 5 ms; 0 disables. */
  pollIntervalMs?: number;
  /**
   * JSON paths of dead letters that filters use often (`payload.customerId`, `metadata.region`):
   * each gets an expression index, so a `payload.<path>` filter reads its first page from the
   * index instead of a bounded scan. Each index costs a little on every dead-letter insert.
   */
  indexedPaths?: readonly string[];
  /**
   * Most candidates a dead-letter query examines for a condition no index serves (an undeclared
   * JSON path, a search text under three characters). Default 20 000.
   */
  scanBudget?: number;
}

const PROMOTE_BATCH = 1000;

type Statement = Database.Statement<unknown[], unknown>;

/** The embedded SQLite store. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly capabilities: StoreCapabilities = {
    notify: true,
    transactionalEnqueue: true,
    transactionalCompletion: true,
  };
  /** The database file path (or `:memory:`). */
  readonly path: string;

  private readonly db: Database.Database;
  private readonly ownsDatabase: boolean;
  private readonly watcher: QueueWatcher;
  private readonly knownQueues = new Set<string>();
  private readonly stmt: Record<string, Statement>;
  private readonly inserter: JobInserter;
  private readonly failures: JobFailureWriter;
  /** The dead-letter half of the store (its own file); every DeadLetterStore method delegates to it. */
  private readonly deadLetters: SqliteDeadLetters;
  /** Start horizons, quarantine claims and the recovery sweep (sqlite-orphans.ts). */
  private readonly orphans: SqliteOrphans;
  private readonly leadership: SqliteLeadership;
  private closed = false;
  private readonly busyTimeoutMs: number;
  /** Application writes and a job's completion in one transaction (transactional-completion.ts). */
  private readonly transactional: SqliteTransactionalCompletion;

  constructor(options: SqliteStoreOptions = {}) {
    if (!options.database && (typeof options.path !== 'string' || options.path === '')) {
      throw new ValidationError(
        'path',
        "a database file path is required (use ':memory:' explicitly for a throwaway in-memory store)",
      );
    }
    const path = options.database ? options.database.name : (options.path as string);
    this.path = path;
    this.busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
    this.ownsDatabase = !options.database;
    let db: Database.Database | undefined = options.database;
    try {
      if (!db) {
        if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
        db = new Database(path);
      }
      this.db = db;
      this.configure(options);
      applySchema(this.db, path, SCHEMA_VERSION, () => this.db.exec(SCHEMA_SQL));
      this.db.transaction(() => migrateOrphanSchema(this.db)).immediate();
      this.stmt = this.prepareStatements();
      this.inserter = new JobInserter(this.db);
      this.transactional = new SqliteTransactionalCompletion(this.db, (completions, now) =>
        this.completeInTransaction(completions, now),
      );
      this.deadLetters = new SqliteDeadLetters(this.db, {
        path,
        isClosed: () => this.closed,
        ...(options.indexedPaths ? { indexedPaths: options.indexedPaths } : {}),
        ...(options.scanBudget !== undefined ? { scanBudget: options.scanBudget } : {}),
      });
      this.failures = new JobFailureWriter(this.db, this.deadLetters);
      this.orphans = new SqliteOrphans(this.db, (input, now) =>
        this.deadLetters.insertFromJobs([input], now),
      );
      this.leadership = new SqliteLeadership(this.db, (fn) => this.write(fn));
    } catch (error) {
      if (this.ownsDatabase && db?.open) db.close();
      throw translateSqliteError(error, path);
    }
    this.watcher = new QueueWatcher(
      () => this.db.pragma('data_version', { simple: true }) as number,
      options.pollIntervalMs ?? 5,
    );
  }

  private configure(options: SqliteStoreOptions): void {
    const synchronous = options.synchronous ?? 'NORMAL';
    if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
      throw new ValidationError('synchronous', `must be 'NORMAL' or 'FULL', got ${String(synchronous)}`);
    }
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (this.path !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.pragma('temp_store = MEMORY');
  }

  private prepareStatements(): Record<string, Statement> {
    const p = (sql: string) => this.db.prepare(sql);
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
        `SELECT ${CLAIM_COLUMNS} FROM redrive_jobs WHERE queue = ? AND state = 'waiting'
          ORDER BY priority DESC, run_at, id LIMIT ?`,
      ).raw(),
      claimCandidatesNoSuspects: p(
        `SELECT ${CLAIM_COLUMNS} FROM redrive_jobs WHERE queue = ? AND state = 'waiting' AND suspect = 0
          ORDER BY priority DESC, run_at, id LIMIT ?`,
      ).raw(),
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
      completeByToken: p(
        `UPDATE redrive_jobs
            SET state = 'completed', finished_at = @now, lease_expires_at = NULL,
                attempts_made = attempts_made + 1, result = NULL
          WHERE id IN (SELECT value FROM json_each(@ids)) AND claim_token = @token AND state = 'active'
          RETURNING id`,
      ).pluck(),
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
      release: p(
        `UPDATE redrive_jobs SET state = 'waiting', lease_expires_at = NULL, worker_id = NULL, claim_token = NULL,
                run_at = MIN(run_at, @now)
           FROM (SELECT value ->> '$[0]' AS id, value ->> '$[1]' AS token FROM json_each(@batch)) AS c
          WHERE redrive_jobs.id = c.id AND redrive_jobs.claim_token = c.token AND redrive_jobs.state = 'active'
          RETURNING redrive_jobs.id`,
      ).pluck(),
      fenceState: p('SELECT state, claim_token FROM redrive_jobs WHERE id = ?'),
      nextScheduled: p(
        "SELECT MIN(run_at) FROM redrive_jobs WHERE queue = ? AND state = 'scheduled'",
      ).pluck(),
      getJob: p(`SELECT ${JOB_COLUMNS} FROM redrive_jobs WHERE id = ?`),
      countAll: p(countByStateSql('')).raw(),
      countQueue: p(countByStateSql('queue = @queue AND')).raw(),
    };
  }

  /** Runs `fn` in a write transaction that takes the lock up front, translating SQLite failures. */
  private write<T>(fn: () => T): T {
    if (this.closed) throw new ValidationError('store', `the SQLite store at ${this.path} is closed`);
    try {
      return this.db.transaction(fn).immediate();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }

  private read<T>(fn: () => T): T {
    if (this.closed) throw new ValidationError('store', `the SQLite store at ${this.path} is closed`);
    try {
      return fn();
    } catch (error) {
      throw translateSqliteError(error, this.path);
    }
  }

  // ---- jobs -------------------------------------------------------------------------------

  async insertJobs(params: InsertJobsParams): Promise<InsertJobResult[]> {
    return this.insertJobsSync(params);
  }

  insertJobsSync(params: InsertJobsParams): InsertJobResult[] {
    const { jobs, now } = params;
    if (jobs.length === 0) return [];
    const run = () => this.inserter.insert(jobs, now, this.knownQueues);
    // Inside the application's transaction the queue rows may still roll back: do not cache them.
    const inOuterTransaction = this.db.inTransaction;
    // A single unkeyed job is one statement: autocommit is already atomic and saves BEGIN/COMMIT.
    const results =
      jobs.length === 1 && jobs[0]?.idempotencyKey === null && this.knownQueues.has(jobs[0].queue)
        ? this.read(run)
        : this.write(run);
    const notified = new Set<string>();
    for (const job of jobs) {
      if (!notified.has(job.queue)) {
        notified.add(job.queue);
        if (!inOuterTransaction) this.knownQueues.add(job.queue);
        this.watcher.notify(job.queue);
      }
    }
    return results;
  }

  async claimJobs(params: ClaimJobsParams): Promise<ClaimedJob[]> {
    return this.write(() => this.claimInTransaction(params));
  }

  /**
   * Reads the next jobs through the claim index, then leases exactly those rows: both inside one
   * IMMEDIATE transaction, so no other writer can claim them in between. (Two statements beat one
   * UPDATE ... RETURNING, which materialises every returned column first.)
   */
  private claimInTransaction(params: ClaimJobsParams): ClaimedJob[] {
    const { queue, now, claimId, workerId } = params;
    if (this.stmt.isPaused!.get(queue) === 1) return [];
    this.stmt.promote!.run(queue, now);
    const leaseExpiresAt = now + params.leaseMs;
    if (params.quarantine && params.limit > 0) {
      const row = this.orphans.claimSuspect({ queue, claimId, workerId, leaseExpiresAt, now });
      if (row) return [claimedJobFromClaimRow(row, queue, claimId, workerId, leaseExpiresAt, now, true)];
    }
    // Suspects are rare: the plain candidate query (no suspect filter) runs unless one is waiting.
    const candidates =
      this.stmt.anySuspect!.get(queue) === undefined
        ? this.stmt.claimCandidates!
        : this.stmt.claimCandidatesNoSuspects!;
    const rows = candidates.all(queue, params.limit) as ClaimRow[];
    if (rows.length === 0) return [];
    let ids = '[';
    for (let i = 0; i < rows.length; i++) ids += (i > 0 ? ',' : '') + rows[i]![0];
    this.stmt.claimByIds!.run({
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

  async advanceStartHorizon(params: AdvanceStartHorizonParams): Promise<void> {
    this.write(() => this.orphans.raiseHorizon(params.workerId, params.horizon, params.now));
  }

  /** Completes a batch and claims the next one in a single transaction (one commit instead of two). */
  async completeAndClaimJobs(params: {
    completions: readonly JobCompletion[];
    failures?: readonly JobFailure[];
    claim: ClaimJobsParams;
  }): Promise<{ completed: FenceResult[]; failed: FailJobResult[]; claimed: ClaimedJob[] }> {
    const { now } = params.claim;
    const failures = params.failures ?? [];
    const result = this.write(() => {
      const completed = this.completeInTransaction(params.completions, now);
      const failed = failures.length > 0 ? this.failures.fail(failures, now) : undefined;
      return { completed, failed, claimed: this.claimInTransaction(params.claim) };
    });
    for (const queue of result.failed?.wokenQueues ?? []) this.watcher.notify(queue);
    return { completed: result.completed, failed: result.failed?.results ?? [], claimed: result.claimed };
  }

  async completeJobs(params: CompleteJobsParams): Promise<FenceResult[]> {
    if (params.completions.length === 0) return [];
    return this.write(() => this.completeInTransaction(params.completions, params.now));
  }

  /**
   * Completions without a result that share a token (a claim's jobs share it, attempt number
   * aside) go in one statement per token that binds the token once and reads a plain id list: about
   * 1.7x faster than matching (id, token) pairs row by row, which the rest still do.
   */
  private completeInTransaction(completions: readonly JobCompletion[], now: number): FenceResult[] {
    if (completions.length === 0) return [];
    const repeated = this.tokensOfRepeatedIds(completions);
    const done: number[] = [];
    const byToken = new Map<string, number[]>();
    let withResult = '';
    for (const c of completions) {
      if (c.resultJson === null && !repeated) {
        const ids = byToken.get(c.token);
        if (ids) ids.push(Number(c.id));
        else byToken.set(c.token, [Number(c.id)]);
      } else {
        withResult += `${withResult ? ',' : ''}[${Number(c.id)},${JSON.stringify(c.token)},${c.resultJson === null ? 'null' : JSON.stringify(c.resultJson)}]`;
      }
    }
    for (const [token, ids] of byToken) {
      done.push(...(this.stmt.completeByToken!.all({ now, token, ids: `[${ids.join(',')}]` }) as number[]));
    }
    if (withResult) done.push(...(this.stmt.complete!.all({ now, batch: `[${withResult}]` }) as number[]));
    return this.fenceResults(completions, done, 'completed', repeated);
  }

  async completeJobInTransaction<T>(
    params: CompleteJobInTransactionParams<T>,
  ): Promise<TransactionalCompletion<T>> {
    if (this.closed) throw new ValidationError('store', `the SQLite store at ${this.path} is closed`);
    return this.transactional.run(params);
  }

  async recordJobResult(params: { id: string; token: string; resultJson: string }): Promise<boolean> {
    return this.read(() => this.transactional.recordResult(params));
  }

  async extendLeases(params: ExtendLeasesParams): Promise<FenceResult[]> {
    if (params.leases.length === 0) return [];
    const batch = JSON.stringify(params.leases.map((l) => [Number(l.id), l.token]));
    return this.write(() => {
      const repeated = this.tokensOfRepeatedIds(params.leases);
      const ok = this.stmt.extend!.all({ batch, leaseExpiresAt: params.now + params.leaseMs }) as number[];
      return this.fenceResults(params.leases, ok, null, repeated);
    });
  }

  async releaseJobs(params: ReleaseJobsParams): Promise<FenceResult[]> {
    if (params.leases.length === 0) return [];
    const batch = JSON.stringify(params.leases.map((l) => [Number(l.id), l.token]));
    const results = this.write(() => {
      const repeated = this.tokensOfRepeatedIds(params.leases);
      const ok = this.stmt.release!.all({ batch, now: params.now }) as number[];
      return this.fenceResults(params.leases, ok, null, repeated);
    });
    if (results.some((r) => r.ok)) for (const queue of this.knownQueues) this.watcher.notify(queue);
    return results;
  }

  /**
   * Builds per-item results from the ids a fenced statement changed. For the others, reads why:
   * a repeated completion by the same token reports `duplicate` instead of a conflict.
   */
  private fenceResults(
    items: readonly { id: string; token: string }[],
    changedIds: number[],
    finishedState: JobState | null,
    repeated?: Map<number, string | null>,
  ): FenceResult[] {
    const changed = new Set(changedIds);
    return items.map((item): FenceResult => {
      const id = Number(item.id);
      // A job named twice in one batch (a stale and the current lease): only the token it held counts.
      if (changed.has(id) && (!repeated?.has(id) || repeated.get(id) === item.token)) {
        return { id: item.id, ok: true };
      }
      const row = this.stmt.fenceState!.get(id) as
        | { state: JobState; claim_token: string | null }
        | undefined;
      if (!row) return { id: item.id, ok: false, reason: 'not_found' };
      if (row.claim_token !== item.token) return { id: item.id, ok: false, reason: 'stale_token' };
      if (finishedState !== null && row.state === finishedState)
        return { id: item.id, ok: true, duplicate: true };
      return { id: item.id, ok: false, reason: 'not_active' };
    });
  }

  /**
   * For jobs named more than once in a batch (rare), their token before the batch's statement runs,
   * so that {@link fenceResults} can tell which item matched. Undefined when no id repeats.
   */
  private tokensOfRepeatedIds(items: readonly { id: string }[]): Map<number, string | null> | undefined {
    if (items.length < 2) return undefined;
    const seen = new Set<number>();
    let repeated: Map<number, string | null> | undefined;
    for (const item of items) {
      const id = Number(item.id);
      if (seen.has(id) && !repeated?.has(id)) {
        const row = this.stmt.fenceState!.get(id) as { claim_token: string | null } | undefined;
        repeated ??= new Map();
        repeated.set(id, row?.claim_token ?? null);
      }
      seen.add(id);
    }
    return repeated;
  }

  async failJobs(params: FailJobsParams): Promise<FailJobResult[]> {
    if (params.failures.length === 0) return [];
    const { results, wokenQueues } = this.write(() => this.failures.fail(params.failures, params.now));
    for (const queue of wokenQueues) this.watcher.notify(queue);
    return results;
  }

  async failJob(params: FailJobParams): Promise<FailJobResult> {
    const { now, ...failure } = params;
    const [result] = await this.failJobs({ failures: [failure], now });
    return result!;
  }

  async recoverExpiredLeases(params: RecoverExpiredLeasesParams): Promise<RecoveryResult> {
    const { queues, ...result } = this.write(() => this.orphans.recover(params));
    for (const queue of queues) this.watcher.notify(queue);
    return result;
  }

  async nextScheduledAt(params: { queue: string }): Promise<number | null> {
    return this.read(() => (this.stmt.nextScheduled!.get(params.queue) as number | null) ?? null);
  }

  async getJob(params: { id: string }): Promise<Job | null> {
    const numeric = Number(params.id);
    if (!Number.isSafeInteger(numeric)) return null;
    const row = this.read(() => this.stmt.getJob!.get(numeric) as JobRow | undefined);
    return row ? jobFromRow(row) : null;
  }

  async listJobs(params: ListJobsParams): Promise<Job[]> {
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
    const rows = this.read(() => this.db.prepare(sql).all(...args, params.limit) as JobRow[]);
    return rows.map(jobFromRow);
  }

  /**
   * One COUNT per state, each answered from that state's partial index, so counting never scans
   * the table (a GROUP BY over a million rows would block the event loop for tens of ms).
   */
  async countJobs(params: { queue?: string }): Promise<JobCounts> {
    const counts = emptyJobCounts();
    const row = this.read(() =>
      params.queue === undefined
        ? (this.stmt.countAll!.get() as number[])
        : (this.stmt.countQueue!.get({ queue: params.queue }) as number[]),
    );
    JOB_STATES.forEach((state, i) => {
      counts[state] = row[i] ?? 0;
    });
    return counts;
  }

  async listQueues(): Promise<{ name: string; paused: boolean }[]> {
    const rows = this.read(() => this.stmt.listQueues!.all() as { name: string; paused: number }[]);
    return rows.map((r) => ({ name: r.name, paused: r.paused === 1 }));
  }

  async pauseQueue(params: { queue: string }): Promise<void> {
    this.write(() => this.stmt.setPaused!.run(params.queue, 1));
    this.knownQueues.add(params.queue);
  }

  async resumeQueue(params: { queue: string }): Promise<void> {
    this.write(() => this.stmt.setPaused!.run(params.queue, 0));
    this.knownQueues.add(params.queue);
    this.watcher.notify(params.queue);
  }

  async isQueuePaused(params: { queue: string }): Promise<boolean> {
    return this.read(() => this.stmt.isPaused!.get(params.queue) === 1);
  }

  /**
   * Deletes per state, with the state written literally into the SQL so that SQLite can use that
   * state's partial index (a bound parameter would not match the index's WHERE clause).
   */
  async removeJobs(params: RemoveJobsParams): Promise<number> {
    const states = [...new Set(params.states)].filter((s): s is RemovableState => REMOVABLE_STATES.has(s));
    return this.write(() => {
      let removed = 0;
      for (const state of states) {
        if (removed >= params.limit) break;
        const where = [`state = '${state}'`];
        const args: unknown[] = [];
        if (params.queue !== undefined) {
          where.push('queue = ?');
          args.push(params.queue);
        }
        if (params.before !== undefined) {
          where.push(
            state === 'completed' || state === 'dead_lettered' ? 'finished_at < ?' : 'created_at < ?',
          );
          args.push(params.before);
        }
        const sql = `DELETE FROM redrive_jobs WHERE id IN (SELECT id FROM redrive_jobs WHERE ${where.join(' AND ')} LIMIT ?)`;
        removed += this.db.prepare(sql).run(...args, params.limit - removed).changes;
      }
      return removed;
    });
  }

  async removeJobsById(params: { ids: readonly string[] }): Promise<number> {
    const ids = params.ids.map(Number).filter(Number.isSafeInteger);
    if (ids.length === 0) return 0;
    return this.write(
      () =>
        this.db
          .prepare(
            "DELETE FROM redrive_jobs WHERE id IN (SELECT value FROM json_each(?)) AND state != 'active'",
          )
          .run(JSON.stringify(ids)).changes,
    );
  }

  watchQueue(queue: string, listener: () => void): () => void {
    return this.watcher.watch(queue, listener);
  }

  // ---- dead letters (implemented in sqlite-dead-letters.ts) --------------------------------

  insertDeadLetters(params: { deadLetters: readonly NewDeadLetter[]; now: number }) {
    return this.deadLetters.insertDeadLetters(params);
  }

  /**
   * Deletes dead letters by id without retention rules: only for moving records between the files
   * of a sharded store, after they were copied. Not part of the Store interface.
   */
  async deleteDeadLettersById(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.write(
      () =>
        this.db
          .prepare('DELETE FROM redrive_dead_letters WHERE id IN (SELECT value FROM json_each(?))')
          .run(JSON.stringify(ids)).changes,
    );
  }
  getDeadLetter(params: { id: string }): Promise<DeadLetter | null> {
    return this.deadLetters.getDeadLetter(params);
  }
  getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null> {
    return this.deadLetters.getDeadLetterByJob(params);
  }
  listDeadLetters(params: DL.ListDeadLettersParams): Promise<DL.DeadLetterPage> {
    return this.deadLetters.listDeadLetters(params);
  }
  facetDeadLetters(
    params: Parameters<DL.DeadLetterStore['facetDeadLetters']>[0],
  ): Promise<DL.DeadLetterFacets> {
    return this.deadLetters.facetDeadLetters(params);
  }
  /** Moves dead-letter queries to a reader thread (file databases); see {@link SqliteDeadLetters.readOffThread}. */
  readDeadLettersOffThread(): boolean {
    return this.deadLetters.readOffThread(this.busyTimeoutMs);
  }
  topDeadLetterFailures(params: DL.DeadLetterFilter & { limit: number }): Promise<DL.TopFailures> {
    return this.deadLetters.topDeadLetterFailures(params);
  }
  getDeadLetterStats(params: { now: number }): Promise<DL.DeadLetterStoreStats> {
    return this.deadLetters.getDeadLetterStats(params);
  }
  acquireDeadLetterForReplay(params: DL.AcquireDeadLetterParams): Promise<DL.DeadLetterChangeResult> {
    return this.deadLetters.acquireDeadLetterForReplay(params);
  }
  finishDeadLetterReplay(params: DL.FinishDeadLetterReplayParams): Promise<DL.DeadLetterChangeResult> {
    return this.deadLetters.finishDeadLetterReplay(params);
  }
  resolveDeadLetters(params: DL.ResolveDeadLettersParams): Promise<DL.ResolveDeadLettersResult> {
    return this.deadLetters.resolveDeadLetters(params);
  }
  transitionDeadLetters(params: DL.TransitionDeadLettersParams): Promise<{ ids: string[] }> {
    return this.deadLetters.transitionDeadLetters(params);
  }
  purgeDeadLetters(params: DL.PurgeDeadLettersParams): Promise<{ ids: string[] }> {
    return this.deadLetters.purgeDeadLetters(params);
  }
  regroupDeadLetters(params: DL.RegroupDeadLettersParams): Promise<{ updated: number }> {
    return this.deadLetters.regroupDeadLetters(params);
  }
  appendAudit(params: Parameters<DL.DeadLetterStore['appendAudit']>[0]): Promise<{ seqs: number[] }> {
    return this.deadLetters.appendAudit(params);
  }
  purgeAudit(params: DL.PurgeAuditParams): Promise<{ deleted: number }> {
    return this.deadLetters.purgeAudit(params);
  }
  listAudit(
    params: DL.ListAuditParams,
  ): Promise<{ items: DeadLetterAuditEntry[]; nextBefore: number | null }> {
    return this.deadLetters.listAudit(params);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Runs `PRAGMA integrity_check`; returns `['ok']` for a healthy database. */
  integrityCheck(): string[] {
    return this.read(
      () => this.db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[],
    ).map((r) => r.integrity_check);
  }

  // ---- leader election (sqlite-leadership.ts) ----------------------------------------------

  async acquireLeadership(params: LS.AcquireLeadershipParams): Promise<LS.LeadershipResult> {
    return this.leadership.acquire(params);
  }
  async renewLeadership(params: LS.RenewLeadershipParams): Promise<LS.LeadershipResult> {
    return this.leadership.renew(params);
  }
  async resignLeadership(params: LS.ResignLeadershipParams): Promise<boolean> {
    return this.leadership.resign(params);
  }
  async getLeader(params: { now: number }): Promise<LS.LeaderLease | null> {
    return this.read(() => this.leadership.get(params));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher.close();
    await this.deadLetters.closeReadThread();
    if (this.ownsDatabase) this.db.close();
  }
}

type RemovableState = Exclude<JobState, 'active'>;
const REMOVABLE_STATES: ReadonlySet<string> = new Set<RemovableState>([
  'scheduled',
  'waiting',
  'completed',
  'dead_lettered',
]);

/** A single-row query counting each state (in {@link JOB_STATES} order) through its own index. */
function countByStateSql(queueFilter: string): string {
  const count = (state: string) =>
    `(SELECT COUNT(*) FROM redrive_jobs WHERE ${queueFilter} state = '${state}')`;
  return `SELECT ${JOB_STATES.map(count).join(', ')}`;
}
