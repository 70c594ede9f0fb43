/**
 * The job half of the Store seam. Each method names the entity and the change, takes one params
 * object and executes one atomic state change. Policy (retry timing, classification, caps) is
 * decided by the caller and passed in; a store never decides it.
 */
import type { NewDeadLetter } from '../core/dead-letter.js';
import type { AttemptRecord, ClaimedJob, Job, JobCounts, JobState, OrphanedWhile } from '../core/job.js';
import type { BackoffOptions } from '../core/retry.js';

/** A job to insert. The store assigns the id. */
export interface NewJob {
  queue: string;
  name: string;
  /** The payload, already serialized to JSON (validated and size-checked by the caller). */
  payloadJson: string;
  priority: 0 | 1 | 2;
  runAt: number;
  maxAttempts: number;
  timeoutMs: number | null;
  backoff: BackoffOptions | null;
  idempotencyKey: string | null;
  replayOf: string | null;
  /** String headers (trace context and the like), kept as given; absent or null for none. */
  headers?: Readonly<Record<string, string>> | null;
}

/** Params of {@link JobStore.insertJobs}. */
export interface InsertJobsParams {
  jobs: readonly NewJob[];
  now: number;
  /**
   * The application's open transaction to insert in, so the jobs exist if and only if it commits.
   * Store-specific (PostgreSQL: a pg client inside `BEGIN`, or a function running SQL in it); only
   * with `capabilities.clientTransactions`.
   */
  transaction?: unknown;
}

/** One result per inserted job, in input order. `created: false` means an idempotency key matched. */
export interface InsertJobResult {
  id: string;
  created: boolean;
}

/** Params of {@link JobStore.claimJobs}. */
export interface ClaimJobsParams {
  queue: string;
  workerId: string;
  limit: number;
  leaseMs: number;
  now: number;
  /** A fresh random id for this claim; the fencing token of each claimed job derives from it. */
  claimId: string;
  /**
   * Start marks. The claimed jobs get the start sequence numbers `firstSeq`, `firstSeq + 1`, … in
   * claim order, and the worker's start horizon is raised to `horizon` (see
   * {@link JobStore.advanceStartHorizon}). Without it the claimed jobs count as started.
   */
  starts?: { firstSeq: number; horizon: number };
  /**
   * The caller holds no other job: if a suspect of the queue is due, claim that one alone (the
   * first in claim order), to run in quarantine, instead of a batch. Batches never hold suspects.
   */
  quarantine?: boolean;
  /**
   * Ids of this worker's earlier claims whose replies were lost (the connection dropped after the
   * store may have run them). First, in the same step, every job this worker still holds under one
   * of them returns to waiting, as {@link JobStore.releaseJobs} would (no attempt spent, its token
   * refused from then on); the claim then takes jobs as usual, those included. With `limit: 0`,
   * only that release (a worker that stops).
   */
  lostClaims?: readonly string[];
  /**
   * When the earliest of `lostClaims` was sent (its `now`), each with this claim's `leaseMs`: the
   * store may then look only at jobs claimed since (by their lease expiry), instead of at every
   * job of the queue that is held. Without it, the store looks at them all.
   */
  lostClaimsSince?: number;
}

/** Params of {@link JobStore.advanceStartHorizon}. */
export interface AdvanceStartHorizonParams {
  workerId: string;
  /** Jobs of this worker whose start sequence number is below this may have started. */
  horizon: number;
  now: number;
}

/** A completion to apply. */
export interface JobCompletion {
  id: string;
  token: string;
  /** The handler's result, serialized to JSON, or null. */
  resultJson: string | null;
}

/** Params of {@link JobStore.completeJobs}. */
export interface CompleteJobsParams {
  completions: readonly JobCompletion[];
  now: number;
}

/**
 * The outcome of a fenced change. `stale_token`: another claim owns the job now (or owned it last);
 * `not_active`: the job finished or was recovered; `not_found`: no such job.
 */
export type FenceResult =
  | { id: string; ok: true; duplicate?: boolean }
  | { id: string; ok: false; reason: 'stale_token' | 'not_active' | 'not_found' };

/** What happens to a failed job: decided by the caller's retry policy and classification. */
export type FailureOutcome =
  | { kind: 'retry'; runAt: number }
  | { kind: 'rate_limited'; runAt: number }
  | { kind: 'dead_letter'; deadLetter: DeadLetterFromJob };

