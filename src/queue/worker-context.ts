/**
 * What the parts of a worker share: its identity, store, clock and options, the jobs it holds, its
 * counters, and how it reports errors and lost leases. Each part (fetcher, executor, completer,
 * heartbeater, lease sweeper) reads and updates this one object instead of reaching into another.
 */
import { asError } from '../core/as-error.js';
import type { Clock, Random } from '../core/clock.js';
import { StoreUnavailableError } from '../core/errors.js';
import { type RedriveEvents, TypedEmitter } from '../events.js';
import type { Store } from '../store/store.js';
import type { Tracing } from '../telemetry/tracing.js';
import type { RunningJob } from './active-job.js';
import { JobBuffer } from './job-buffer.js';
import { JobProgress } from './job-progress.js';
import { JobTransactions } from './job-transactions.js';
import { type ProcessQuarantine, processQuarantine, type QuarantineMember } from './process-quarantine.js';
import type { ResolvedWorkerOptions, WorkerOptions } from './worker-options.js';

/** A worker's lifecycle. */
export type WorkerState = 'idle' | 'running' | 'closing' | 'closed';

/** Outcome counters of a worker since it started. */
export interface WorkerCounters {
  completed: number;
  failed: number;
  retried: number;
  deadLettered: number;
  leasesLost: number;
  recovered: number;
}

/** Inputs of {@link WorkerContext}. */
export interface WorkerContextParams {
  queue: string;
  store: Store;
  clock: Clock;
  random: Random;
  options: ResolvedWorkerOptions & { workerId: string };
  /** The options as given (circuit breaker, backoff and dead-letter settings live here). */
  raw: WorkerOptions;
  /** This worker as a member of its process's quarantine gate. */
  quarantineMember: QuarantineMember;
  /** The gate (default: the process's); a context that stands for another process gets its own. */
  quarantineGate?: ProcessQuarantine;
}

/** The state one worker's parts share. */
export class WorkerContext<Payload = unknown> {
  readonly queue: string;
  readonly workerId: string;
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
  readonly options: ResolvedWorkerOptions;
  readonly raw: WorkerOptions;
  readonly emitter = new TypedEmitter<RedriveEvents>();
  state: WorkerState = 'idle';
  /** Spans for each attempt, once the OpenTelemetry API has loaded (undefined: tracing off). */
  tracing: Tracing | undefined;
  /** Every job whose lease this worker holds: buffered, running, or waiting for its outcome's write. */
  readonly held = new Map<string, RunningJob<Payload>>();
  /** Claimed jobs not started yet. */
  readonly buffer = new JobBuffer<Payload>();
  /** `job.transaction`: completions in the application's transaction, outside the batches. */
  readonly transactions: JobTransactions;
  /** `job.updateProgress`: fenced writes of progress, then `job.progress`. */
  readonly progress: JobProgress;
  readonly counters: WorkerCounters = {
    completed: 0,
    failed: 0,
    retried: 0,
    deadLettered: 0,
    leasesLost: 0,
    recovered: 0,
  };
  /**
   * `job`: the suspect this worker runs alone, until it settles. `gate`: the quarantine gate of
   * the process, shared with its other workers (see process-quarantine.ts); `member`: this worker
   * in it.
   */
  readonly quarantine: {
    job: RunningJob<Payload> | undefined;
    readonly gate: ProcessQuarantine;
    readonly member: QuarantineMember;
  };

  constructor(params: WorkerContextParams) {
    this.quarantine = {
      job: undefined,
      gate: params.quarantineGate ?? processQuarantine(),
      member: params.quarantineMember,
    };
    this.queue = params.queue;
    this.workerId = params.options.workerId;
    this.store = params.store;
    this.clock = params.clock;
    this.random = params.random;
    this.options = params.options;
    this.raw = params.raw;
    this.transactions = new JobTransactions(this.store, this.clock, {
      leaseLost: (jobId, message) => this.leaseLost(jobId, message),
      error: (error) => this.reportError(error),
    });
    this.progress = new JobProgress(this.store, this.clock, this.emitter, (jobId, message) =>
      this.leaseLost(jobId, message),
    );
  }

  /** Emits `error` (and a `store_error` alert when the store is unreachable). */
  reportError(error: unknown): void {
    const err = asError(error);
    this.emitter.emit('error', { queue: this.queue, error: err });
    if (err instanceof StoreUnavailableError) {
      this.emitter.emit('alert', { type: 'store_error', queue: this.queue, message: err.message });
    }
  }

  /** Counts a lease the store refused and raises the `lease_lost` alert. */
  leaseLost(jobId: string, message: string): void {
    this.counters.leasesLost++;
    this.emitter.emit('alert', {
      type: 'lease_lost',
      queue: this.queue,
      message: `job ${jobId}: ${message}`,
    });
  }
}
