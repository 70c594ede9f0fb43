/**
 * Sharding across several SQLite files, for many processes writing at once: each file has its own
 * write lock, so writers on different shards never wait for each other.
 *
 * - Jobs are spread across shards, one insert call to one shard (so `addBulk` stays atomic). Jobs
 *   with an idempotency key always go to their queue's home shard, so keys stay unique across
 *   shards. Job ids are `<shard>:<id>`; listing pages through shard 0, then shard 1, and so on.
 * - Claims visit the shards in rotation until the batch is full; completions and failures go to
 *   the job's own shard, where its dead letter is written in the same transaction as the failure.
 * - Priority and due-time order hold within a shard, not across shards.
 * - Dead letters live in their own file (`dead-letters.db`). A failing job's dead letter is
 *   written on its shard, atomically with the failure; before every dead-letter read or change,
 *   such records are moved to the dead-letter file: inserted first (idempotent by id), then
 *   deleted from the shard, so a crash in between duplicates nothing and loses nothing.
 */
import { join } from 'node:path';
import { type Random, systemRandom } from '../../core/clock.js';
import type { DeadLetter, NewDeadLetter } from '../../core/dead-letter.js';
import { ValidationError } from '../../core/errors.js';
import type { ClaimedJob, Job, JobCounts } from '../../core/job.js';
import { emptyJobCounts, JOB_STATES } from '../../core/job.js';
import type { DeadLetterStore } from '../dead-letter-store.js';
import type {
  JobEventSubscription,
  PublishJobEventsParams,
  SubscribeJobEventsParams,
} from '../job-event-store.js';
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
  ListJobsParams,
  NextLeaseExpiryParams,
  RecoverExpiredLeasesParams,
  RecoveryResult,
  ReleaseJobsParams,
  RemoveJobsParams,
  StoreCapabilities,
  UpdateJobProgressParams,
} from '../job-store.js';
import { earliestOfParts } from '../shared/earliest.js';
import type { Store } from '../store.js';
import { keepEarlierEntries, keepEarlierPoisonPillEntries } from './sharded-kept-entries.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

/** Options of {@link ShardedSqliteStore}. */
export interface ShardedSqliteStoreOptions extends Omit<SqliteStoreOptions, 'path' | 'database'> {
  /** Directory of the shard files (`shard-0.db` … `shard-<n-1>.db`, `dead-letters.db`); created if missing. */
  directory: string;
  /** Number of shard files, 1–64. Changing it later strands jobs in the removed shards: keep it fixed. */
  shards: number;
  random?: Random;
}

/** Dead letters moved to the primary shard per shard and call. */
const MIGRATE_BATCH = 500;

type DeadLetterMethods = Omit<DeadLetterStore, 'insertDeadLetters' | 'getDeadLetterByJob'>;

