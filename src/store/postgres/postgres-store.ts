/**
 * The PostgreSQL store (pg 8): jobs and dead letters in one schema of the application's database.
 * Every hot path is one statement per batch: inserts `unnest` arrays, a claim locks a batch with
 * `FOR UPDATE SKIP LOCKED`, completing a batch and claiming the next is one function call (one
 * round trip), heartbeats for all of a worker's leases are one UPDATE; every write is fenced by
 * the claim token. Idle workers are woken through LISTEN/NOTIFY (queue-listener.ts).
 *
 * The schema is migrated on first use (migrate.ts). The caller's `now` decides every lease and
 * due time, as on the SQLite store.
 */
import type pg from 'pg';
import { ValidationError } from '../../core/errors.js';
import type { ClaimedJob, Job, JobCounts, JobState } from '../../core/job.js';
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
import { StoreParts } from '../shared/store-parts.js';

import type { Store } from '../store.js';
import { failJobsOn } from './job-failures.js';
import { assertTransaction, JobInserter } from './job-inserter.js';
import { listJobs, removeJobs } from './job-queries.js';
import { recoverExpiredLeases } from './lease-recovery.js';
import {
  type PgQueryable,
  PostgresConnection,
  type PostgresConnectionOptions,
} from './postgres-connection.js';
import { PostgresDeadLetters } from './postgres-dead-letters.js';
import { PostgresJobEvents } from './postgres-job-events.js';
import { PostgresLeadership } from './postgres-leadership.js';
import { QueueListener } from './queue-listener.js';
import { byClaimOrder, type ClaimRow, claimedJobFromRow, type JobRow, jobFromRow, toJobId } from './rows.js';
import { completeInTransaction, recordJobResult } from './transactional-completion.js';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions extends PostgresConnectionOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`). Default: `DATABASE_URL`. */
  url?: string;
  /** A pg `Pool` owned by the application (not ended by the store). */
  pool?: pg.Pool;
  /** The schema holding the store's tables. Default `redrive`. */
  schema?: string;
  /** Connections of the pool the store creates from `url`. Default 10. */
  poolSize?: number;
  /**
   * Apply pending migrations on first use (default true). With false, a schema behind this code is
   * an error naming `redrive migrate`.
   */
  migrate?: boolean;
  /**
   * Longest wait for one statement's reply, and for a connection from the store's own pool.
   * Default 30 000 ms. A call into a connection that stopped answering (a partition, a dead host)
   * fails then with a StoreUnavailableError saying its outcome is unknown, instead of waiting until
   * TCP gives up. Migrations are not bounded. An application's `pool` keeps its own settings.
   */
  queryTimeoutMs?: number;
  /** Name (prepare) hot statements once per connection. Default true; false for PgBouncer before 1.21 in transaction mode. */
  preparedStatements?: boolean;
  /**
   * LISTEN for other processes' wake-ups on a dedicated connection (default true). Needs a direct
   * connection (not PgBouncer in transaction mode): give `listenUrl` for that, or set false and
   * rely on polling.
   */
  listen?: boolean;
  /** Where the LISTEN connection goes, when the pool goes through a transaction-mode pooler. */
  listenUrl?: string;
}

/** The PostgreSQL store. */
export class PostgresStore extends StoreParts implements Store {
  readonly kind = 'postgres';
  readonly capabilities: StoreCapabilities = {
    notify: true,
    clientTransactions: true,
    transactionalCompletion: true,
    jobEvents: true,
  };
  /** Where the store points (no password) and its schema, for messages. */
  readonly location: string;
  /** The schema of the store's tables. */
  readonly schema: string;

  private readonly conn: PostgresConnection;
  private readonly inserter: JobInserter;
  private readonly listener: QueueListener;
  protected readonly jobEvents: PostgresJobEvents;
  protected readonly deadLetters: PostgresDeadLetters;
  protected readonly leadership: PostgresLeadership;

  constructor(options: PostgresStoreOptions = {}) {
    super();
    this.conn = new PostgresConnection(options);
    this.schema = this.conn.schema;
    this.location = this.conn.location;
    this.inserter = new JobInserter(this.conn);
    const listenUrl = options.listenUrl;
    this.listener = new QueueListener(
      this.schema,
      () => (listenUrl ? { connectionString: listenUrl } : this.conn.clientConfig),
      options.listen ?? true,
    );
    this.jobEvents = new PostgresJobEvents({
      schema: this.schema,
      query: (what, text, values) => this.conn.query(what, text, values),
      clientConfig: () => (listenUrl ? { connectionString: listenUrl } : this.conn.clientConfig),
    });
    this.deadLetters = new PostgresDeadLetters(this.conn);
    this.leadership = new PostgresLeadership(this.conn);
  }

  /** The pg pool the store runs on. */
  get pool(): pg.Pool {
    return this.conn.pool;
  }

  /** Applies pending migrations now (they also run on first use); reports what it did. */
  migrate(): Promise<{ from: number; to: number; applied: string[] }> {
    return this.conn.migrate();
  }

  /** Resolves once the schema is ready; rejects with the reason it is not (unreachable, newer schema). */
  ready(): Promise<void> {
    return this.conn.ready();
  }

  /** Whether the LISTEN connection is up (false before the first watch and while reconnecting). */
  get listening(): boolean {
    return this.listener.listening;
  }

  /** Drops the LISTEN connection as a network failure would (for tests of the reconnect path). */
  simulateListenerDrop(): void {
    this.listener.simulateDrop();
  }

  // ---- jobs -------------------------------------------------------------------------------

  /**
   * Inserts jobs in one statement. With `transaction`, inside the application's open transaction:
   * the jobs exist if and only if it commits (workers are woken by the commit's NOTIFY).
   */
  async insertJobs(params: InsertJobsParams): Promise<InsertJobResult[]> {
    const { jobs, now } = params;
    if (jobs.length === 0) return [];
    const transaction = params.transaction === undefined ? undefined : assertTransaction(params.transaction);
    const results = await this.inserter.insert(jobs, now, transaction);
    if (!transaction) {
      const notified = new Set<string>();
      for (const job of jobs) {
        if (notified.has(job.queue)) continue;
        notified.add(job.queue);
        this.listener.notify(job.queue);
      }
    }
    return results;
  }

  async claimJobs(params: ClaimJobsParams): Promise<ClaimedJob[]> {
    return (await this.completeAndClaimJobs({ completions: [], claim: params })).claimed;
  }

  /**
   * Completes a batch and claims the next in one function call: one round trip, one commit. With
   * failures, one transaction: the completions, then the failures, then the claim.
   */
  async completeAndClaimJobs(params: {
    completions: readonly JobCompletion[];
    failures?: readonly JobFailure[];
    claim: ClaimJobsParams;
  }): Promise<{ completed: FenceResult[]; failed: FailJobResult[]; claimed: ClaimedJob[] }> {
    const { completions, claim } = params;
    if (typeof claim.queue !== 'string' || claim.queue === '')
      throw new ValidationError('queue', 'must be a non-empty string');
    const failures = params.failures ?? [];
    const lost = claim.lostClaims ?? [];
    if (failures.length > 0 || lost.length > 0) {
      const { completed, failed, rows } = await this.conn.transaction(
        'complete, fail and claim',
        async (client) => {
          // The jobs of claims whose replies were lost go back to waiting first (job-store.ts).
          if (lost.length > 0)
            await this.conn.run(
              'jobs',
              'releaseLostClaims',
              [claim.queue, claim.workerId, lost, claim.now],
              client,
            );
          const done = await this.completeRows(completions, claim.now, client);
          const failed = await failJobsOn(this.conn, this.deadLetters, client, failures, claim.now);
          return { completed: done, failed, rows: await this.claimRows([], claim, client) };
        },
        { genericPlans: true },
      );
      const claimed = rows.filter((row) => !row.done).sort(byClaimOrder);
      return {
        completed: await this.fenceResults(completions, completed, 'completed'),
        failed,
        claimed: claimed.map((row) => claimedJobFromRow(row, claim)),
      };
    }
    const rows = await this.claimRows(completions, claim);
    const matched = new Set<string>();
    const claimed: ClaimRow[] = [];
    for (const row of rows) {
      if (row.done) matched.add(pairKey(row.id, row.token));
      else claimed.push(row);
    }
    claimed.sort(byClaimOrder);
    return {
      completed: await this.fenceResults(completions, matched, 'completed'),
      failed: [],
      claimed: claimed.map((row) => claimedJobFromRow(row, claim)),
    };
  }

  /** The complete_and_claim function: completion rows (`done`) and claimed rows. */
  private claimRows(
    completions: readonly JobCompletion[],
    claim: ClaimJobsParams,
    client?: PgQueryable,
  ): Promise<ClaimRow[]> {
    return this.conn.run<ClaimRow>(
      'jobs',
      'completeAndClaim',
      [
        completions.map((c) => toJobId(c.id) ?? -1),
        completions.map((c) => c.token),
        completions.map((c) => c.resultJson),
        claim.now,
        claim.queue,
        claim.workerId,
        Math.max(0, Math.floor(claim.limit)),
        claim.leaseMs,
        claim.claimId,
        claim.starts?.firstSeq ?? null,
        claim.starts?.horizon ?? null,
        claim.quarantine === true,
      ],
      client,
    );
  }

  async advanceStartHorizon(params: AdvanceStartHorizonParams): Promise<void> {
    await this.conn.run('jobs', 'raiseHorizon', [params.workerId, params.horizon, params.now]);
  }

  /**
   * The (id, token) pairs the fenced completion changed. Written by complete_and_claim with a
   * claim of none: the function is planned generically (migration 0006), where a prepared statement
   * of its own is planned for each call's ids during a connection's first five calls, and may then
   * scan the whole table for a large batch.
   */
  private async completeRows(
    completions: readonly JobCompletion[],
    now: number,
    client?: PgQueryable,
  ): Promise<Set<string>> {
    if (completions.length === 0) return new Set();
    const rows = await this.claimRows(
      completions,
      { queue: '', workerId: '', limit: 0, leaseMs: 0, now, claimId: '' },
      client,
    );
    return new Set(rows.map((r) => pairKey(r.id, r.token)));
  }

  async completeJobs(params: CompleteJobsParams): Promise<FenceResult[]> {
    const { completions } = params;
    if (completions.length === 0) return [];
    return this.fenceResults(completions, await this.completeRows(completions, params.now), 'completed');
  }

  /** The application's writes and the job's completion in one transaction (transactional-completion.ts). */
  completeJobInTransaction<T>(
    params: CompleteJobInTransactionParams<T>,
  ): Promise<TransactionalCompletion<T>> {
    return completeInTransaction(this.conn, params);
  }

  recordJobResult(params: { id: string; token: string; resultJson: string }): Promise<boolean> {
    return recordJobResult(this.conn, params);
  }

  async extendLeases(params: ExtendLeasesParams): Promise<FenceResult[]> {
    if (params.leases.length === 0) return [];
    const rows = await this.conn.run<{ id: number; token: string }>('jobs', 'extend', [
      params.leases.map((l) => toJobId(l.id) ?? -1),
      params.leases.map((l) => l.token),
      params.now + params.leaseMs,
    ]);
    return this.fenceResults(params.leases, new Set(rows.map((r) => pairKey(r.id, r.token))), null);
  }

  async updateJobProgress(params: UpdateJobProgressParams): Promise<FenceResult> {
    const id = toJobId(params.id);
    const rows =
      id === null
        ? []
        : await this.conn.run<{ id: number; token: string }>('jobs', 'progress', [
            id,
            params.token,
            params.progressJson,
          ]);
    const changed = new Set(rows.map((r) => pairKey(r.id, r.token)));
    return (await this.fenceResults([params], changed, null))[0]!;
  }

  async releaseJobs(params: ReleaseJobsParams): Promise<FenceResult[]> {
    if (params.leases.length === 0) return [];
    const rows = await this.conn.run<{ id: number; token: string }>('jobs', 'release', [
      params.leases.map((l) => toJobId(l.id) ?? -1),
      params.leases.map((l) => l.token),
      params.now,
    ]);
    return this.fenceResults(params.leases, new Set(rows.map((r) => pairKey(r.id, r.token))), null);
  }

  /**
   * Per-item results of a fenced batch from the (id, token) pairs it changed. Only when something
   * was refused, one more statement reads why: a repeat by the same token of a finished change is a
   * `duplicate`, another token is `stale_token`, no row is `not_found`.
   */
  private async fenceResults(
    items: readonly { id: string; token: string }[],
    matched: Set<string>,
    finishedState: JobState | null,
  ): Promise<FenceResult[]> {
    const refused = items.filter((item) => !matched.has(pairKey(Number(item.id), item.token)));
    let states = new Map<number, { state: JobState; claim_token: string | null }>();
    if (refused.length > 0) {
      const ids = refused.map((i) => Number(i.id)).filter(Number.isSafeInteger);
      const rows = await this.conn.run<{ id: number; state: JobState; claim_token: string | null }>(
        'jobs',
        'fenceStates',
        [ids],
      );
      states = new Map(rows.map((r) => [r.id, r]));
    }
    return items.map((item): FenceResult => {
      const id = Number(item.id);
      if (matched.has(pairKey(id, item.token))) return { id: item.id, ok: true };
      const row = states.get(id);
      if (!row) return { id: item.id, ok: false, reason: 'not_found' };
      if (row.claim_token !== item.token) return { id: item.id, ok: false, reason: 'stale_token' };
      if (finishedState !== null && row.state === finishedState)
        return { id: item.id, ok: true, duplicate: true };
      return { id: item.id, ok: false, reason: 'not_active' };
    });
  }

  /** Every failure of the batch in one transaction (see job-failures.ts). */
  async failJobs(params: FailJobsParams): Promise<FailJobResult[]> {
    if (params.failures.length === 0) return [];
    return this.conn.transaction(
      'fail jobs',
      (client) => failJobsOn(this.conn, this.deadLetters, client, params.failures, params.now),
      { genericPlans: true },
    );
  }

  async failJob(params: FailJobParams): Promise<FailJobResult> {
    const { now, ...failure } = params;
    const [result] = await this.failJobs({ failures: [failure], now });
    return result!;
  }

  recoverExpiredLeases(params: RecoverExpiredLeasesParams): Promise<RecoveryResult> {
    return recoverExpiredLeases(this.conn, this.deadLetters, params);
  }

  async nextLeaseExpiry(params: NextLeaseExpiryParams): Promise<number | null> {
    const [row] = await this.conn.run<{ at: number }>('jobs', 'nextLeaseExpiry', [params.queue ?? null]);
    return row ? Math.max(0, Number(row.at) - params.now) : null;
  }

  async nextScheduledAt(params: { queue: string }): Promise<number | null> {
    const [row] = await this.conn.run<{ next: number | null }>('jobs', 'nextScheduled', [params.queue]);
    return row?.next ?? null;
  }

  async getJob(params: { id: string }): Promise<Job | null> {
    const numeric = toJobId(params.id);
    if (numeric === null) return null;
    const [row] = await this.conn.run<JobRow>('jobs', 'getJob', [numeric]);
    return row ? jobFromRow(row) : null;
  }

  async listJobs(params: ListJobsParams): Promise<Job[]> {
    return listJobs(this.conn, this.table('jobs'), params);
  }

  /** One count per state, each answered from that state's partial index. */
  async countJobs(params: { queue?: string }): Promise<JobCounts> {
    const [row] =
      params.queue === undefined
        ? await this.conn.run<JobCounts>('jobs', 'countAll', [])
        : await this.conn.run<JobCounts>('jobs', 'countQueue', [params.queue]);
    return row!;
  }

  async listQueues(): Promise<{ name: string; paused: boolean }[]> {
    return this.conn.run<{ name: string; paused: boolean }>('jobs', 'listQueues', []);
  }

  async pauseQueue(params: { queue: string }): Promise<void> {
    await this.conn.run('jobs', 'setPaused', [params.queue, true]);
  }

  async resumeQueue(params: { queue: string }): Promise<void> {
    await this.conn.run('jobs', 'setPaused', [params.queue, false]);
    this.listener.notify(params.queue);
  }

  async isQueuePaused(params: { queue: string }): Promise<boolean> {
    const [row] = await this.conn.run<{ paused: boolean }>('jobs', 'isPaused', [params.queue]);
    return row?.paused ?? false;
  }

  /** Deletes per state, each through that state's partial index. */
  removeJobs(params: RemoveJobsParams): Promise<number> {
    return removeJobs(this.conn, this.table('jobs'), params);
  }

  async removeJobsById(params: { ids: readonly string[] }): Promise<number> {
    const ids = params.ids.map(toJobId).filter((id): id is number => id !== null);
    if (ids.length === 0) return 0;
    const rows = await this.conn.query<{ id: number }>(
      'remove jobs',
      `${this.conn.statement('jobs', 'removeById').text} RETURNING id`,
      [ids],
    );
    return rows.length;
  }

  watchQueue(queue: string, listener: () => void): () => void {
    return this.listener.watch(queue, listener);
  }

  private table(name: string): string {
    return `"${this.schema}".${name}`;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Closes the LISTEN connection and, if the store made it, the pool. Idempotent. */
  async close(): Promise<void> {
    await this.listener.close();
    await this.conn.close();
  }
}

const pairKey = (id: number, token: string) => `${id}\u0000${token}`;
