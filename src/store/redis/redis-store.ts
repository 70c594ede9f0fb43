import { ValidationError } from '../../core/errors.js';
import type { ClaimedJob, Job, JobCounts, OrphanedWhile } from '../../core/job.js';
import type { RedisClient } from '../../redis/client-options.js';
import type { CounterBackfillProgress } from '../dead-letter-store.js';
import type {
  AdvanceStartHorizonParams,
  ClaimJobsParams,
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
  UpdateJobProgressParams,
} from '../job-store.js';
import { StoreParts } from '../shared/store-parts.js';
import type { Store } from '../store.js';
import { ClaimedPayloads } from './claimed-payloads.js';
import { type BackfillParams, backfillDeadLetters } from './counter-backfill.js';
import { deadLetterFromJobFields, redactedPayloadArg } from './dead-letter-codec.js';
import { DEFAULT_SCAN_BUDGET, DeadLetterIndexes } from './dead-letter-indexes.js';
import { failureArgs } from './failure-args.js';
import {
  claimedJobsFromJson,
  type InsertReply,
  insertArgs,
  insertResults,
  validateNewJobs,
} from './job-codec.js';
import { RedisJobQueries } from './job-queries.js';
import { DEFAULT_PREFIX, RedisKeys } from './keys.js';
import { releaseLostClaims } from './lost-claims.js';
import { QueueNotifier, subscriberFor } from './queue-notifier.js';
import { RedisConnection } from './redis-connection.js';
import { RedisDeadLetters } from './redis-dead-letters.js';
import { translateRedisError } from './redis-errors.js';
import { RedisJobEvents } from './redis-job-events.js';
import { RedisLeadership } from './redis-leadership.js';
import type { RedisStoreOptions } from './redis-store-options.js';
import { Replication } from './replication.js';
import { completionArgs, failResults, fenceResults, type KeptEntryOutcome } from './script-outcomes.js';
import { defineScripts, runScript, type ScriptName } from './scripts.js';
import { type FormatMigration, FormatRaise } from './store-format.js';

export type { RedisStoreOptions } from './redis-store-options.js';

type Arg = string | number | (string | number)[];

/**
 * What a queue-slot store (QueueSlotRedisStore) shares with the RedisStores it runs for its own
 * slot and for each queue's slot: one connection, one notifier. Not part of the public API.
 */
export interface SharedRedisParts {
  connection: RedisConnection;
  notifier: QueueNotifier;
  /** The queue's number, for a queue's slot; absent for the store's own slot. */
  slot?: number;
}

/** The Redis store. */
export class RedisStore extends StoreParts implements Store {
  readonly kind = 'redis';
  readonly capabilities: StoreCapabilities = { notify: true, jobEvents: true };
  /** The key layout (prefix and hash tag). */
  readonly keys: RedisKeys;
  /** Where the store points, for messages (no password). */
  readonly location: string;

  private readonly conn: RedisConnection;
  private readonly client: RedisClient;
  private readonly replication: Replication;
  private readonly clockMode: 'server' | 'caller';
  private readonly insertChunk: number;
  private readonly notifier: QueueNotifier;
  protected readonly deadLetters: RedisDeadLetters;
  private readonly indexes: DeadLetterIndexes;
  protected readonly leadership: RedisLeadership;
  private readonly queries: RedisJobQueries;
  protected readonly jobEvents: RedisJobEvents;
  /** The format key's settling before the first insert or failure write (store-format.ts). */
  private readonly format: FormatRaise;
  /** The latest claims' payload texts, for the redaction of their jobs' dead letters. */
  private readonly claimedPayloads = new ClaimedPayloads();

