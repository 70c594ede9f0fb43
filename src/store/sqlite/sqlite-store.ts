/**
 * The embedded store: one SQLite database file in WAL mode, shared safely by several processes.
 * Writes take the lock up front (`BEGIN IMMEDIATE`) and wait out other writers with
 * `busy_timeout`; every hot path is one statement per batch of jobs.
 */
import type Database from 'better-sqlite3';
import type { ClaimedJob, Job, JobCounts } from '../../core/job.js';
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
  NextLeaseExpiryParams,
  RecoverExpiredLeasesParams,
  RecoveryResult,
  ReleaseJobsParams,
  RemoveJobsParams,
  StoreCapabilities,
  TransactionalCompletion,
  UpdateJobProgressParams,
} from '../job-store.js';
import { assertOpen } from '../shared/closed.js';
import { StoreParts } from '../shared/store-parts.js';
import type { Store } from '../store.js';
import { JobClaims } from './job-claims.js';
import { JobFailureWriter } from './job-failures.js';
import { JobInserter } from './job-inserter.js';
import { JobLeases } from './job-leases.js';
import { JobQueries } from './job-queries.js';
import { prepareJobStatements } from './job-statements.js';
import { LostClaims } from './lost-claims.js';
import { QueueWatcher } from './queue-watcher.js';
import { openSqliteConnection } from './sqlite-connection.js';
import { SqliteDeadLetters } from './sqlite-dead-letters.js';
import { translateSqliteError } from './sqlite-errors.js';
import { DEFAULT_EVENT_RETENTION, SqliteJobEvents } from './sqlite-job-events.js';
import { SqliteLeadership } from './sqlite-leadership.js';
import { SqliteOrphans } from './sqlite-orphans.js';
import type { SqliteStoreOptions } from './sqlite-store-options.js';
import { SqliteTransactionalCompletion } from './transactional-completion.js';
import { SqliteTransactions } from './transactions.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type { SqliteStoreOptions } from './sqlite-store-options.js';

/**
 * The embedded SQLite store: the class wires its parts (one file per concern: inserts, claims,
 * leases, failures, orphan recovery, queries, dead letters) to one connection and its
 * transactions, and wakes watchers after commits.
 */
export class SqliteStore extends StoreParts implements Store {
  readonly kind = 'sqlite';
  readonly capabilities: StoreCapabilities = {
    notify: true,
    transactionalEnqueue: true,
    transactionalCompletion: true,
    jobEvents: true,
  };
  /** The database file path (or `:memory:`). */
  readonly path: string;

  private readonly db: Database.Database;
  private readonly ownsDatabase: boolean;
  private readonly watcher: QueueWatcher;
  private readonly knownQueues = new Set<string>();
  private readonly tx: SqliteTransactions;
  private readonly inserter: JobInserter;
  private readonly claims: JobClaims;
  /** Jobs of claims whose replies were lost, released before the next claim (lost-claims.ts). */
  private readonly lostClaims: LostClaims;
  private readonly leases: JobLeases;
  private readonly queries: JobQueries;
  private readonly failures: JobFailureWriter;
  /** The dead-letter half of the store (its own file), answering every DeadLetterStore method. */
  protected readonly deadLetters: SqliteDeadLetters;
  /** Start horizons, quarantine claims and the recovery sweep (sqlite-orphans.ts). */
  private readonly orphans: SqliteOrphans;
  protected readonly leadership: SqliteLeadership;
  private closed = false;
  private readonly busyTimeoutMs: number;
  /** Application writes and a job's completion in one transaction (transactional-completion.ts). */
  private readonly transactional: SqliteTransactionalCompletion;
  /** Job events for listeners in any process (sqlite-job-events.ts). */
  protected readonly jobEvents: SqliteJobEvents;
  /** WAL checkpoints on their own thread once the store is busy (wal-checkpointer.ts), if enabled. */
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(options: SqliteStoreOptions = {}) {
    super();
    const connection = openSqliteConnection(options);
    const { db, path } = connection;
    this.db = db;
    this.path = path;
    this.ownsDatabase = connection.ownsDatabase;
    this.busyTimeoutMs = connection.busyTimeoutMs;
    try {
      const stmt = prepareJobStatements(db);
      const checkpointer =
        connection.ownsDatabase && path !== ':memory:' && options.walCheckpoint !== 'commit'
          ? new WalCheckpointer(db, path, connection.synchronous)
          : undefined;
      this.checkpointer = checkpointer;
      this.tx = new SqliteTransactions(
        db,
        path,
        () => this.closed,
        checkpointer ? () => checkpointer.noteWrite() : undefined,
      );
      this.inserter = new JobInserter(db);
      this.queries = new JobQueries(db, stmt, this.tx);
      this.leases = new JobLeases(stmt);
      this.transactional = new SqliteTransactionalCompletion(db, (completions, now) =>
        this.leases.complete(completions, now),
      );
      this.deadLetters = new SqliteDeadLetters(db, {
        path,
        isClosed: () => this.closed,
        ...(checkpointer ? { afterWrite: () => checkpointer.noteWrite() } : {}),
        ...(options.indexedPaths ? { indexedPaths: options.indexedPaths } : {}),
        ...(options.scanBudget !== undefined ? { scanBudget: options.scanBudget } : {}),
      });
      this.failures = new JobFailureWriter(db, this.deadLetters);
      this.orphans = new SqliteOrphans(db, (input, now) =>
        this.deadLetters.insertFromJobs([input], now)[0]
          ? input.deadLetter.id
          : this.deadLetters.entryIdOfJob(input.jobId),
      );
      this.claims = new JobClaims(stmt, this.orphans);
      this.lostClaims = new LostClaims(db);
      this.leadership = new SqliteLeadership(db, this.tx);
    } catch (error) {
      if (this.ownsDatabase && db.open) db.close();
      throw translateSqliteError(error, path);
    }
    this.watcher = new QueueWatcher(
      () => db.pragma('data_version', { simple: true }) as number,
      options.pollIntervalMs ?? 5,
    );
    this.jobEvents = new SqliteJobEvents(
      db,
      this.tx,
      this.watcher,
      Math.max(1, Math.floor(options.eventRetention ?? DEFAULT_EVENT_RETENTION)),
    );
  }