/**
 * A dead letter to create from a job. The store copies the job's queue, id, name, payload and
 * attempt history into it, so the record is complete even if the caller never loaded the payload.
 */
export type DeadLetterFromJob = Omit<
  NewDeadLetter,
  'queue' | 'jobId' | 'jobName' | 'payload' | 'attempts' | 'replayOf' | 'replayCount' | 'initialStatus'
> & {
  /**
   * Applied by the store to the job's payload before it is copied into the dead letter (secret
   * redaction is the caller's policy; the store only runs the transform).
   */
  redactPayload?: PayloadRedaction;
};

/**
 * A payload transform, which may tell from a payload's JSON text that applying it would change
 * nothing (`mayChangeJson` returns false): the store then copies the text as it is.
 */
export type PayloadRedaction = ((payload: unknown) => unknown) & {
  mayChangeJson?: (json: string) => boolean;
};

/** One failed attempt to record: an item of {@link FailJobsParams}. */
export interface JobFailure {
  id: string;
  /** The fencing token of the attempt that failed. */
  token: string;
  /** The attempt, appended to the job's history (and copied into its dead letter). */
  attempt: AttemptRecord;
  outcome: FailureOutcome;
}

/** Params of {@link JobStore.failJobs}. */
export interface FailJobsParams {
  failures: readonly JobFailure[];
  now: number;
}

/** Params of {@link JobStore.failJob}. */
export interface FailJobParams extends JobFailure {
  now: number;
}

/**
 * The outcome of one failure: a {@link FenceResult}, with the id of the dead letter created when
 * the outcome was `dead_letter` and it was applied now (a `duplicate` carries none).
 */
export type FailJobResult = FenceResult & { deadLetterId?: string };

/** Params of {@link JobStore.completeJobInTransaction}. */
export interface CompleteJobInTransactionParams<T> {
  id: string;
  /** The fencing token of the attempt; the completion is refused (and everything rolled back) without it. */
  token: string;
  /** Reads the completion time, once `run` has returned. */
  now: () => number;
  /**
   * The application's work, given the store's open transaction (SQLite: the better-sqlite3
   * connection inside `db.transaction`, synchronous; PostgreSQL: a pg client inside `BEGIN`).
   */
  run: (transaction: unknown) => T | Promise<T>;
}

/**
 * The outcome of {@link JobStore.completeJobInTransaction}: committed with `run`'s value, or
 * rolled back because the fence refused the completion.
 */
export type TransactionalCompletion<T> =
  | { committed: true; value: T }
  | { committed: false; reason: 'stale_token' | 'not_active' | 'not_found' };

/** Params of {@link JobStore.extendLeases}. */
export interface ExtendLeasesParams {
  leases: readonly { id: string; token: string }[];
  leaseMs: number;
  now: number;
}

/** Params of {@link JobStore.updateJobProgress}. */
export interface UpdateJobProgressParams {
  id: string;
  /** The fencing token of the running attempt; a stale one changes nothing. */
  token: string;
  /** The progress value, serialized to JSON (size-checked by the caller). */
  progressJson: string;
  now: number;
}

/** Params of {@link JobStore.releaseJobs}. */
export interface ReleaseJobsParams {
  leases: readonly { id: string; token: string }[];
  now: number;
}

/** Params of {@link JobStore.recoverExpiredLeases}. */
export interface RecoverExpiredLeasesParams {
  now: number;
  /** Only this queue's jobs; every queue when omitted. */
  queue?: string;
  /** An orphan whose orphan count reaches this is dead-lettered as a poison pill. */
  maxOrphans: number;
  limit: number;
  /** Builds the poison-pill dead letter for a job (ids and times are the caller's policy); only quarantine orphans reach it. */
  deadLetterFor: (job: { id: string; queue: string; name: string; orphanCount: number }) => DeadLetterFromJob;
}

/** Params of {@link JobStore.nextLeaseExpiry}. */
export interface NextLeaseExpiryParams {
  /** The caller's time; a store that keeps leases on its own clock reads that instead. */
  now: number;
  /** Only this queue's jobs; every queue when omitted. */
  queue?: string;
}

/** What a recovery sweep did. */
export interface RecoveryResult {
  /** Jobs returned to `waiting` without spending an attempt. */
  recovered: string[];
  /**
   * Poison pills moved to the dead-letter queue, with their dead-letter ids. As for
   * {@link JobStore.failJobs}, a job that has an entry already keeps it: `deadLetterId` names that
   * entry (none if the id built was another job's entry).
   */
  deadLettered: { jobId: string; deadLetterId?: string }[];
  /** How its worker held each job of `recovered` and `deadLettered` when the lease expired. */
  orphanedWhile: Record<string, OrphanedWhile>;
}

