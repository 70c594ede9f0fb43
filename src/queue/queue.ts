/**
 * The producer side: validates jobs and writes them to the store. Single adds made in the same
 * tick are written in one transaction (group commit), so a burst of `add` calls costs one commit.
 */
import { type Clock, intervalNow, systemClock, type TimerHandle } from '../core/clock.js';
import { ClosedError, ValidationError, WaitTimeoutError } from '../core/errors.js';
import type { Job, JobCounts } from '../core/job.js';
import { assertKnownKeys } from '../core/known-keys.js';
import type { RedriveEvents } from '../events.js';
import { TypedEmitter } from '../events.js';
import type { InsertJobResult, NewJob } from '../store/job-store.js';
import type { Store } from '../store/store.js';
import { loadTracing } from '../telemetry/load.js';
import type { TelemetryOptions } from '../telemetry/options.js';
import { tracedSend, tracedSendBatch } from '../telemetry/traced-send.js';
import type { Tracing } from '../telemetry/tracing.js';
import {
  assertHeaders,
  assertQueueName,
  buildNewJob,
  EMPTY,
  JOB_OPTION_KEYS,
  type JobLimits,
  type JobOptions,
} from './job-options.js';
import { importJsonl, type JsonlImportOptions, type JsonlImportResult } from './jsonl-import.js';

/** Options of {@link Queue}. */
export interface QueueOptions {
  store: Store;
  /** Options applied to every job unless the job overrides them. */
  defaultJobOptions?: JobOptions;
  /** Largest accepted payload, in bytes of JSON. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Emit an `alert` event when waiting + scheduled jobs exceed this after adds (counted at most once a second, and once more at the end of a second that had adds). */
  backlogAlertThreshold?: number;
  /**
   * `{ tracing: true }`: each add runs in a producer span `send <queue>` whose trace context goes
   * into the job's headers, for the worker to continue (needs `@opentelemetry/api`).
   */
  telemetry?: TelemetryOptions;
  clock?: Clock;
}

/** What `add` returns. */
export interface EnqueuedJob {
  id: string;
  queue: string;
  name: string;
  /** False when an idempotency key matched an existing job; `id` is then that job's. */
  created: boolean;
}

/** Options of {@link Queue.add}: the job's options, and the transaction to add it in. */
export interface AddOptions extends JobOptions {
  /**
   * The application's open transaction: the job exists if and only if it commits. PostgreSQL
   * store: a pg `Client`/`PoolClient` inside `BEGIN`, or a function `(sql, values) => Promise<{ rows }>`
   * running in the transaction (what Kysely and Drizzle hand you). Not for `defaultJobOptions`.
   */
  client?: unknown;
}

/** One entry of {@link Queue.addBulk}. */
export interface BulkJob<Payload> {
  name: string;
  payload: Payload;
  options?: JobOptions;
}

interface PendingAdd {
  job: NewJob;
  resolve: (result: InsertJobResult) => void;
  reject: (error: unknown) => void;
}

/** The default largest payload: 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** The backlog alert counts jobs at most this often. */
const BACKLOG_CHECK_INTERVAL_MS = 1000;

/** A named queue of jobs in a store. */
export class Queue<Payload = unknown> {
  readonly name: string;
  readonly store: Store;
  private readonly clock: Clock;
  private readonly defaults: JobOptions;
  private readonly limits: JobLimits;
  private readonly emitter = new TypedEmitter<RedriveEvents>();
  private readonly backlogAlertThreshold: number | undefined;
  private lastBacklogCheck = Number.NEGATIVE_INFINITY;
  private backlogTimer: TimerHandle | undefined;
  private pending: PendingAdd[] = [];
  private flushScheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** Pending while the OpenTelemetry API loads; undefined when tracing is off. */
  private readonly tracingLoad: Promise<Tracing | null> | undefined;
  /** The loaded tracing (null: the API is missing); undefined until loaded or when off. */
  private tracing: Tracing | null | undefined;

