/**
 * The job-event half of the Store seam: how workers publish job events and how a listener in any
 * process receives them. Optional: a store declares `capabilities.jobEvents` and implements both
 * methods. Each store carries them its own way (Redis: a capped stream per queue; PostgreSQL:
 * NOTIFY on a channel; SQLite: a capped table polled by the listener).
 */
import type { JobEvent } from '../core/job-event.js';

/** Params of {@link JobEventStore.publishJobEvents}. */
export interface PublishJobEventsParams {
  /** Events of any queues, in the order they happened. */
  events: readonly JobEvent[];
  now: number;
}

/** Params of {@link JobEventStore.subscribeJobEvents}. */
export interface SubscribeJobEventsParams {
  queue: string;
  /**
   * Resume after this event id (one the store gave an earlier delivery); only events published
   * after the subscription started when omitted. Stores that cannot replay (PostgreSQL) ignore it.
   */
  after?: string;
  /** Receives the queue's events in order; `id` is the position to resume after (see `after`). */
  deliver(events: readonly JobEvent[], id: string): void;
  /** A read failed; the subscription retries on its own. */
  error(error: Error): void;
}

/** A live subscription; `close` stops it and releases its connection. */
export interface JobEventSubscription {
  close(): Promise<void>;
}

/** The job-event operations of a store with `capabilities.jobEvents`. */
export interface JobEventStore {
  /** Publishes events for listeners in any process (best effort: a lost event is never retried). */
  publishJobEvents?(params: PublishJobEventsParams): Promise<void>;
  /** Subscribes to one queue's events; resolves once listening (events published after it arrive). */
  subscribeJobEvents?(params: SubscribeJobEventsParams): Promise<JobEventSubscription>;
}