  /** @param shared only for QueueSlotRedisStore (see {@link SharedRedisParts}). */
  constructor(options: RedisStoreOptions = {}, shared?: SharedRedisParts) {
    super();
    if (options.slots === 'queue' && !shared)
      throw new ValidationError('slots', "'queue' needs a QueueSlotRedisStore (or openRedisStore)");
    this.keys = new RedisKeys(options.prefix ?? DEFAULT_PREFIX, shared?.slot);
    const clock = options.clock ?? 'server';
    if (clock !== 'server' && clock !== 'caller') {
      throw new ValidationError('clock', `must be 'server' or 'caller', got ${String(clock)}`);
    }
    this.clockMode = clock;
    this.insertChunk = Math.max(1, Math.floor(options.insertChunk ?? 1000));
    this.format = new FormatRaise(options.formatVersion, this.keys, (keys, args) =>
      this.script('raise-format', keys, args),
    );
    this.conn = shared?.connection ?? new RedisConnection(options);
    this.client = this.conn.client;
    this.location = this.conn.location;
    this.replication = new Replication(options, this.location);
    defineScripts(this.client);
    this.notifier = shared?.notifier ?? new QueueNotifier(this.keys, () => subscriberFor(this.client));
    const backend = { client: this.client, keys: this.keys, call: this.call.bind(this) };
    this.indexes = new DeadLetterIndexes(backend, options.indexedPaths);
    this.deadLetters = new RedisDeadLetters({
      ...backend,
      maxScan: Math.max(1, Math.floor(options.maxScan ?? 1_000_000)),
      scanBudget: Math.max(1, Math.floor(options.scanBudget ?? DEFAULT_SCAN_BUDGET)),
      indexes: this.indexes,
    });
    this.queries = new RedisJobQueries({
      client: this.client,
      keys: this.keys,
      location: this.location,
      call: (what, fn) => this.call(what, fn),
      script: (name, keys, args) => this.script(name, keys, args),
    });
    this.jobEvents = new RedisJobEvents(this.conn, this.keys, options.eventStreamLength);
    this.leadership = new RedisLeadership({
      client: this.client,
      keys: this.keys,
      clockMode: this.clockMode,
      call: (what, fn) => this.call(what, fn),
    });
  }

  /** The ioredis client the store uses (for health checks; do not change its keys). */
  get redis(): RedisClient {
    return this.client;
  }

  /** `redrive migrate`: raises the format key to `version`, else `formatVersion` (else leaves it). */
  migrate(version?: number): Promise<FormatMigration> {
    return this.format.migrate(version);
  }