/** A store spread over several SQLite files; see the module comment. */
export class ShardedSqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly capabilities: StoreCapabilities = { sharded: true, notify: true, jobEvents: true };
  private readonly shards: SqliteStore[];
  private readonly deadLetterFile: SqliteStore;
  private readonly random: Random;
  private nextInsertShard = 0;
  private nextClaimShard = 0;
  /**
   * Per worker, its highest start horizon and the shards where it claimed with start marks (where
   * that horizon must be written); a claim on a new shard carries the horizon there.
   */
  private readonly horizons = new Map<string, { horizon: number; shards: Set<number> }>();

  constructor(options: ShardedSqliteStoreOptions) {
    const { directory, shards: count, random, ...shardOptions } = options;
    if (!Number.isInteger(count) || count < 1 || count > 64) {
      throw new ValidationError('shards', 'must be an integer from 1 to 64');
    }
    if (typeof directory !== 'string' || directory === '')
      throw new ValidationError('directory', 'is required');
    this.random = random ?? systemRandom;
    const opened: SqliteStore[] = [];
    try {
      for (let i = 0; i < count; i++) {
        opened.push(new SqliteStore({ ...shardOptions, path: join(directory, `shard-${i}.db`) }));
      }
      opened.push(new SqliteStore({ ...shardOptions, path: join(directory, 'dead-letters.db') }));
    } catch (error) {
      for (const store of opened) void store.close();
      throw error;
    }
    this.deadLetterFile = opened.pop()!;
    this.shards = opened;
    this.nextInsertShard = Math.floor(this.random.next() * count);
    this.nextClaimShard = Math.floor(this.random.next() * count);
  }

  /** Number of shard files. */
  get shardCount(): number {
    return this.shards.length;
  }

  // ---- ids ----------------------------------------------------------------------------------

  private globalId(shard: number, localId: string): string {
    return `${shard}:${localId}`;
  }

  /** The shard and local id of a global id, or null for an id this store never issued. */
  private locate(id: string): { shard: number; localId: string } | null {
    const colon = id.indexOf(':');
    if (colon < 1) return null;
    const shard = Number(id.slice(0, colon));
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.shards.length) return null;
    return { shard, localId: id.slice(colon + 1) };
  }

  private jobOut<T extends Job>(shard: number, job: T): T {
    return { ...job, id: this.globalId(shard, job.id) };
  }

  private fenceOut<T extends FenceResult>(shard: number, result: T): T {
    return { ...result, id: this.globalId(shard, result.id) };
  }

  /** Groups items by the shard of their id; unknown ids answer `not_found` without a store call. */
  private async byShard<T extends { id: string }, R extends FenceResult>(
    items: readonly T[],
    run: (shard: SqliteStore, local: T[]) => Promise<R[]>,
  ): Promise<(R | FenceResult)[]> {
    const groups = new Map<number, { indexes: number[]; local: T[] }>();
    const results: (R | FenceResult)[] = new Array(items.length);
    items.forEach((item, index) => {
      const where = this.locate(item.id);
      if (!where) {
        results[index] = { id: item.id, ok: false, reason: 'not_found' };
        return;
      }
      let group = groups.get(where.shard);
      if (!group) {
        group = { indexes: [], local: [] };
        groups.set(where.shard, group);
      }
      group.indexes.push(index);
      group.local.push({ ...item, id: where.localId });
    });
    for (const [shard, group] of groups) {
      const out = await run(this.shards[shard]!, group.local);
      out.forEach((result, i) => {
        results[group.indexes[i]!] = this.fenceOut(shard, result);
      });
    }
    return results;
  }

  /** The shard holding a queue's keyed jobs (FNV-1a of the name). */
  private homeShard(queue: string): number {
    let hash = 2166136261;
    const text = queue;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
    return (hash >>> 0) % this.shards.length;
  }

  // ---- jobs ---------------------------------------------------------------------------------

  /**
   * One call goes to one shard, so it stays atomic. Unkeyed batches rotate over the shards; a batch
   * with idempotency keys goes to its queue's home shard, where every keyed job of that queue
   * lives, so keys stay unique. (A batch mixing keyed jobs of several queues is split per home
   * shard; each part is atomic.)
   */
  async insertJobs(params: InsertJobsParams): Promise<InsertJobResult[]> {
    const keyedQueues = new Set(params.jobs.filter((j) => j.idempotencyKey !== null).map((j) => j.queue));
    const rotating = this.nextInsertShard;
    this.nextInsertShard = (rotating + 1) % this.shards.length;
    if (keyedQueues.size <= 1) {
      const [queue] = keyedQueues;
      const shard = queue === undefined ? rotating : this.homeShard(queue);
      const results = await this.shards[shard]!.insertJobs(params);
      return results.map((r) => ({ ...r, id: this.globalId(shard, r.id) }));
    }
    const parts = new Map<number, number[]>();
    params.jobs.forEach((job, index) => {
      const shard = this.homeShard(job.queue);
      const list = parts.get(shard) ?? [];
      list.push(index);
      parts.set(shard, list);
    });
    const results: InsertJobResult[] = new Array(params.jobs.length);
    for (const [shard, indexes] of parts) {
      const out = await this.shards[shard]!.insertJobs({
        jobs: indexes.map((i) => params.jobs[i]!),
        now: params.now,
      });
      out.forEach((r, i) => {
        results[indexes[i]!] = { ...r, id: this.globalId(shard, r.id) };
      });
    }
    return results;
  }

  /**
   * Start sequence numbers continue from shard to shard, so they stay unique per worker. A
   * quarantine claim takes the first suspect found, alone; once a shard gave a batch, the later
   * shards are asked for a batch too (no suspect may join it).
   */
  async claimJobs(params: ClaimJobsParams): Promise<ClaimedJob[]> {
    if (params.lostClaims?.length) await Promise.all(this.shards.map((s) => s.releaseLostClaims(params)));
    const claimed: ClaimedJob[] = [];
    const start = this.nextClaimShard;
    this.nextClaimShard = (start + 1) % this.shards.length;
    for (let i = 0; i < this.shards.length && claimed.length < params.limit; i++) {
      const shard = (start + i) % this.shards.length;
      const starts = params.starts && {
        firstSeq: params.starts.firstSeq + claimed.length,
        horizon: Math.max(params.starts.horizon, this.horizons.get(params.workerId)?.horizon ?? -1),
      };
      const jobs = await this.shards[shard]!.claimJobs({
        ...params,
        limit: params.limit - claimed.length,
        quarantine: params.quarantine === true && claimed.length === 0,
        ...(starts ? { starts } : {}),
      });
      if (starts && jobs.length > 0 && !jobs[0]?.suspect)
        this.rememberHorizon(params.workerId, starts.horizon, shard);
      for (const job of jobs) claimed.push(this.jobOut(shard, job));
      if (jobs[0]?.suspect) break;
    }
    return claimed;
  }

  private rememberHorizon(workerId: string, horizon: number, shard?: number): void {
    const known = this.horizons.get(workerId) ?? { horizon, shards: new Set<number>() };
    known.horizon = Math.max(known.horizon, horizon);
    if (shard !== undefined) known.shards.add(shard);
    this.horizons.set(workerId, known);
  }

  /** Raises the horizon on every shard where the worker claimed with start marks through this store. */
  async advanceStartHorizon(params: AdvanceStartHorizonParams): Promise<void> {
    this.rememberHorizon(params.workerId, params.horizon);
    const known = this.horizons.get(params.workerId)!;
    for (const shard of known.shards) {
      await this.shards[shard]!.advanceStartHorizon({ ...params, horizon: known.horizon });
    }
  }

  completeJobs(params: CompleteJobsParams): Promise<FenceResult[]> {
    return this.byShard(params.completions, (shard, completions) =>
      shard.completeJobs({ completions: completions as JobCompletion[], now: params.now }),
    );
  }

  /** Each shard's failures in one transaction on it (dead letters too; see sharded-kept-entries.ts). */
  async failJobs(params: FailJobsParams): Promise<FailJobResult[]> {
    const results = await this.byShard(params.failures, (shard, failures) =>
      shard.failJobs({ failures, now: params.now }),
    );
    return keepEarlierEntries(results, this.deadLetterFile, this.shards, (id) => this.locate(id));
  }

  async failJob(params: FailJobParams): Promise<FailJobResult> {
    const { now, ...failure } = params;
    const [result] = await this.failJobs({ failures: [failure], now });
    return result!;
  }

  async updateJobProgress(params: UpdateJobProgressParams): Promise<FenceResult> {
    const [result] = await this.byShard([params], (shard, [local]) =>
      shard.updateJobProgress({ ...params, id: local!.id }).then((r) => [r]),
    );
    return result!;
  }

  /** Job events live in shard 0, whichever shard ran the job. */
  publishJobEvents(params: PublishJobEventsParams): Promise<void> {
    return this.shards[0]!.publishJobEvents(params);
  }

  subscribeJobEvents(params: SubscribeJobEventsParams): Promise<JobEventSubscription> {
    return this.shards[0]!.subscribeJobEvents(params);
  }

  extendLeases(params: ExtendLeasesParams): Promise<FenceResult[]> {
    return this.byShard(params.leases, (shard, leases) => shard.extendLeases({ ...params, leases }));
  }

  releaseJobs(params: ReleaseJobsParams): Promise<FenceResult[]> {
    return this.byShard(params.leases, (shard, leases) => shard.releaseJobs({ ...params, leases }));
  }

  async recoverExpiredLeases(params: RecoverExpiredLeasesParams): Promise<RecoveryResult> {
    const total: RecoveryResult = { recovered: [], deadLettered: [], orphanedWhile: {} };
    for (let shard = 0; shard < this.shards.length; shard++) {
      const result = await this.shards[shard]!.recoverExpiredLeases({
        ...params,
        deadLetterFor: (job) => params.deadLetterFor({ ...job, id: this.globalId(shard, job.id) }),
      });
      for (const id of result.recovered) total.recovered.push(this.globalId(shard, id));
      for (const d of result.deadLettered)
        total.deadLettered.push({ ...d, jobId: this.globalId(shard, d.jobId) });
      for (const [id, held] of Object.entries(result.orphanedWhile))
        total.orphanedWhile[this.globalId(shard, id)] = held;
    }
    // Moved first: two shards' records of one id would pass the check, and the move keep only one.
    if (total.deadLettered.length > 0) await this.gatherDeadLetters();
    await keepEarlierPoisonPillEntries(total, this.deadLetterFile, this.shards, (id) => this.locate(id));
    return total;
  }

  nextLeaseExpiry(params: NextLeaseExpiryParams): Promise<number | null> {
    return earliestOfParts(this.shards, (shard) => shard.nextLeaseExpiry(params));
  }

  nextScheduledAt(params: { queue: string }): Promise<number | null> {
    return earliestOfParts(this.shards, (shard) => shard.nextScheduledAt(params));
  }

  async getJob(params: { id: string }): Promise<Job | null> {
    const where = this.locate(params.id);
    if (!where) return null;
    const job = await this.shards[where.shard]!.getJob({ id: where.localId });
    return job ? this.jobOut(where.shard, job) : null;
  }

  /** Pages through shard 0's jobs in id order, then shard 1's, and so on. */
  async listJobs(params: ListJobsParams): Promise<Job[]> {
    const after = params.afterId === undefined ? null : this.locate(params.afterId);
    const jobs: Job[] = [];
    for (let shard = after?.shard ?? 0; shard < this.shards.length && jobs.length < params.limit; shard++) {
      const page = await this.shards[shard]!.listJobs({
        ...params,
        limit: params.limit - jobs.length,
        afterId: after && shard === after.shard ? after.localId : undefined,
      });
      for (const job of page) jobs.push(this.jobOut(shard, job));
    }
    return jobs;
  }

  async countJobs(params: { queue?: string }): Promise<JobCounts> {
    const total = emptyJobCounts();
    for (const shard of this.shards) {
      const counts = await shard.countJobs(params);
      for (const state of JOB_STATES) total[state] += counts[state];
    }
    return total;
  }

  async listQueues(): Promise<{ name: string; paused: boolean }[]> {
    const byName = new Map<string, boolean>();
    for (const shard of this.shards) {
      for (const q of await shard.listQueues()) byName.set(q.name, (byName.get(q.name) ?? false) || q.paused);
    }
    return [...byName].sort(([a], [b]) => a.localeCompare(b)).map(([name, paused]) => ({ name, paused }));
  }

  async pauseQueue(params: { queue: string }): Promise<void> {
    for (const shard of this.shards) await shard.pauseQueue(params);
  }

  async resumeQueue(params: { queue: string }): Promise<void> {
    for (const shard of this.shards) await shard.resumeQueue(params);
  }

  isQueuePaused(params: { queue: string }): Promise<boolean> {
    return this.shards[0]!.isQueuePaused(params);
  }

  async removeJobs(params: RemoveJobsParams): Promise<number> {
    let removed = 0;
    for (const shard of this.shards) {
      if (removed >= params.limit) break;
      removed += await shard.removeJobs({ ...params, limit: params.limit - removed });
    }
    return removed;
  }

  async removeJobsById(params: { ids: readonly string[] }): Promise<number> {
    const byShard = new Map<number, string[]>();
    for (const id of params.ids) {
      const where = this.locate(id);
      if (!where) continue;
      byShard.set(where.shard, [...(byShard.get(where.shard) ?? []), where.localId]);
    }
    let removed = 0;
    for (const [shard, ids] of byShard) removed += await this.shards[shard]!.removeJobsById({ ids });
    return removed;
  }

  watchQueue(queue: string, listener: () => void): () => void {
    const stops = this.shards.map((shard) => shard.watchQueue(queue, listener));
    return () => {
      for (const stop of stops) stop();
    };
  }

  // ---- dead letters -------------------------------------------------------------------------

  /**
   * Moves the dead letters that failing jobs wrote on their shards to the dead-letter file. A
   * replayed job's record takes over the replay ledger of the entry it replayed, as it would on a
   * single file (where the shard finds that entry itself).
   */
  private async gatherDeadLetters(): Promise<void> {
    for (let shard = 0; shard < this.shards.length; shard++) {
      const source = this.shards[shard]!;
      for (;;) {
        const page = await source.listDeadLetters({
          limit: MIGRATE_BATCH,
          order: 'oldest',
          withTotal: false,
        });
        if (page.items.length === 0) break;
        const moved: NewDeadLetter[] = [];
        for (const dl of page.items) {
          const record: NewDeadLetter = {
            ...dl,
            jobId: dl.jobId === null ? null : this.globalId(shard, dl.jobId),
          };
          const replayed =
            dl.replayOf === null ? null : await this.deadLetterFile.getDeadLetter({ id: dl.replayOf });
          if (replayed) {
            record.replayCount = replayed.replayCount;
            record.maxReplays = replayed.maxReplays;
            record.initialStatus =
              replayed.replayCount >= replayed.maxReplays ? 'requires_review' : 'pending';
          }
          moved.push(record);
        }
        await this.deadLetterFile.insertDeadLetters({ deadLetters: moved, now: page.items[0]!.updatedAt });
        await source.deleteDeadLettersById(page.items.map((dl) => dl.id));
        if (page.items.length < MIGRATE_BATCH) break;
      }
    }
  }

  insertDeadLetters(params: {
    deadLetters: readonly NewDeadLetter[];
    now: number;
  }): Promise<{ inserted: number; ids: string[] }> {
    return this.deadLetterFile.insertDeadLetters(params);
  }

  async getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null> {
    await this.gatherDeadLetters();
    return this.deadLetterFile.getDeadLetterByJob(params);
  }

  private gathered<K extends keyof DeadLetterMethods>(method: K): DeadLetterMethods[K] {
    return (async (params: never) => {
      await this.gatherDeadLetters();
      return (this.deadLetterFile[method] as (p: never) => unknown).call(this.deadLetterFile, params);
    }) as DeadLetterMethods[K];
  }

  readonly getDeadLetter = this.gathered('getDeadLetter');
  readonly listDeadLetters = this.gathered('listDeadLetters');
  readonly facetDeadLetters = this.gathered('facetDeadLetters');
  readonly topDeadLetterFailures = this.gathered('topDeadLetterFailures');

  /** Moves dead-letter queries (on the dead-letter file) to a reader thread. */
  readDeadLettersOffThread(): boolean {
    return this.deadLetterFile.readDeadLettersOffThread();
  }
  readonly getDeadLetterStats = this.gathered('getDeadLetterStats');
  readonly acquireDeadLetterForReplay = this.gathered('acquireDeadLetterForReplay');
  readonly finishDeadLetterReplay = this.gathered('finishDeadLetterReplay');
  readonly resolveDeadLetters = this.gathered('resolveDeadLetters');
  readonly transitionDeadLetters = this.gathered('transitionDeadLetters');
  readonly purgeDeadLetters = this.gathered('purgeDeadLetters');
  readonly regroupDeadLetters = this.gathered('regroupDeadLetters');
  readonly appendAudit = this.gathered('appendAudit');
  readonly listAudit = this.gathered('listAudit');
  readonly purgeAudit = this.gathered('purgeAudit');

  // The lease lives in the dead-letter file: one file every process of the store opens.
  readonly acquireLeadership: Store['acquireLeadership'] = (params) =>
    this.deadLetterFile.acquireLeadership(params);
  readonly renewLeadership: Store['renewLeadership'] = (params) =>
    this.deadLetterFile.renewLeadership(params);
  readonly resignLeadership: Store['resignLeadership'] = (params) =>
    this.deadLetterFile.resignLeadership(params);
  readonly getLeader: Store['getLeader'] = (params) => this.deadLetterFile.getLeader(params);

  async close(): Promise<void> {
    await Promise.all([...this.shards, this.deadLetterFile].map((store) => store.close()));
  }
}
