/**
 * A Redis store whose queues each live in a slot of their own, so that the queues of one store
 * spread over the nodes of a Redis Cluster (a {@link RedisStore} keeps everything under one hash
 * tag, one slot). Layout: keys.ts; queue numbers and job ids: queue-slots.ts.
 *
 * - Every job change is one script in its queue's slot, as on a RedisStore; a call naming jobs of
 *   several queues (completions, failures, heartbeats) becomes one call per queue, and an insert
 *   batch spanning queues is atomic per queue, not as a whole.
 * - Dead letters, their audit trail and the leader lease stay in the store's own slot
 *   (`{<prefix>}`), so every dead-letter query is one slot's, as before. A failing job's dead letter
 *   crosses slots through an outbox with an idempotent two-step move (dead-letter-outbox.ts).
 * - Store-wide job reads (listing, counts, removal, lease recovery) visit the queues in number
 *   order; a listing's cursor is a store-wide job id, so it resumes in the right queue.
 */
import type { ClaimedJob, Job, JobCounts } from '../../core/job.js';
import { emptyJobCounts, JOB_STATES } from '../../core/job.js';
import type { RedisClient } from '../../redis/client-options.js';
import type * as DL from '../dead-letter-store.js';
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
} from '../job-store.js';
import { earliestOfParts } from '../shared/earliest.js';
import type { Store } from '../store.js';
import { DeadLetterOutbox } from './dead-letter-outbox.js';
import { validateNewJobs } from './job-codec.js';
import { DEFAULT_PREFIX, RedisKeys } from './keys.js';
import { QueueNotifier, subscriberFor } from './queue-notifier.js';
import { keepEarlierEntries } from './queue-slot-kept-entries.js';
import { migrateToQueueSlots } from './queue-slot-migration.js';
import { globalJobId, locateJobId, QueueSlots } from './queue-slots.js';
import { RedisConnection } from './redis-connection.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import { bySlot } from './slot-groups.js';
import { SlotHorizons } from './slot-horizons.js';
import { type FormatMigration, formatSteps } from './store-format.js';

type DeadLetterMethods = Omit<DL.DeadLetterStore, 'insertDeadLetters'>;

/** The Redis store with one cluster slot per queue; see the module comment. */
export class QueueSlotRedisStore implements Store {
  readonly kind = 'redis';
  readonly capabilities: StoreCapabilities = { notify: true, queuesApart: true, jobEvents: true };
  /** The store's own keys (dead letters, registry, leader lease). */
  readonly keys: RedisKeys;
  /** Where the store points, for messages (no password). */
  readonly location: string;

  private readonly conn: RedisConnection;
  private readonly notifier: QueueNotifier;
  private readonly home: RedisStore;
  private readonly slots: QueueSlots;
  /** The dead-letter move (protected: a test replaces it to crash between its steps). */
  protected readonly outbox: DeadLetterOutbox;
  private recovered: Promise<void> | undefined;
  private readonly horizons = new SlotHorizons((slot, params) =>
    this.slots.store(slot).advanceStartHorizon(params),
  );

  constructor(given: RedisStoreOptions = {}) {
    const { slots: _layout, ...options } = given;
    this.keys = new RedisKeys(options.prefix ?? DEFAULT_PREFIX);
    this.conn = new RedisConnection(options);
    this.location = this.conn.location;
    const client = this.conn.client;
    this.notifier = new QueueNotifier(
      {
        notifyChannel: (queue) => this.slots.notifyChannel(queue),
        queueOfChannel: (channel) => this.slots.queueOfChannel(channel),
      },
      () => subscriberFor(client),
    );
    const shared = { connection: this.conn, notifier: this.notifier };
    this.home = new RedisStore(options, shared);
    const call = <T>(what: string, fn: () => Promise<T>) => this.conn.call(what, fn);
    this.slots = new QueueSlots({ options, keys: this.keys, client, shared, call });
    this.outbox = this.makeOutbox({ client, keys: this.keys, slots: this.slots, call });
  }

  /** Builds the dead-letter move (a test overrides it to crash between the steps). */
  protected makeOutbox(deps: ConstructorParameters<typeof DeadLetterOutbox>[0]): DeadLetterOutbox {
    return new DeadLetterOutbox(deps);
  }