/** Params of {@link JobStore.listJobs}. */
export interface ListJobsParams {
  queue?: string;
  states?: readonly JobState[];
  limit: number;
  /** Return jobs with ids after this one (keyset pagination in id order). */
  afterId?: string;
}

/** Params of {@link JobStore.removeJobs}. */
export interface RemoveJobsParams {
  queue?: string;
  /** Only terminal or not-yet-running states may be removed; `active` jobs are never removed. */
  states: readonly Exclude<JobState, 'active'>[];
  /** Only jobs that finished (or, for queued jobs, were created) before this time. */
  before?: number;
  limit: number;
}

/** Optional features a store may declare; callers check these, never `instanceof`. */
export interface StoreCapabilities {
  /** Several database files share the load. */
  sharded?: boolean;
  /**
   * Each queue lives apart (its own Redis Cluster slot): job ids, and listings across queues,
   * follow insertion order within a queue, not across queues.
   */
  queuesApart?: boolean;
  /** The store can wake workers when jobs arrive ({@link JobStore.watchQueue}). */
  notify?: boolean;
  /** Jobs can be inserted synchronously inside the application's own transaction. */
  transactionalEnqueue?: boolean;
  /** {@link JobStore.insertJobs} takes the application's open transaction (`transaction`). */
  clientTransactions?: boolean;
  /** {@link JobStore.completeJobInTransaction}: a handler's writes and its job's completion commit together. */
  transactionalCompletion?: boolean;
  /** Job events cross processes: `publishJobEvents` and `subscribeJobEvents` (job-event-store.ts). */
  jobEvents?: boolean;
}

/** The job operations every store implements. */
export interface JobStore {
  /** A short name of the backend (`sqlite`, `redis`, `postgres`). */
  readonly kind: string;
  readonly capabilities: StoreCapabilities;

