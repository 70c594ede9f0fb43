/**
 * Typed events. Emitters only build an event object when someone listens, so an unobserved
 * queue pays nothing for them on the hot path.
 */
import type { OrphanedWhile } from './core/job.js';

/** The events of queues and workers. */
export interface RedriveEvents {
  'job.enqueued': { queue: string; jobId: string; name: string; created: boolean };
  'job.active': { queue: string; jobId: string; name: string; attempt: number; workerId: string };
  'job.completed': { queue: string; jobId: string; name: string; attempt: number; durationMs: number };
  /** An attempt failed (whatever happens next). */
  'job.failed': {
    queue: string;
    jobId: string;
    name: string;
    attempt: number;
    error: Error;
    willRetry: boolean;
  };
  /** The job was rescheduled: after a retryable error, or by a rate-limit response without spending an attempt. */
  'job.retried': {
    queue: string;
    jobId: string;
    name: string;
    attempt: number;
    runAt: number;
    reason: 'error' | 'rate_limited';
  };
  'job.dead_lettered': {
    queue: string;
    jobId: string;
    name: string;
    deadLetterId: string;
    failureType: string;
  };
  /** The handler reported progress (`job.updateProgress`); the store holds it on the job. */
  'job.progress': { queue: string; jobId: string; name: string; attempt: number; progress: unknown };
  /** A lease expired: the job was returned to waiting, or dead-lettered as a poison pill. */
  'job.stalled': {
    queue: string;
    jobId: string;
    action: 'recovered' | 'dead_lettered';
    deadLetterId?: string;
    /**
     * How the lost worker held the job: `prefetched` (never started: back as if never claimed),
     * `running` (may have started beside others: now a suspect, run alone next) or `quarantine`
     * (ran alone: counted towards `maxOrphans`).
     */
    orphanedWhile: OrphanedWhile;
  };
  /** Something an operator should look at. */
  alert: {
    type: 'backlog' | 'heartbeat_lag' | 'lease_lost' | 'store_error' | 'circuit_open';
    queue: string;
    message: string;
    value?: number;
    threshold?: number;
  };
  /** An error the worker survived (a store call failed and will be retried). */
  error: { queue: string; error: Error };
}

/** A listener of event `E`. */
export type Listener<Events, E extends keyof Events> = (event: Events[E]) => void;

/** A small typed event emitter. A throwing listener is isolated from the others and from the caller. */
export class TypedEmitter<Events> {
  private readonly listeners = new Map<keyof Events, Set<(event: never) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: Listener<Events, E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (event: never) => void);
    return () => this.off(event, listener);
  }

  /** Adds a listener that runs once. */
  once<E extends keyof Events>(event: E, listener: Listener<Events, E>): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  /** Removes a listener. */
  off<E extends keyof Events>(event: E, listener: Listener<Events, E>): void {
    this.listeners.get(event)?.delete(listener as (event: never) => void);
  }

  /** Whether anyone listens to `event` (check before building an expensive payload). */
  hasListeners(event: keyof Events): boolean {
    const set = this.listeners.get(event);
    return set !== undefined && set.size > 0;
  }

  /** Calls every listener of `event`. */
  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<Events, E>)(payload);
      } catch {
        // A faulty listener must never break job processing.
      }
    }
  }
}