  /** The ioredis client the store uses (for health checks; do not change its keys). */
  get redis(): RedisClient {
    return this.conn.client;
  }

  /** Checks the server answers (PING); throws StoreUnavailableError otherwise. */
  ping(): Promise<void> {
    return this.home.ping();
  }

  /**
   * Finishes dead-letter moves a crash left behind, in every queue's outbox: run once by the first
   * dead-letter call of this store, and by every lease-recovery sweep (the maintainer's).
   */
  async recoverDeadLetterMoves(): Promise<number> {
    return this.outbox.moveAll();
  }

  /**
   * `redrive migrate`: moves the jobs a single-slot RedisStore left on this prefix into queue slots
   * (queue-slot-migration.ts; workers of the prefix stopped), then raises the format key of the
   * store's slot and of every queue's slot as RedisStore's does (to `formatVersion`, if given).
   * From and to are format versions, the lowest of the slots' before and after.
   */
  async migrate(): Promise<FormatMigration> {
    const call = <T>(what: string, fn: () => Promise<T>) => this.conn.call(what, fn);
    const done = await migrateToQueueSlots({
      client: this.conn.client,
      keys: this.keys,
      slots: this.slots,
      call,
    });
    const parts = [this.home, ...(await this.slots.all()).map(({ slot }) => this.slots.store(slot))];
    const raised = await Promise.all(parts.map((part) => part.migrate()));
    const from = Math.min(...raised.map((r) => r.from));
    const to = Math.min(...raised.map((r) => r.to));
    const moved = done
      ? [`queue-slots: ${done.queues} queues, ${done.jobs} jobs, ${done.deadLetters} dead letters relinked`]
      : [];
    return { from, to, applied: [...moved, ...formatSteps(from, to)] };
  }

  private recoverOnce(): Promise<void> {
    this.recovered ??= this.outbox.moveAll().then(
      () => undefined,
      (error: unknown) => {
        this.recovered = undefined;
        throw error;
      },
    );
    return this.recovered;
  }

  // ---- routing ------------------------------------------------------------------------------

  private jobOut<T extends Job>(slot: number, job: T): T {
    return { ...job, id: globalJobId(slot, job.id) };
  }

  /** Moves the dead letters `failures` (slot ids) left in the slot's outbox; see queue-slot-kept-entries.ts. */
  private async afterFailures<R extends FailJobResult>(
    slot: number,
    failures: readonly JobFailure[],
    results: R[],
  ) {
    if (!failures.some((f, i) => f.outcome.kind === 'dead_letter' && results[i]?.ok)) return results;
    await this.outbox.move(slot);
    const deps = { conn: this.conn, keys: this.keys, slotKeys: this.slots.store(slot).keys };
    const ids = failures.map((f) => f.id);
    return keepEarlierEntries(slot, ids, results, deps);
  }

  /**
   * Moves the poison pills' dead letters (slot ids) that a sweep left in the slot's outbox, each
   * answered, as a failure's, by the entry its job keeps; see queue-slot-kept-entries.ts.
   */
  private async movePoisonPills(slot: number, deadLettered: RecoveryResult['deadLettered']) {
    if (deadLettered.length === 0) return deadLettered;
    await this.outbox.move(slot);
    const deps = { conn: this.conn, keys: this.keys, slotKeys: this.slots.store(slot).keys };
    const ids = deadLettered.map((d) => d.jobId);
    const results = deadLettered.map((d) => ({ ...d, id: d.jobId, ok: true as const }));
    const kept = await keepEarlierEntries(slot, ids, results, deps);
    return kept.map(({ id, deadLetterId }) =>
      deadLetterId === undefined ? { jobId: id } : { jobId: id, deadLetterId },
    );
  }

  // ---- jobs ---------------------------------------------------------------------------------

