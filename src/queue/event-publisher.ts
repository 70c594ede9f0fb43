/**
 * Publishes a worker's job events through its store, for {@link QueueEvents} listeners in other
 * processes. Events are collected as the worker's outcome writes are answered and sent together
 * after the current turn: one store call (one XADD, one NOTIFY, one insert) per batch of outcomes,
 * not one per job. Publishing is best effort: a failed publish is reported as an `error` and not
 * retried (the job's state in the store is the truth; events are notifications of it).
 */
import type { Clock } from '../core/clock.js';
import { eventMessage, type JobEvent } from '../core/job-event.js';
import type { RedriveEvents, TypedEmitter } from '../events.js';
import type { Store } from '../store/store.js';

/** Events per store call at most. */
const MAX_PUBLISH_BATCH = 500;

/** Collects job events and publishes them in batches. */
export class EventPublisher {
  private pending: JobEvent[] = [];
  private timer: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly reportError: (error: unknown) => void,
  ) {}

  /** Whether `store` can carry events to other processes. */
  static supported(store: Store): boolean {
    return (
      store.capabilities.jobEvents === true &&
      typeof store.publishJobEvents === 'function' &&
      typeof store.subscribeJobEvents === 'function'
    );
  }

  /** Queues an event; it is sent after the current turn with the others. */
  add(event: JobEvent): void {
    this.pending.push(event);
    if (this.pending.length >= MAX_PUBLISH_BATCH && !this.inFlight) {
      this.send();
      return;
    }
    this.timer ??= setImmediate(() => {
      this.timer = undefined;
      this.send();
    });
  }

  /**
   * Forwards a worker's own outcome events (everything but `job.stalled`, which the store's
   * maintainer and on-demand sweeps publish: see {@link EventPublisher.stalled}).
   */
  follow(emitter: TypedEmitter<RedriveEvents>): void {
    emitter.on('job.completed', (e) => this.add({ event: 'job.completed', ...e, at: this.clock.now() }));
    emitter.on('job.failed', ({ error, ...e }) =>
      this.add({
        event: 'job.failed',
        ...e,
        errorClass: error.name,
        message: eventMessage(error.message),
        at: this.clock.now(),
      }),
    );
    emitter.on('job.retried', (e) => this.add({ event: 'job.retried', ...e, at: this.clock.now() }));
    emitter.on('job.dead_lettered', (e) =>
      this.add({ event: 'job.dead_lettered', ...e, at: this.clock.now() }),
    );
    emitter.on('job.progress', (e) => this.add({ event: 'job.progress', ...e, at: this.clock.now() }));
  }

  /** Queues a recovery sweep's `job.stalled` event. */
  stalled(e: RedriveEvents['job.stalled']): void {
    this.add({ event: 'job.stalled', ...e, at: this.clock.now() });
  }

  /**
   * Sends the queued events unless a publish is in flight: one at a time, so that events reach
   * listeners in the order they happened (two publishes on two pooled connections could swap);
   * what queues meanwhile goes in the next publish.
   */
  private send(): void {
    if (this.timer) {
      clearImmediate(this.timer);
      this.timer = undefined;
    }
    if (this.inFlight || this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.inFlight = this.store.publishJobEvents!({ events, now: this.clock.now() })
      .catch((error: unknown) => this.reportError(error))
      .finally(() => {
        this.inFlight = undefined;
        this.send();
      });
  }

  /** Sends what is queued and waits until every event was published (for shutdown). */
  async flush(): Promise<void> {
    this.send();
    while (this.inFlight) await this.inFlight;
  }
}