  async updateJobProgress(params: UpdateJobProgressParams): Promise<FenceResult> {
    return this.tx.write(() => this.leases.progress(params, params.progressJson));
  }

  async insertJobs(params: InsertJobsParams): Promise<InsertJobResult[]> {
    return this.insertJobsSync(params);
  }

  insertJobsSync(params: InsertJobsParams): InsertJobResult[] {
    if (params.jobs.length === 0) return [];
    const results = this.inserter.insertAtomically(params.jobs, params.now, this.knownQueues, this.tx);
    const queues = new Set<string>();
    for (const job of params.jobs) queues.add(job.queue);
    for (const queue of queues) this.watcher.notify(queue);
    return results;
  }

  async claimJobs(params: ClaimJobsParams): Promise<ClaimedJob[]> {
    return this.tx.write(() => this.claimAfterLost(params));
  }

  /** Releases the jobs of `params.lostClaims` alone (a sharded store's shards). Not part of the Store interface. */
  async releaseLostClaims(params: ClaimJobsParams): Promise<number> {
    const released = this.tx.write(() => this.lostClaims.releaseFor(params));
    if (released > 0) this.watcher.notify(params.queue);
    return released;
  }

  /** Releases the jobs of the claim's lost claims, if any, then claims (inside a write transaction). */
  private claimAfterLost(params: ClaimJobsParams): ClaimedJob[] {
    const released = this.lostClaims.releaseFor(params);
    const claimed = this.claims.claim(params);
    // Released jobs the claim did not take wait for any worker.
    if (released > claimed.length) this.watcher.notify(params.queue);
    return claimed;
  }

  async advanceStartHorizon(params: AdvanceStartHorizonParams): Promise<void> {
    this.tx.write(() => this.orphans.raiseHorizon(params.workerId, params.horizon, params.now));
  }

  /** Completes a batch and claims the next one in a single transaction (one commit instead of two). */
  async completeAndClaimJobs(params: {
    completions: readonly JobCompletion[];
    failures?: readonly JobFailure[];
    claim: ClaimJobsParams;
  }): Promise<{ completed: FenceResult[]; failed: FailJobResult[]; claimed: ClaimedJob[] }> {
    const { now } = params.claim;
    const failures = params.failures ?? [];
    const result = this.tx.write(() => {
      const completed = this.leases.complete(params.completions, now);
      const failed = failures.length > 0 ? this.failures.fail(failures, now) : undefined;
      return { completed, failed, claimed: this.claimAfterLost(params.claim) };
    });
    for (const queue of result.failed?.wokenQueues ?? []) this.watcher.notify(queue);
    return { completed: result.completed, failed: result.failed?.results ?? [], claimed: result.claimed };
  }

  async completeJobs(params: CompleteJobsParams): Promise<FenceResult[]> {
    if (params.completions.length === 0) return [];
    return this.tx.write(() => this.leases.complete(params.completions, params.now));
  }

  async completeJobInTransaction<T>(
    params: CompleteJobInTransactionParams<T>,
  ): Promise<TransactionalCompletion<T>> {
    assertOpen(this.closed, 'SQLite', this.path);
    return this.transactional.run(params);
  }

  async recordJobResult(params: { id: string; token: string; resultJson: string }): Promise<boolean> {
    return this.tx.read(() => this.transactional.recordResult(params));
  }