  /** One script call per queue of the batch (each queue's part atomic on its own). */
  async insertJobs(params: InsertJobsParams): Promise<InsertJobResult[]> {
    // Checked whole first: an invalid job stops the batch before any queue's part is written.
    validateNewJobs(params.jobs);
    const byQueue = new Map<string, number[]>();
    params.jobs.forEach((job, index) => {
      const list = byQueue.get(job.queue);
      if (list) list.push(index);
      else byQueue.set(job.queue, [index]);
    });
    const results: InsertJobResult[] = new Array(params.jobs.length);
    await Promise.all(
      [...byQueue].map(async ([queue, indexes]) => {
        const slot = (await this.slots.numberOf(queue, true))!;
        const jobs =
          indexes.length === params.jobs.length ? params.jobs : indexes.map((i) => params.jobs[i]!);
        const out = await this.slots.store(slot).insertJobs({ jobs, now: params.now });
        out.forEach((r, i) => {
          results[indexes[i]!] = { id: globalJobId(slot, r.id), created: r.created };
        });
      }),
    );
    return results;
  }

  async claimJobs(params: ClaimJobsParams): Promise<ClaimedJob[]> {
    const slot = await this.slots.numberOf(params.queue, false);
    if (slot === null) return [];
    const jobs = await this.slots.store(slot).claimJobs(this.horizons.forClaim(params));
    await this.horizons.claimed(params, slot, jobs);
    return jobs.map((job) => this.jobOut(slot, job));
  }

  /** Raises the horizon in every slot where the worker claimed with start marks through this store. */
  advanceStartHorizon(params: AdvanceStartHorizonParams): Promise<void> {
    return this.horizons.advance(params);
  }

  completeJobs(params: CompleteJobsParams): Promise<FenceResult[]> {
    return bySlot(params.completions, (slot, completions) =>
      this.slots.store(slot).completeJobs({ completions: completions as JobCompletion[], now: params.now }),
    );
  }

  /**
   * One script call when every completion and failure belongs to the claimed queue (a worker's
   * usual batch); otherwise the others are completed and failed in their own slots first.
   */
  async completeAndClaimJobs(params: {
    completions: readonly JobCompletion[];
    failures?: readonly JobFailure[];
    claim: ClaimJobsParams;
  }): Promise<{ completed: FenceResult[]; failed: FailJobResult[]; claimed: ClaimedJob[] }> {
    const failures = params.failures ?? [];
    const slot = await this.slots.numberOf(params.claim.queue, false);
    const inSlot = (item: { id: string }) => locateJobId(item.id)?.slot === slot;
    if (slot === null || !params.completions.every(inSlot) || !failures.every(inSlot)) {
      const completed = await this.completeJobs({ completions: params.completions, now: params.claim.now });
      const failed = await this.failJobs({ failures, now: params.claim.now });
      return { completed, failed, claimed: await this.claimJobs(params.claim) };
    }
    const local = <T extends { id: string }>(item: T): T => ({ ...item, id: locateJobId(item.id)!.localId });
    const localFailures = failures.map(local);
    const out = await this.slots.store(slot).completeAndClaimJobs({
      completions: params.completions.map(local),
      failures: localFailures,
      claim: this.horizons.forClaim(params.claim),
    });
    await this.horizons.claimed(params.claim, slot, out.claimed);
    const global = <T extends { id: string }>(r: T): T => ({ ...r, id: globalJobId(slot, r.id) });
    const failed = await this.afterFailures(slot, localFailures, out.failed.map(global));
    return {
      completed: out.completed.map(global),
      failed,
      claimed: out.claimed.map((job) => this.jobOut(slot, job)),
    };
  }

  /** Each slot's failures in one script there; its dead letters are then moved (see the outbox). */
  failJobs(params: FailJobsParams): Promise<FailJobResult[]> {
    return bySlot(params.failures, async (slot, failures) => {
      const results = await this.slots.store(slot).failJobs({ failures, now: params.now });
      return this.afterFailures(slot, failures, results);
    });
  }

  async failJob(params: FailJobParams): Promise<FailJobResult> {
    const { now, ...failure } = params;
    const [result] = await this.failJobs({ failures: [failure], now });
    return result!;
  }

  extendLeases(params: ExtendLeasesParams): Promise<FenceResult[]> {
    return bySlot(params.leases, (slot, leases) =>
      this.slots.store(slot).extendLeases({ ...params, leases }),
    );
  }

  releaseJobs(params: ReleaseJobsParams): Promise<FenceResult[]> {
    return bySlot(params.leases, (slot, leases) => this.slots.store(slot).releaseJobs({ ...params, leases }));
  }

