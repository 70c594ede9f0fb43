/**
 * Counts what the demo's workers do, from their events. Store counts (waiting, scheduled, ...)
 * cover everything in the database; these counters cover this run only.
 */
import { type JobCounts, JobTimeoutError, type Store, type Worker } from '../src/index.js';

/** What happened to one queue's jobs during this run. */
export interface QueueCounters {
  added: number;
  completed: number;
  /** Attempts that failed and were rescheduled with backoff. */
  retried: number;
  /** Rate-limit responses that rescheduled a job without spending an attempt. */
  rateLimited: number;
  /** Attempts that ran past their timeout. */
  timedOut: number;
  deadLettered: number;
  /** Jobs whose lease expired and that were recovered (another worker's crash, or a blocked loop). */
  stalled: number;
  leasesLost: number;
}

/** One queue's line of the live view. */
export interface QueueSnapshot {
  queue: string;
  counts: JobCounts;
  counters: QueueCounters;
  /** Completions per second over the last interval. */
  rate: number;
}

function emptyCounters(): QueueCounters {
  return {
    added: 0,
    completed: 0,
    retried: 0,
    rateLimited: 0,
    timedOut: 0,
    deadLettered: 0,
    stalled: 0,
    leasesLost: 0,
  };
}

const RECENT_EVENTS = 6;

/** The demo's counters, fed by worker events. */
export class DemoStats {
  readonly counters = new Map<string, QueueCounters>();
  /** Dead letters of this run per failure type. */
  readonly deadLetterReasons = new Map<string, number>();
  /** The last few notable events, newest last. */
  readonly recent: string[] = [];
  /** Errors the workers survived (store calls that failed and were retried). */
  workerErrors = 0;
  private readonly lastCompleted = new Map<string, number>();
  private lastSampleAt = performance.now();

  constructor(readonly queues: readonly string[]) {
    for (const queue of queues) this.counters.set(queue, emptyCounters());
  }

  private of(queue: string): QueueCounters {
    let counters = this.counters.get(queue);
    if (!counters) {
      counters = emptyCounters();
      this.counters.set(queue, counters);
    }
    return counters;
  }

  recordAdded(queue: string, count: number): void {
    this.of(queue).added += count;
  }

  /** Subscribes to a worker's events. */
  attach<Payload>(w: Worker<Payload>): void {
    w.on('job.completed', (e) => {
      this.of(e.queue).completed++;
    });
    w.on('job.failed', (e) => {
      if (e.error instanceof JobTimeoutError) this.of(e.queue).timedOut++;
    });
    w.on('job.retried', (e) => {
      if (e.reason === 'rate_limited') {
        this.of(e.queue).rateLimited++;
        this.note(`${e.queue} #${e.jobId} ${e.name}: rate-limited, rescheduled without spending an attempt`);
      } else {
        this.of(e.queue).retried++;
      }
    });
    w.on('job.dead_lettered', (e) => {
      this.of(e.queue).deadLettered++;
      this.deadLetterReasons.set(e.failureType, (this.deadLetterReasons.get(e.failureType) ?? 0) + 1);
      this.note(`${e.queue} #${e.jobId} ${e.name}: dead-lettered (${e.failureType}) as ${e.deadLetterId}`);
    });
    w.on('job.stalled', (e) => {
      const counters = this.of(e.queue);
      if (e.action === 'recovered') counters.stalled++;
      else {
        counters.deadLettered++;
        this.deadLetterReasons.set('poison_pill', (this.deadLetterReasons.get('poison_pill') ?? 0) + 1);
      }
      this.note(`${e.queue} #${e.jobId}: lease expired, ${e.action.replace('_', '-')}`);
    });
    w.on('alert', (e) => {
      if (e.type === 'lease_lost') this.of(e.queue).leasesLost++;
      this.note(`${e.queue}: alert ${e.type}: ${e.message}`);
    });
    w.on('error', (e) => {
      this.workerErrors++;
      this.note(`${e.queue}: worker error: ${e.error.message}`);
    });
  }

  private note(message: string): void {
    const time = new Date().toTimeString().slice(0, 8);
    this.recent.push(`${time}  ${message}`);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
  }

  /** Reads the store's counts and this interval's completion rates. */
  async sample(store: Store): Promise<QueueSnapshot[]> {
    const now = performance.now();
    const seconds = Math.max((now - this.lastSampleAt) / 1000, 0.001);
    this.lastSampleAt = now;
    const snapshots: QueueSnapshot[] = [];
    for (const queue of this.queues) {
      const counters = this.of(queue);
      const counts = await store.countJobs({ queue });
      const rate = (counters.completed - (this.lastCompleted.get(queue) ?? 0)) / seconds;
      this.lastCompleted.set(queue, counters.completed);
      snapshots.push({ queue, counts, counters: { ...counters }, rate });
    }
    return snapshots;
  }

  /** Totals of this run's counters. */
  totals(): QueueCounters {
    const total = emptyCounters();
    for (const counters of this.counters.values()) {
      for (const key of Object.keys(total) as (keyof QueueCounters)[]) total[key] += counters[key];
    }
    return total;
  }
}