  async extendLeases(params: ExtendLeasesParams): Promise<FenceResult[]> {
    if (params.leases.length === 0) return [];
    return this.tx.write(() => this.leases.extend(params.leases, params.now + params.leaseMs));
  }

  async releaseJobs(params: ReleaseJobsParams): Promise<FenceResult[]> {
    if (params.leases.length === 0) return [];
    const results = this.tx.write(() => this.leases.release(params.leases, params.now));
    if (results.some((r) => r.ok)) for (const queue of this.knownQueues) this.watcher.notify(queue);
    return results;
  }

  async failJobs(params: FailJobsParams): Promise<FailJobResult[]> {
    if (params.failures.length === 0) return [];
    const { results, wokenQueues } = this.tx.write(() => this.failures.fail(params.failures, params.now));
    for (const queue of wokenQueues) this.watcher.notify(queue);
    return results;
  }

  async failJob(params: FailJobParams): Promise<FailJobResult> {
    const { now, ...failure } = params;
    const [result] = await this.failJobs({ failures: [failure], now });
    return result!;
  }

  async recoverExpiredLeases(params: RecoverExpiredLeasesParams): Promise<RecoveryResult> {
    const { queues, ...result } = this.tx.write(() => this.orphans.recover(params));
    for (const queue of queues) this.watcher.notify(queue);
    return result;
  }

  async nextLeaseExpiry(params: NextLeaseExpiryParams): Promise<number | null> {
    return this.queries.nextLeaseExpiry(params);
  }

  async nextScheduledAt(params: { queue: string }): Promise<number | null> {
    return this.queries.nextScheduledAt(params.queue);
  }

  async getJob(params: { id: string }): Promise<Job | null> {
    return this.queries.getJob(params.id);
  }

  async listJobs(params: ListJobsParams): Promise<Job[]> {
    return this.queries.listJobs(params);
  }

  async countJobs(params: { queue?: string }): Promise<JobCounts> {
    return this.queries.countJobs(params.queue);
  }

  async listQueues(): Promise<{ name: string; paused: boolean }[]> {
    return this.queries.listQueues();
  }

  async pauseQueue(params: { queue: string }): Promise<void> {
    this.queries.setPaused(params.queue, true);
    this.knownQueues.add(params.queue);
  }

  async resumeQueue(params: { queue: string }): Promise<void> {
    this.queries.setPaused(params.queue, false);
    this.knownQueues.add(params.queue);
    this.watcher.notify(params.queue);
  }

  async isQueuePaused(params: { queue: string }): Promise<boolean> {
    return this.queries.isPaused(params.queue);
  }

  async removeJobs(params: RemoveJobsParams): Promise<number> {
    return this.queries.removeJobs(params);
  }

  async removeJobsById(params: { ids: readonly string[] }): Promise<number> {
    return this.queries.removeJobsById(params.ids);
  }

  watchQueue(queue: string, listener: () => void): () => void {
    return this.watcher.watch(queue, listener);
  }

  // ---- dead letters: StoreParts answers from sqlite-dead-letters.ts -------------------------

  /**
   * Deletes dead letters by id without retention rules: only for moving records between the files
   * of a sharded store, after they were copied. Not part of the Store interface.
   */
  async deleteDeadLettersById(ids: readonly string[]): Promise<number> {
    return this.queries.deleteDeadLettersById(ids);
  }

  /** See {@link JobQueries.deadLetterIdsOfJobs}; for a sharded store's dead-letter file. Not part of the Store interface. */
  async deadLetterIdsOfJobs(jobIds: readonly string[]): Promise<Map<string, string>> {
    return this.queries.deadLetterIdsOfJobs(jobIds);
  }

  /** See {@link JobQueries.jobsOfDeadLetters}; for a sharded store's dead-letter file. Not part of the Store interface. */
  async jobsOfDeadLetters(ids: readonly string[]): Promise<Map<string, string | null>> {
    return this.queries.jobsOfDeadLetters(ids);
  }

  /** See {@link JobQueries.relinkDeadLetters}; for a sharded store's shards. Not part of the Store interface. */
  async relinkDeadLetters(
    links: readonly { jobId: string; keptId: string | null; replacedId: string }[],
  ): Promise<void> {
    this.queries.relinkDeadLetters(links);
  }

  /** Moves dead-letter queries to a reader thread (file databases); see {@link SqliteDeadLetters.readOffThread}. */
  readDeadLettersOffThread(): boolean {
    return this.deadLetters.readOffThread(this.busyTimeoutMs);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Runs `PRAGMA integrity_check`; returns `['ok']` for a healthy database. */
  integrityCheck(): string[] {
    return this.queries.integrityCheck();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher.close();
    await this.deadLetters.closeReadThread();
    await this.checkpointer?.close();
    if (this.ownsDatabase) this.db.close();
  }
}