  /** Inserts jobs atomically (all or none), honouring idempotency keys. */
  insertJobs(params: InsertJobsParams): Promise<InsertJobResult[]>;
  /**
   * Claims up to `limit` due jobs of a queue in one atomic step (highest priority, then earliest
   * due, then oldest), giving each a lease and a fencing token. Returns nothing while the queue is paused.
   */
  claimJobs(params: ClaimJobsParams): Promise<ClaimedJob[]>;
  /** Completes jobs whose token is current; one result per completion, in input order. */
  completeJobs(params: CompleteJobsParams): Promise<FenceResult[]>;
  /**
   * Optional: {@link JobStore.completeJobs}, then {@link JobStore.failJobs} (when `failures` are
   * given), then {@link JobStore.claimJobs}, in one atomic step and in that order, so a busy worker
   * pays one round trip (one commit) per batch instead of three. `completed` and `failed` answer
   * exactly as those methods would (`failed` is `[]` without failures). A retry due by
   * `claim.now` may be claimed again by the same step.
   */
  completeAndClaimJobs?(params: {
    completions: readonly JobCompletion[];
    failures?: readonly JobFailure[];
    claim: ClaimJobsParams;
  }): Promise<{ completed: FenceResult[]; failed: FailJobResult[]; claimed: ClaimedJob[] }>;
  /**
   * Optional (`capabilities.transactionalCompletion`): runs `run` in a transaction of the store's
   * database and completes the job, fenced by its token, in that same transaction. If the fence
   * refuses (the lease was lost), everything rolls back, `run`'s writes included; if `run` throws,
   * everything rolls back and the error is rethrown. The job's result stays null (see
   * {@link JobStore.recordJobResult}).
   */
  completeJobInTransaction?<T>(
    params: CompleteJobInTransactionParams<T>,
  ): Promise<TransactionalCompletion<T>>;
  /**
   * Optional, with `completeJobInTransaction`: stores the result of a job that the token completed.
   * False when the job is not completed by that token.
   */
  recordJobResult?(params: { id: string; token: string; resultJson: string }): Promise<boolean>;
  /**
   * Records failed attempts and applies each one's outcome (retry, rate-limit pause, dead letter),
   * all in one atomic step (one transaction or script), each fenced by its own token: one result
   * per failure, in input order, and a refused failure changes nothing. The outcomes:
   * - applied: `{ ok: true }`, with `deadLetterId` for a dead letter (created in the same step,
   *   holding the job's payload and whole attempt history, this attempt included). A job that has
   *   an entry already keeps it: `deadLetterId` names that entry (none if the id sent was another
   *   job's entry);
   * - `duplicate` (`ok: true`): a resend of the failure this token already recorded (its attempt
   *   is still the job's last, and the job is where that outcome put it); nothing changes;
   * - `stale_token`, `not_active`, `not_found` as for completions.
   * Failures are applied in input order: a job named twice is failed by the first and the second
   * is judged against the result (a `duplicate` when it is the same resend).
   */
  failJobs(params: FailJobsParams): Promise<FailJobResult[]>;
  /** {@link JobStore.failJobs} for one failure. */
  failJob(params: FailJobParams): Promise<FailJobResult>;
  /**
   * Raises the worker's start horizon to `horizon` (never lowers it): the worker starts a claimed
   * job only once its start sequence number is below a horizon the store has recorded, so on
   * recovery a job at or beyond the horizon is known never to have started (`prefetched`).
   */
  advanceStartHorizon(params: AdvanceStartHorizonParams): Promise<void>;
  /**
   * Stores a running job's progress (shown with the job, `Job.progress`), fenced by the attempt's
   * token like a completion: a worker that lost the lease changes nothing.
   */
  updateJobProgress(params: UpdateJobProgressParams): Promise<FenceResult>;
  /** Extends the leases whose token is current (heartbeat). */
  extendLeases(params: ExtendLeasesParams): Promise<FenceResult[]>;
  /**
   * Returns claimed jobs to `waiting` at once, without spending an attempt (graceful shutdown).
   * The token is cleared, so a late result of the released attempt is refused as stale.
   */
  releaseJobs(params: ReleaseJobsParams): Promise<FenceResult[]>;
  /**
   * Returns jobs whose lease expired to `waiting` without spending an attempt, appending an
   * `orphaned` attempt that says how the job was held ({@link OrphanedWhile}):
   * - `prefetched` (claimed with start marks, sequence number at or beyond the worker's horizon):
   *   nothing else changes;
   * - `running` (any other job claimed in a batch): it becomes a suspect; its orphan count stays;
   * - `quarantine` (claimed alone as a suspect): its orphan count grows, and when it reaches
   *   `maxOrphans` the job is dead-lettered as a poison pill instead (it stays a suspect).
   * Changes only rows whose lease and token it read, and clears the token, so the lost worker's
   * late completion or failure is refused as stale.
   */
  recoverExpiredLeases(params: RecoverExpiredLeasesParams): Promise<RecoveryResult>;
  /**
   * Optional: how long until the earliest lease of an active job expires, in milliseconds from
   * the store's now on the clock its leases use (0 when one already has); null when no job is
   * active. The elected rescuer sweeps at that moment instead of waiting out its interval, so a
   * dead worker's jobs are back about one lease after its last heartbeat.
   */
  nextLeaseExpiry?(params: NextLeaseExpiryParams): Promise<number | null>;
  /** The earliest `runAt` of a scheduled job of the queue, if any. */
  nextScheduledAt(params: { queue: string }): Promise<number | null>;

  getJob(params: { id: string }): Promise<Job | null>;
  listJobs(params: ListJobsParams): Promise<Job[]>;
  countJobs(params: { queue?: string }): Promise<JobCounts>;
  /** Names of every queue the store has seen. */
  listQueues(): Promise<{ name: string; paused: boolean }[]>;
  pauseQueue(params: { queue: string }): Promise<void>;
  resumeQueue(params: { queue: string }): Promise<void>;
  isQueuePaused(params: { queue: string }): Promise<boolean>;
  /** Removes up to `limit` matching jobs; returns how many went. */
  removeJobs(params: RemoveJobsParams): Promise<number>;
  /** Optional: removes the given jobs unless they are `active`; returns how many went. */
  removeJobsById?(params: { ids: readonly string[] }): Promise<number>;

  /**
   * Calls `listener` soon after jobs may have become available in `queue` (an insert in this
   * process, or another process's commit). Only with `capabilities.notify`. Returns an unsubscribe.
   */
  watchQueue?(queue: string, listener: () => void): () => void;
  /** Synchronous insert in the caller's open transaction. Only with `capabilities.transactionalEnqueue`. */
  insertJobsSync?(params: InsertJobsParams): InsertJobResult[];

  /** Releases connections and timers. Idempotent. */
  close(): Promise<void>;
}