  constructor(name: string, options: QueueOptions) {
    this.name = assertQueueName(name);
    if (!options || typeof options.store?.insertJobs !== 'function') {
      throw new ValidationError('store', 'a Store is required (for example new SqliteStore({ path }))');
    }
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    if (options.defaultJobOptions !== undefined)
      assertKnownKeys(options.defaultJobOptions, JOB_OPTION_KEYS, 'defaultJobOptions');
    this.defaults = options.defaultJobOptions ? { ...options.defaultJobOptions } : EMPTY;
    const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < 1) {
      throw new ValidationError('maxPayloadBytes', 'must be a positive integer');
    }
    this.limits = { maxPayloadBytes };
    this.backlogAlertThreshold = options.backlogAlertThreshold;
    if (this.defaults !== EMPTY)
      buildNewJob(this.name, 'defaults', null, undefined, this.defaults, this.limits, 0);
    this.tracingLoad = loadTracing(options.telemetry);
    void this.tracingLoad?.then((tracing) => {
      this.tracing = tracing;
    });
  }

  /** Listens to this queue's events (`job.enqueued`, `alert`). */
  on<E extends keyof RedriveEvents>(event: E, listener: (payload: RedriveEvents[E]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /**
   * Adds a job. Resolves once it is durably stored. Throws {@link ValidationError} naming the
   * field for bad options, and for payloads that are not JSON-serializable or too large.
   */
  add(name: string, payload: Payload, options?: AddOptions): Promise<EnqueuedJob> {
    if (this.tracingLoad !== undefined) return this.tracedAdd(name, payload, options);
    return this.addUntraced(name, payload, options);
  }

  /** {@link Queue.add} in a producer span, once the API has loaded (the caller's context carries over). */
  private tracedAdd(name: string, payload: Payload, options: AddOptions | undefined): Promise<EnqueuedJob> {
    const tracing = this.tracing;
    if (tracing === undefined) return this.tracingLoad!.then(() => this.tracedAdd(name, payload, options));
    if (tracing === null) return this.addUntraced(name, payload, options);
    try {
      if (options?.headers !== undefined) assertHeaders(options.headers);
    } catch (error) {
      return Promise.reject(error);
    }
    return tracedSend(tracing, this.name, name, options?.headers, (headers) =>
      this.addUntraced(name, payload, { ...options, headers }),
    );
  }

  private addUntraced(name: string, payload: Payload, options?: AddOptions): Promise<EnqueuedJob> {
    let job: NewJob;
    let client: unknown;
    try {
      this.assertOpen();
      let jobOptions: JobOptions | undefined = options;
      if (typeof options === 'object' && options !== null && 'client' in options) {
        ({ client, ...jobOptions } = options);
        this.assertClientTransactions();
      }
      job = buildNewJob(this.name, name, payload, jobOptions, this.defaults, this.limits, this.clock.now());
    } catch (error) {
      return Promise.reject(error);
    }
    if (client !== undefined) {
      // In the caller's transaction: written at once, never grouped with other adds.
      return this.store
        .insertJobs({ jobs: [job], now: this.clock.now(), transaction: client })
        .then(([result]) => this.enqueued(name, result!));
    }
    return new Promise<InsertJobResult>((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => void this.flush());
      }
    }).then((result) => this.enqueued(name, result));
  }

  /**
   * Adds many jobs atomically: all are stored or none is. Every entry is validated before anything
   * is written; the error names the entry's index.
   */
  async addBulk(jobs: readonly BulkJob<Payload>[], options?: { client?: unknown }): Promise<EnqueuedJob[]> {
    this.assertOpen();
    const client = options?.client;
    if (client !== undefined) this.assertClientTransactions();
    if (!Array.isArray(jobs)) throw new ValidationError('jobs', 'must be an array');
    if (this.tracingLoad !== undefined) {
      const tracing = this.tracing === undefined ? await this.tracingLoad : this.tracing;
      if (tracing !== null) {
        jobs.forEach((entry, index) => {
          const headers = entry?.options?.headers;
          if (headers !== undefined) assertHeaders(headers, `jobs[${index}].options.headers`);
        });
        return tracedSendBatch(
          tracing,
          this.name,
          jobs,
          (entry) => entry?.options?.headers,
          (headers) => this.insertBulk(jobs, client, headers),
        );
      }
    }
    return this.insertBulk(jobs, client, undefined);
  }

  private async insertBulk(
    jobs: readonly BulkJob<Payload>[],
    client: unknown,
    headers: (Record<string, string> | undefined)[] | undefined,
  ): Promise<EnqueuedJob[]> {
    const now = this.clock.now();
    const newJobs = jobs.map((entry, index) => {
      try {
        const options =
          headers === undefined ? entry?.options : { ...entry?.options, headers: headers[index] };
        return buildNewJob(this.name, entry?.name, entry?.payload, options, this.defaults, this.limits, now);
      } catch (error) {
        if (error instanceof ValidationError)
          throw new ValidationError(
            `jobs[${index}].${error.field}`,
            error.message.slice(error.field.length + 2),
          );
        throw error;
      }
    });
    const results = await this.store.insertJobs(
      client === undefined ? { jobs: newJobs, now } : { jobs: newJobs, now, transaction: client },
    );
    return results.map((result, i) => this.enqueued(newJobs[i]!.name, result));
  }

  private assertClientTransactions(): void {
    if (!this.store.capabilities.clientTransactions) {
      throw new ValidationError(
        'options.client',
        `the ${this.store.kind} store does not take the application's transaction${this.store.capabilities.transactionalEnqueue ? ' this way (use addSync inside your transaction)' : ''}`,
      );
    }
  }

  /**
   * Adds a job synchronously on the store's connection, inside whatever transaction the
   * application has open there: with a SQLite store opened on the application's own database,
   * the job exists if and only if the application's transaction commits.
   */
  addSync(name: string, payload: Payload, options?: JobOptions): EnqueuedJob {
    this.assertOpen();
    if (!this.store.capabilities.transactionalEnqueue || !this.store.insertJobsSync) {
      throw new ValidationError(
        'store',
        `the ${this.store.kind} store does not support transactional enqueue`,
      );
    }
    const tracing = this.tracing;
    if (tracing) {
      // Synchronous: traced once the API has loaded (an add before that is not).
      if (options?.headers !== undefined) assertHeaders(options.headers);
      const span = tracing.startSend(this.name, name);
      try {
        const job = this.addSyncUntraced(name, payload, {
          ...options,
          headers: tracing.inject(span, options?.headers),
        });
        tracing.endSend(span, job.id);
        return job;
      } catch (error) {
        tracing.endSend(span, undefined, error);
        throw error;
      }
    }
    return this.addSyncUntraced(name, payload, options);
  }

  private addSyncUntraced(name: string, payload: Payload, options: JobOptions | undefined): EnqueuedJob {
    const now = this.clock.now();
    const job = buildNewJob(this.name, name, payload, options, this.defaults, this.limits, now);
    const [result] = this.store.insertJobsSync!({ jobs: [job], now });
    return this.enqueued(name, result!);
  }

  /**
   * Adds the jobs of a JSONL file, streamed. Each line is either `{"name", "payload", "options"}`
   * or a bare payload (then named `options.name`). The whole file is validated first: a bad line
   * is reported with its line number and nothing is imported, unless `skipInvalid` is set.
   */
  async addFromFile(path: string, options: JsonlImportOptions = {}): Promise<JsonlImportResult> {
    this.assertOpen();
    return importJsonl(path, options, {
      build: (name, payload, jobOptions, field) => {
        try {
          return buildNewJob(
            this.name,
            name,
            payload,
            jobOptions,
            this.defaults,
            this.limits,
            this.clock.now(),
          );
        } catch (error) {
          if (error instanceof ValidationError)
            throw new ValidationError(`${field}.${error.field}`, error.message.slice(error.field.length + 2));
          throw error;
        }
      },
      insert: (jobs) => this.store.insertJobs({ jobs, now: this.clock.now() }),
    });
  }

  private flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return Promise.resolve();
    const write = this.store.insertJobs({ jobs: batch.map((p) => p.job), now: this.clock.now() }).then(
      (results) => {
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
      },
      (error) => {
        for (const p of batch) p.reject(error);
      },
    );
    this.inFlight.add(write);
    void write.finally(() => this.inFlight.delete(write));
    return write;
  }

  private enqueued(name: string, result: InsertJobResult): EnqueuedJob {
    if (this.emitter.hasListeners('job.enqueued')) {
      this.emitter.emit('job.enqueued', {
        queue: this.name,
        jobId: result.id,
        name,
        created: result.created,
      });
    }
    if (this.backlogAlertThreshold !== undefined) this.checkBacklog();
    return { id: result.id, queue: this.name, name, created: result.created };
  }

  /**
   * Counts the backlog after an add, at most once a second. An add inside that second schedules
   * one check at its end, so the last adds of a burst are always looked at.
   */
  private checkBacklog(): void {
    if (this.backlogTimer !== undefined) return;
    const wait = this.lastBacklogCheck + BACKLOG_CHECK_INTERVAL_MS - intervalNow(this.clock);
    if (wait > 0) {
      this.backlogTimer = this.clock.setTimeout(() => {
        this.backlogTimer = undefined;
        this.countBacklog();
      }, wait);
      return;
    }
    this.countBacklog();
  }

  private countBacklog(): void {
    this.lastBacklogCheck = intervalNow(this.clock);
    const threshold = this.backlogAlertThreshold as number;
    void this.store.countJobs({ queue: this.name }).then(
      (counts) => {
        const backlog = counts.waiting + counts.scheduled;
        if (backlog > threshold) {
          this.emitter.emit('alert', {
            type: 'backlog',
            queue: this.name,
            message: `${backlog} jobs are waiting in ${this.name}, over the threshold of ${threshold}`,
            value: backlog,
            threshold,
          });
        }
      },
      () => undefined,
    );
  }

  /** A job of this queue by id, or null. */
  async getJob(id: string): Promise<Job<Payload> | null> {
    const job = await this.store.getJob({ id });
    return job && job.queue === this.name ? (job as Job<Payload>) : null;
  }

  /** Counts of this queue's jobs per state. */
  getCounts(): Promise<JobCounts> {
    return this.store.countJobs({ queue: this.name });
  }

  /** Stops workers from claiming this queue's jobs (in every process); adds still succeed. */
  pause(): Promise<void> {
    return this.store.pauseQueue({ queue: this.name });
  }

  /** Lets workers claim again. */
  resume(): Promise<void> {
    return this.store.resumeQueue({ queue: this.name });
  }

  isPaused(): Promise<boolean> {
    return this.store.isQueuePaused({ queue: this.name });
  }

  /**
   * Resolves when no job of this queue is scheduled, waiting or active. Polls the store every
   * `pollMs` on the queue's clock; rejects after `timeoutMs` if given.
   */
  async waitUntilEmpty(options: { timeoutMs?: number; pollMs?: number } = {}): Promise<void> {
    const pollMs = options.pollMs ?? 20;
    const deadline =
      options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + options.timeoutMs;
    for (;;) {
      const counts = await this.getCounts();
      if (counts.waiting + counts.scheduled + counts.active === 0) return;
      if (this.clock.now() >= deadline) {
        throw new WaitTimeoutError(
          `queue ${this.name} was not empty after ${options.timeoutMs} ms`,
          options.timeoutMs ?? 0,
        );
      }
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, pollMs));
    }
  }

  /** Removes finished jobs older than `olderThanMs` (bounded batch); returns how many went. */
  clean(options: {
    olderThanMs: number;
    states?: ('completed' | 'dead_lettered')[];
    limit?: number;
  }): Promise<number> {
    return this.store.removeJobs({
      queue: this.name,
      states: options.states ?? ['completed'],
      before: this.clock.now() - options.olderThanMs,
      limit: options.limit ?? 10_000,
    });
  }

  /** Removes jobs that have not started (`waiting`, `scheduled`); returns how many went. */
  drain(options: { limit?: number } = {}): Promise<number> {
    return this.store.removeJobs({
      queue: this.name,
      states: ['waiting', 'scheduled'],
      limit: options.limit ?? 1_000_000,
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError(`queue ${this.name} is closed`, { queue: this.name });
  }

  /** Refuses new adds and waits for pending ones to be stored. Does not close the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.backlogTimer !== undefined) this.clock.clearTimeout(this.backlogTimer);
    this.backlogTimer = undefined;
    void this.flush();
    await Promise.all(this.inFlight);
  }
}
