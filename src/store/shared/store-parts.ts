/**
 * Every store keeps its dead letters and its leader lease in parts of its own (`SqliteDeadLetters`,
 * `RedisDeadLetters`, `PostgresDeadLetters`; `SqliteLeadership` ...). A store extends
 * {@link StoreParts} and names those parts; the dead-letter and leader-election halves of the
 * `Store` interface are then answered by them, written once here instead of once per store.
 */
import type { DeadLetter, DeadLetterAuditEntry, NewDeadLetter } from '../../core/dead-letter.js';
import type * as DL from '../dead-letter-store.js';
import type * as JE from '../job-event-store.js';
import type * as LS from '../leader-store.js';

/** A store's leader-lease part; each method may answer at once (SQLite) or later (network). */
export interface LeadershipPart {
  acquire(params: LS.AcquireLeadershipParams): LS.LeadershipResult | Promise<LS.LeadershipResult>;
  renew(params: LS.RenewLeadershipParams): LS.LeadershipResult | Promise<LS.LeadershipResult>;
  resign(params: LS.ResignLeadershipParams): boolean | Promise<boolean>;
  get(params: { now: number }): LS.LeaderLease | null | Promise<LS.LeaderLease | null>;
}

/** A store's job-event part (`RedisJobEvents`, `PostgresJobEvents`, `SqliteJobEvents`). */
export interface JobEventPart {
  publish(params: JE.PublishJobEventsParams): void | Promise<void>;
  subscribe(params: JE.SubscribeJobEventsParams): Promise<JE.JobEventSubscription>;
}

/** The dead-letter, leader-election and job-event halves of a store, answered by its parts. */
export abstract class StoreParts implements DL.DeadLetterStore, LS.LeaderStore, JE.JobEventStore {
  /** The part that keeps the dead letters; set in the store's constructor. */
  protected abstract readonly deadLetters: DL.DeadLetterStore;
  /** The part that keeps the leader lease; set in the store's constructor. */
  protected abstract readonly leadership: LeadershipPart;
  /** The part that carries job events between processes; set in the store's constructor. */
  protected abstract readonly jobEvents: JobEventPart;

  /** {@inheritDoc JobEventStore.publishJobEvents} */
  async publishJobEvents(params: JE.PublishJobEventsParams): Promise<void> {
    await this.jobEvents.publish(params);
  }
  /** {@inheritDoc JobEventStore.subscribeJobEvents} */
  subscribeJobEvents(params: JE.SubscribeJobEventsParams): Promise<JE.JobEventSubscription> {
    return this.jobEvents.subscribe(params);
  }

  /** {@inheritDoc LeaderStore.acquireLeadership} */
  async acquireLeadership(params: LS.AcquireLeadershipParams): Promise<LS.LeadershipResult> {
    return this.leadership.acquire(params);
  }
  /** {@inheritDoc LeaderStore.renewLeadership} */
  async renewLeadership(params: LS.RenewLeadershipParams): Promise<LS.LeadershipResult> {
    return this.leadership.renew(params);
  }
  /** {@inheritDoc LeaderStore.resignLeadership} */
  async resignLeadership(params: LS.ResignLeadershipParams): Promise<boolean> {
    return this.leadership.resign(params);
  }
  /** {@inheritDoc LeaderStore.getLeader} */
  async getLeader(params: { now: number }): Promise<LS.LeaderLease | null> {
    return this.leadership.get(params);
  }

  /** {@inheritDoc DeadLetterStore.insertDeadLetters} */
  insertDeadLetters(params: {
    deadLetters: readonly NewDeadLetter[];
    now: number;
  }): Promise<{ inserted: number; ids: string[] }> {
    return this.deadLetters.insertDeadLetters(params);
  }
  /** {@inheritDoc DeadLetterStore.getDeadLetter} */
  getDeadLetter(params: { id: string }): Promise<DeadLetter | null> {
    return this.deadLetters.getDeadLetter(params);
  }
  /** {@inheritDoc DeadLetterStore.getDeadLetterByJob} */
  getDeadLetterByJob(params: { jobId: string }): Promise<DeadLetter | null> {
    return this.deadLetters.getDeadLetterByJob(params);
  }
  /** {@inheritDoc DeadLetterStore.listDeadLetters} */
  listDeadLetters(params: DL.ListDeadLettersParams): Promise<DL.DeadLetterPage> {
    return this.deadLetters.listDeadLetters(params);
  }
  /** {@inheritDoc DeadLetterStore.facetDeadLetters} */
  facetDeadLetters(
    params: Parameters<DL.DeadLetterStore['facetDeadLetters']>[0],
  ): Promise<DL.DeadLetterFacets> {
    return this.deadLetters.facetDeadLetters(params);
  }
  /** {@inheritDoc DeadLetterStore.topDeadLetterFailures} */
  topDeadLetterFailures(params: DL.DeadLetterFilter & { limit: number }): Promise<DL.TopFailures> {
    return this.deadLetters.topDeadLetterFailures(params);
  }
  /** {@inheritDoc DeadLetterStore.getDeadLetterStats} */
  getDeadLetterStats(params: { now: number }): Promise<DL.DeadLetterStoreStats> {
    return this.deadLetters.getDeadLetterStats(params);
  }
  /** {@inheritDoc DeadLetterStore.acquireDeadLetterForReplay} */
  acquireDeadLetterForReplay(params: DL.AcquireDeadLetterParams): Promise<DL.DeadLetterChangeResult> {
    return this.deadLetters.acquireDeadLetterForReplay(params);
  }
  /** {@inheritDoc DeadLetterStore.finishDeadLetterReplay} */
  finishDeadLetterReplay(params: DL.FinishDeadLetterReplayParams): Promise<DL.DeadLetterChangeResult> {
    return this.deadLetters.finishDeadLetterReplay(params);
  }
  /** {@inheritDoc DeadLetterStore.resolveDeadLetters} */
  resolveDeadLetters(params: DL.ResolveDeadLettersParams): Promise<DL.ResolveDeadLettersResult> {
    return this.deadLetters.resolveDeadLetters(params);
  }
  /** {@inheritDoc DeadLetterStore.transitionDeadLetters} */
  transitionDeadLetters(params: DL.TransitionDeadLettersParams): Promise<{ ids: string[] }> {
    return this.deadLetters.transitionDeadLetters(params);
  }
  /** {@inheritDoc DeadLetterStore.purgeDeadLetters} */
  purgeDeadLetters(params: DL.PurgeDeadLettersParams): Promise<{ ids: string[] }> {
    return this.deadLetters.purgeDeadLetters(params);
  }
  /** {@inheritDoc DeadLetterStore.regroupDeadLetters} */
  regroupDeadLetters(params: DL.RegroupDeadLettersParams): Promise<{ updated: number }> {
    return this.deadLetters.regroupDeadLetters(params);
  }
  /** {@inheritDoc DeadLetterStore.appendAudit} */
  appendAudit(params: Parameters<DL.DeadLetterStore['appendAudit']>[0]): Promise<{ seqs: number[] }> {
    return this.deadLetters.appendAudit(params);
  }
  /** {@inheritDoc DeadLetterStore.purgeAudit} */
  purgeAudit(params: DL.PurgeAuditParams): Promise<{ deleted: number }> {
    return this.deadLetters.purgeAudit(params);
  }
  /** {@inheritDoc DeadLetterStore.listAudit} */
  listAudit(
    params: DL.ListAuditParams,
  ): Promise<{ items: DeadLetterAuditEntry[]; nextBefore: number | null }> {
    return this.deadLetters.listAudit(params);
  }
}