  /** Runs a Redis call, translating connection failures into StoreUnavailableError. */
  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.conn.call(what, fn);
  }

  private script(name: ScriptName, keys: string[], args: Arg[]): Promise<unknown> {
    return this.call(
      name,
      () => runScript(this.client, name, keys, [this.keys.base, ...args]) as Promise<unknown>,
    );
  }

  /** A script taking the clock mode and the caller's now after the base. */
  private timed(name: ScriptName, now: number, args: Arg[]): Promise<unknown> {
    if (typeof now !== 'number' || !Number.isFinite(now))
      throw new ValidationError('now', 'must be a finite number');
    return this.script(name, [this.keys.queues], [this.clockMode, Math.round(now), ...args]);
  }

  /** {@link timed} for a write the durability setting covers (enqueues, completions). */
  private timedWrite(name: ScriptName, now: number, args: Arg[]): Promise<unknown> {
    if (!this.replication.waits) return this.timed(name, now, args);
    if (typeof now !== 'number' || !Number.isFinite(now))
      throw new ValidationError('now', 'must be a finite number');
    const all = [this.keys.base, this.clockMode, Math.round(now), ...args];
    return this.call(name, () =>
      this.replication.write(this.client, name, (p) => runScript(p, name, [this.keys.queues], all)),
    );
  }

  /** Checks the server answers (PING); throws StoreUnavailableError otherwise. */
  async ping(): Promise<void> {
    await this.call('ping', () => this.client.ping());
  }

  // ---- jobs -------------------------------------------------------------------------------

  async insertJobs(params: InsertJobsParams): Promise<InsertJobResult[]> {
    const { jobs, now } = params;
    if (jobs.length === 0) return [];
    validateNewJobs(jobs);
    if (typeof now !== 'number' || !Number.isFinite(now))
      throw new ValidationError('now', 'must be a finite number');
    // Before the first insert: format 3 stores new jobs in fewer fields (insert-jobs.lua).
    if (this.format.pending) await this.format.raise();
    const chunks: Arg[][] = [];
    for (let start = 0; start < jobs.length; start += this.insertChunk) {
      const end = Math.min(jobs.length, start + this.insertChunk);
      chunks.push([this.keys.base, this.clockMode, Math.round(now), insertArgs(jobs, start, end)]);
    }
    const keys = [this.keys.queues, this.keys.ids];
    let replies: InsertReply[];
    if (chunks.length === 1) {
      const args = chunks[0]!;
      replies = [
        (await this.call('insert-jobs', () =>
          this.replication.waits
            ? this.replication.write(this.client, 'insert-jobs', (p) =>
                runScript(p, 'insert-jobs', keys, args),
              )
            : (runScript(this.client, 'insert-jobs', keys, args) as Promise<unknown>),
        )) as InsertReply,
      ];
    } else {
      // Several script calls, applied all together or not at all.
      const multi = this.client.multi();
      for (const args of chunks) runScript(multi, 'insert-jobs', keys, args);
      const results = await this.call('insert-jobs', () => multi.exec());
      replies = (results ?? []).map(([error, reply]) => {
        if (error) throw translateRedisError(error, 'insert-jobs', this.location);
        return reply as InsertReply;
      });
      if (this.replication.waits) {
        await this.call('insert-jobs', () =>
          this.replication.after(this.client, 'insert-jobs', this.keys.queues),
        );
      }
    }
    const out = insertResults(replies, jobs.length);
    for (const queue of new Set(jobs.map((job) => job.queue))) this.notifier.notify(queue);
    return out;
  }

  private claimArgs(params: ClaimJobsParams): Arg[] {
    if (typeof params.queue !== 'string' || params.queue === '')
      throw new ValidationError('queue', 'must be a non-empty string');
    if (!Number.isSafeInteger(params.limit) || params.limit < 0)
      throw new ValidationError('limit', 'must be a non-negative integer');
    if (typeof params.leaseMs !== 'number' || !Number.isFinite(params.leaseMs) || params.leaseMs < 0)
      throw new ValidationError('leaseMs', 'must be a non-negative number');
    if (typeof params.claimId !== 'string' || params.claimId === '')
      throw new ValidationError('claimId', 'must be a non-empty string');
    const { starts } = params;
    if (starts && !(Number.isSafeInteger(starts.firstSeq) && Number.isSafeInteger(starts.horizon)))
      throw new ValidationError('starts', 'firstSeq and horizon must be safe integers');
    return [
      params.queue,
      String(params.workerId),
      params.limit,
      Math.round(params.leaseMs),
      params.claimId,
      starts ? starts.firstSeq : '',
      starts ? starts.horizon : '',
      params.quarantine ? '1' : '',
    ];
  }

  private decodeClaim(
    params: ClaimJobsParams,
    now: string,
    lease: string,
    pieces: string[],
    quarantined: string,
  ): ClaimedJob[] {
    const text = pieces.length === 1 ? pieces[0]! : pieces.join('');
    if (text !== '') this.claimedPayloads.remember(params.claimId, text);
    return claimedJobsFromJson(
      text === '' ? [] : [text],
      params.queue,
      String(params.workerId),
      params.claimId,
      Number(lease),
      Number(now),
      quarantined === '1',
    );
  }

  async claimJobs(params: ClaimJobsParams): Promise<ClaimedJob[]> {
    const args = this.claimArgs(params);
    await releaseLostClaims((name, now, a) => this.timed(name, now, a), params);
    if (params.limit === 0) return [];
    const [now, lease, pieces, quarantined] = (await this.timed('claim-jobs', params.now, args)) as [
      string,
      string,
      string[],
      string,
    ];
    return this.decodeClaim(params, now, lease, pieces, quarantined);
  }

  async advanceStartHorizon(params: AdvanceStartHorizonParams): Promise<void> {
    if (!Number.isSafeInteger(params.horizon)) throw new ValidationError('horizon', 'must be a safe integer');
    await this.timed('advance-start-horizon', params.now, [String(params.workerId), params.horizon]);
  }

  async completeJobs(params: CompleteJobsParams): Promise<FenceResult[]> {
    if (params.completions.length === 0) return [];
    const triples = completionArgs(params.completions);
    const [, outcomes] = (await this.timedWrite('complete-jobs', params.now, [
      params.completions.length,
      triples,
    ])) as [string, string[] | 'all_ok'];
    return fenceResults(params.completions, outcomes);
  }

  /** Completes a batch and claims the next one in one script call (one round trip). */
  async completeAndClaimJobs(params: {
    completions: readonly JobCompletion[];
    failures?: readonly JobFailure[];
    claim: ClaimJobsParams;
  }): Promise<{ completed: FenceResult[]; failed: FailJobResult[]; claimed: ClaimedJob[] }> {
    const { claim } = params;
    const failures = params.failures ?? [];
    const args = this.claimArgs(claim);
    await releaseLostClaims((name, now, a) => this.timed(name, now, a), claim);
    if (failures.length > 0 && this.format.pending) await this.format.raise();
    const failureArgs = failures.length > 0 ? await this.failArgs(failures) : [];
    const [now, lease, outcomes, pieces, failed, quarantined] = (await this.timedWrite(
      'complete-and-claim-jobs',
      claim.now,
      [...args, params.completions.length, failures.length, completionArgs(params.completions), failureArgs],
    )) as [string, string, string[] | 'all_ok', string[], (string | KeptEntryOutcome)[] | 'all_ok', string];
    return {
      completed: fenceResults(params.completions, outcomes),
      failed: failResults(failures, failed),
      claimed: this.decodeClaim(claim, now, lease, pieces, quarantined),
    };
  }

  /**
   * One script call for the whole batch. Dead letters with a payload transform need the jobs'
   * payloads first: taken from the claim that started the attempt when it is among the latest
   * (ClaimedPayloads), otherwise one read script call for the rest of the batch (a job's payload
   * never changes after its insert).
   */
  async failJobs(params: FailJobsParams): Promise<FailJobResult[]> {
    if (params.failures.length === 0) return [];
    if (this.format.pending) await this.format.raise();
    const args = await this.failArgs(params.failures);
    const outcomes = (await this.timed('fail-jobs', params.now, [params.failures.length, args])) as
      | (string | KeptEntryOutcome)[]
      | 'all_ok';
    return failResults(params.failures, outcomes);
  }

  async failJob(params: FailJobParams): Promise<FailJobResult> {
    const { now, ...failure } = params;
    const [result] = await this.failJobs({ failures: [failure], now });
    return result!;
  }

  /** The arguments of lib/fail.lua for `failures`, validated. */
  private async failArgs(failures: readonly JobFailure[]): Promise<(string | number)[]> {
    const { payloads, missing } = this.claimedPayloads.payloadsFor(failures);
    if (missing.length > 0) {
      const read = (await this.script(
        'read-payloads',
        [this.keys.queues],
        missing.map((i) => String(failures[i]!.id)),
      )) as (string | null)[];
      missing.forEach((i, j) => {
        payloads[i] = read[j] ?? null;
      });
    }
    return failureArgs(failures, payloads);
  }

  async extendLeases(params: ExtendLeasesParams): Promise<FenceResult[]> {
    if (params.leases.length === 0) return [];
    const [, outcomes] = (await this.timed('extend-leases', params.now, [
      Math.round(params.leaseMs),
      params.leases.length,
      params.leases.flatMap((l) => [String(l.id), String(l.token)]),
    ])) as [string, string[]];
    return fenceResults(params.leases, outcomes);
  }

  async updateJobProgress(p: UpdateJobProgressParams): Promise<FenceResult> {
    const outcome = await this.timed('update-job-progress', p.now, [p.id, p.token, p.progressJson]);
    return fenceResults([p], [outcome as string])[0]!;
  }

  async releaseJobs(params: ReleaseJobsParams): Promise<FenceResult[]> {
    if (params.leases.length === 0) return [];
    const outcomes = (await this.timed('release-jobs', params.now, [
      params.leases.length,
      params.leases.flatMap((l) => [String(l.id), String(l.token)]),
    ])) as string[];
    const results = fenceResults(params.leases, outcomes);
    if (results.some((r) => r.ok))
      for (const queue of await this.queries.queueNames()) this.notifier.notify(queue);
    return results;
  }

  async recoverExpiredLeases(params: RecoverExpiredLeasesParams): Promise<RecoveryResult> {
    const limit = Math.max(0, Math.floor(params.limit));
    if (limit === 0) return { recovered: [], deadLettered: [], orphanedWhile: {} };
    const found = (await this.timed('find-expired-leases', params.now, [limit, params.queue ?? ''])) as [
      string,
      string,
      string,
      string,
      string,
      OrphanedWhile,
    ][];
    if (found.length === 0) return { recovered: [], deadLettered: [], orphanedWhile: {} };
    const groups: Arg[] = [];
    for (const [id, token, queue, name, orphans, held] of found) {
      const orphanCount = Number(orphans) + 1;
      if (held !== 'quarantine' || orphanCount < params.maxOrphans) {
        groups.push(id, token, '', '', 0);
        continue;
      }
      const { redactPayload, ...dl } = params.deadLetterFor({ id, queue, name, orphanCount });
      const fields = deadLetterFromJobFields(dl);
      let payload = '';
      if (redactPayload) {
        const raw = await this.call('recoverExpiredLeases', () => this.client.hget(this.keys.job(id), 'p'));
        payload = redactedPayloadArg(redactPayload, raw);
      }
      groups.push(id, token, dl.id, payload, fields.length / 2, fields);
    }
    const [recovered, dead, heldAs] = (await this.timed('recover-expired-leases', params.now, [
      params.maxOrphans,
      found.length,
      ...groups,
    ])) as [string[], [string, string][], string[]];
    const orphanedWhile: Record<string, OrphanedWhile> = {};
    for (let i = 0; i < heldAs.length; i += 2) orphanedWhile[heldAs[i]!] = heldAs[i + 1] as OrphanedWhile;
    if (recovered.length > 0) {
      const queues = new Set(found.filter(([id]) => recovered.includes(id)).map(([, , queue]) => queue));
      for (const queue of queues) this.notifier.notify(queue);
    }
    return {
      recovered,
      // '': the dead letter's id was another job's entry, and the job has none.
      deadLettered: dead.map(([jobId, deadLetterId]) => (deadLetterId ? { jobId, deadLetterId } : { jobId })),
      orphanedWhile,
    };
  }

  nextScheduledAt(params: { queue: string }): Promise<number | null> {
    return this.queries.nextScheduledAt(params);
  }

  async nextLeaseExpiry(params: NextLeaseExpiryParams): Promise<number | null> {
    const ms = await this.timed('next-lease-expiry', params.now, [params.queue ?? '']);
    return ms === null ? null : Number(ms);
  }

  getJob(params: { id: string }): Promise<Job | null> {
    return this.queries.getJob(params);
  }

  listJobs(params: ListJobsParams): Promise<Job[]> {
    return this.queries.listJobs(params);
  }

  countJobs(params: { queue?: string }): Promise<JobCounts> {
    return this.queries.countJobs(params);
  }

  listQueues(): Promise<{ name: string; paused: boolean }[]> {
    return this.queries.listQueues();
  }

  async pauseQueue(params: { queue: string }): Promise<void> {
    await this.script('set-queue-paused', [this.keys.queues], [params.queue, 'paused']);
  }

  async resumeQueue(params: { queue: string }): Promise<void> {
    await this.script('set-queue-paused', [this.keys.queues], [params.queue, 'resumed']);
    this.notifier.notify(params.queue);
  }

  isQueuePaused(params: { queue: string }): Promise<boolean> {
    return this.queries.isQueuePaused(params);
  }

  removeJobs(params: RemoveJobsParams): Promise<number> {
    return this.queries.removeJobs(params);
  }

  watchQueue(queue: string, listener: () => void): () => void {
    return this.notifier.watch(queue, listener);
  }

  /** {@inheritDoc backfillDeadLetters} */
  backfillDeadLetterCounters(params: BackfillParams): Promise<CounterBackfillProgress> {
    return backfillDeadLetters(this.indexes.backend, this.indexes, params);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  async close(): Promise<void> {
    await this.notifier.close();
    await this.conn.close();
  }
}
