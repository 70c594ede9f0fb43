/**
 * Listens to one queue's job events, whichever process ran the job: the counterpart of BullMQ's
 * `QueueEvents`. Workers publish their outcomes through the store (see event-publisher.ts); this
 * subscribes to the store and emits them with the same names as a worker's own events
 * (`job.completed`, `job.failed`, `job.retried`, `job.dead_lettered`, `job.stalled`,
 * `job.progress`). Delivery is best effort and ordered per publishing worker; the store's state
 * stays the truth (read it with `queue.getJob` when an event matters).
 */
import { ValidationError } from '../core/errors.js';
import type { JobEvent, JobEventMap } from '../core/job-event.js';
import { TypedEmitter } from '../events.js';
import type { JobEventSubscription } from '../store/job-event-store.js';
import type { Store } from '../store/store.js';
import { assertQueueName } from './job-options.js';

/** The events of {@link QueueEvents}: the job events, and `error` for a read it will retry. */
export interface QueueEventsEvents extends JobEventMap {
  error: { queue: string; error: Error };
}

/** Options of {@link QueueEvents}. */
export interface QueueEventsOptions {
  store: Store;
  /**
   * Resume after this event id (a {@link QueueEvents.lastEventId} saved earlier): events published
   * since are delivered first. Redis and SQLite keep a capped history to resume from; PostgreSQL
   * NOTIFY keeps none and ignores it. Default: only events published after the listener started.
   */
  lastEventId?: string;
}

/** A listener of one queue's job events across processes. */
export class QueueEvents {
  readonly queue: string;
  /** Resolves once the listener is subscribed: events published from then on arrive. */
  readonly ready: Promise<void>;
  private readonly emitter = new TypedEmitter<QueueEventsEvents>();
  private subscription: JobEventSubscription | undefined;
  private closed = false;
  private lastId: string | undefined;

  constructor(queue: string, options: QueueEventsOptions) {
    this.queue = assertQueueName(queue);
    const store = options?.store;
    if (store?.capabilities.jobEvents !== true || typeof store.subscribeJobEvents !== 'function') {
      throw new ValidationError('store', `a store that carries job events is required (got ${store?.kind})`);
    }
    this.lastId = options.lastEventId;
    this.ready = store
      .subscribeJobEvents({
        queue: this.queue,
        ...(options.lastEventId !== undefined ? { after: options.lastEventId } : {}),
        deliver: (events, id) => this.deliver(events, id),
        error: (error) => this.emitter.emit('error', { queue: this.queue, error }),
      })
      .then(async (subscription) => {
        if (this.closed) await subscription.close();
        else this.subscription = subscription;
      });
    // An unobserved failure to subscribe must not crash the process; `ready` still rejects.
    this.ready.catch(() => undefined);
  }

  /** The id of the last event batch delivered: pass it as `lastEventId` to resume after it. */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** Listens to an event; returns a function that removes the listener. */
  on<E extends keyof QueueEventsEvents>(
    event: E,
    listener: (payload: QueueEventsEvents[E]) => void,
  ): () => void {
    return this.emitter.on(event, listener);
  }

  /** Listens to an event once. */
  once<E extends keyof QueueEventsEvents>(
    event: E,
    listener: (payload: QueueEventsEvents[E]) => void,
  ): () => void {
    return this.emitter.once(event, listener);
  }

  /** Removes a listener. */
  off<E extends keyof QueueEventsEvents>(event: E, listener: (payload: QueueEventsEvents[E]) => void): void {
    this.emitter.off(event, listener);
  }

  private deliver(events: readonly JobEvent[], id: string): void {
    if (this.closed) return;
    this.lastId = id;
    for (const { event, ...payload } of events) {
      if (payload.queue !== this.queue) continue;
      this.emitter.emit(event, payload as never);
    }
  }

  /** Stops listening and releases the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    await this.subscription?.close();
    this.subscription = undefined;
  }
}