  /**
   * Sweeps the queue given (a worker's sweep), or every queue in number order (the maintainer's);
   * first finishes the dead-letter moves a crash left in those queues' outboxes.
   */
  async recoverExpiredLeases(params: RecoverExpiredLeasesParams): Promise<RecoveryResult> {
    const total: RecoveryResult = { recovered: [], deadLettered: [], orphanedWhile: {} };
    const slots = await this.slots.numbersOf(params.queue);
    // The recovery pass of the dead-letter move, for the queues swept.
    await Promise.all(slots.map((n) => this.outbox.move(n)));
    for (const n of slots) {
      const limit = params.limit - total.recovered.length - total.deadLettered.length;
      if (limit <= 0) break;
      const result = await this.slots.store(n).recoverExpiredLeases({
        ...params,
        limit,
        deadLetterFor: (job) => params.deadLetterFor({ ...job, id: globalJobId(n, job.id) }),
      });
      for (const id of result.recovered) total.recovered.push(globalJobId(n, id));
      for (const d of await this.movePoisonPills(n, result.deadLettered)) {
        total.deadLettered.push({ ...d, jobId: globalJobId(n, d.jobId) });
      }
      for (const [id, held] of Object.entries(result.orphanedWhile))
        total.orphanedWhile[globalJobId(n, id)] = held;
    }
    return total;
  }

  async nextLeaseExpiry(params: NextLeaseExpiryParams): Promise<number | null> {
    const slots = await this.slots.numbersOf(params.queue);
    return earliestOfParts(slots, (n) => this.slots.store(n).nextLeaseExpiry(params));
  }

  async nextScheduledAt(params: { queue: string }): Promise<number | null> {
    const store = await this.slots.storeOf(params.queue, false);
    return store ? store.nextScheduledAt(params) : null;
  }

  async getJob(params: { id: string }): Promise<Job | null> {
    const where = locateJobId(params.id);
    if (!where) return null;
    const job = await this.slots.store(where.slot).getJob({ id: where.localId });
    return job ? this.jobOut(where.slot, job) : null;
  }

  /** Pages through the queues in number order, each in id order; `afterId` says where to resume. */
  async listJobs(params: ListJobsParams): Promise<Job[]> {
    const after = params.afterId === undefined ? null : locateJobId(params.afterId);
    if (params.afterId !== undefined && !after) return [];
    const slots = await this.queueSlots(params.queue);
    const jobs: Job[] = [];
    for (const slot of slots) {
      if (jobs.length >= params.limit) break;
      if (after && slot < after.slot) continue;
      const page = await this.slots.store(slot).listJobs({
        ...params,
        limit: params.limit - jobs.length,
        afterId: after && slot === after.slot ? after.localId : undefined,
      });
      for (const job of page) jobs.push(this.jobOut(slot, job));
    }
    return jobs;
  }

  /** The slots of `queue` (none if never registered), or of every queue in number order. */
  private async queueSlots(queue: string | undefined): Promise<number[]> {
    if (queue === undefined) return (await this.slots.all()).map((s) => s.slot);
    const slot = await this.slots.numberOf(queue, false);
    return slot === null ? [] : [slot];
  }

  async countJobs(params: { queue?: string }): Promise<JobCounts> {
    const total = emptyJobCounts();
    const all = await Promise.all(
      (await this.queueSlots(params.queue)).map((slot) => this.slots.store(slot).countJobs(params)),
    );
    for (const counts of all) for (const state of JOB_STATES) total[state] += counts[state];
    return total;
  }

  /** Names from the store's registry; each paused flag from its queue's slot (the one claims obey). */
  async listQueues(): Promise<{ name: string; paused: boolean }[]> {
    const all = await this.slots.all();
    const paused = await Promise.all(
      all.map(({ queue, slot }) => this.slots.store(slot).isQueuePaused({ queue })),
    );
    return all
      .map(({ queue }, i) => ({ name: queue, paused: paused[i]! }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async pauseQueue(params: { queue: string }): Promise<void> {
    const store = (await this.slots.storeOf(params.queue, true))!;
    await store.pauseQueue(params);
    await this.conn.call('pauseQueue', () => this.conn.client.hset(this.keys.queues, params.queue, '1'));
  }

  async resumeQueue(params: { queue: string }): Promise<void> {
    const store = (await this.slots.storeOf(params.queue, true))!;
    await store.resumeQueue(params);
    await this.conn.call('resumeQueue', () => this.conn.client.hset(this.keys.queues, params.queue, '0'));
  }

  async isQueuePaused(params: { queue: string }): Promise<boolean> {
    const store = await this.slots.storeOf(params.queue, false);
    return store ? store.isQueuePaused(params) : false;
  }

  async removeJobs(params: RemoveJobsParams): Promise<number> {
    let removed = 0;
    for (const slot of await this.queueSlots(params.queue)) {
      if (removed >= params.limit) break;
      removed += await this.slots.store(slot).removeJobs({ ...params, limit: params.limit - removed });
    }
    return removed;
  }

  /** Registers the queue (a watched queue is one in use) so that its channel is known. */
  watchQueue(queue: string, listener: () => void): () => void {
    if (this.slots.cachedNumberOf(queue) !== undefined) return this.notifier.watch(queue, listener);
    let stop: (() => void) | undefined;
    let stopped = false;
    this.slots.numberOf(queue, true).then(
      () => {
        if (!stopped) stop = this.notifier.watch(queue, listener);
      },
      // The queue's next insert or claim reports the failure; workers poll meanwhile.
      () => {},
    );
    return () => {
      stopped = true;
      stop?.();
    };
  }

  // ---- dead letters and leadership: the store's own slot ---------------------------------------

  insertDeadLetters(params: Parameters<DL.DeadLetterStore['insertDeadLetters']>[0]) {
    return this.home.insertDeadLetters(params);
  }

  /** {@inheritDoc RedisStore.backfillDeadLetterCounters} (in the store's own slot) */
  readonly backfillDeadLetterCounters: RedisStore['backfillDeadLetterCounters'] = (params) =>
    this.home.backfillDeadLetterCounters(params);

  private recovering<K extends keyof DeadLetterMethods>(method: K): DeadLetterMethods[K] {
    return (async (params: never) => {
      await this.recoverOnce();
      const home: DeadLetterMethods = this.home;
      return (home[method] as (p: never) => unknown).call(home, params);
    }) as DeadLetterMethods[K];
  }

  readonly getDeadLetter = this.recovering('getDeadLetter');
  readonly getDeadLetterByJob = this.recovering('getDeadLetterByJob');
  readonly listDeadLetters = this.recovering('listDeadLetters');
  readonly facetDeadLetters = this.recovering('facetDeadLetters');
  readonly topDeadLetterFailures = this.recovering('topDeadLetterFailures');
  readonly getDeadLetterStats = this.recovering('getDeadLetterStats');
  readonly acquireDeadLetterForReplay = this.recovering('acquireDeadLetterForReplay');
  readonly finishDeadLetterReplay = this.recovering('finishDeadLetterReplay');
  readonly resolveDeadLetters = this.recovering('resolveDeadLetters');
  readonly transitionDeadLetters = this.recovering('transitionDeadLetters');
  readonly purgeDeadLetters = this.recovering('purgeDeadLetters');
  readonly regroupDeadLetters = this.recovering('regroupDeadLetters');
  readonly appendAudit = this.recovering('appendAudit');
  readonly listAudit = this.recovering('listAudit');
  readonly purgeAudit = this.recovering('purgeAudit');

  readonly acquireLeadership: Store['acquireLeadership'] = (params) => this.home.acquireLeadership(params);
  readonly renewLeadership: Store['renewLeadership'] = (params) => this.home.renewLeadership(params);
  readonly resignLeadership: Store['resignLeadership'] = (params) => this.home.resignLeadership(params);
  readonly getLeader: Store['getLeader'] = (params) => this.home.getLeader(params);

  // Job events: a stream per queue as on a RedisStore (an XADD shares no slot with anything).
  readonly publishJobEvents: Store['publishJobEvents'] = (params) => this.home.publishJobEvents(params);
  readonly subscribeJobEvents: Store['subscribeJobEvents'] = (params) => this.home.subscribeJobEvents(params);
  readonly updateJobProgress: Store['updateJobProgress'] = async (params) =>
    (await bySlot([params], async (slot, [p]) => [await this.slots.store(slot).updateJobProgress(p!)]))[0]!;

  async close(): Promise<void> {
    await this.notifier.close();
    await this.conn.close();
  }
}
