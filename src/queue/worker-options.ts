/**
 * Worker options: defaults and validation (zod), at the boundary.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import type { CircuitBreaker } from '../core/circuit-breaker.js';
import type { Clock, Random } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { BackoffOptions } from '../core/retry.js';
import type { DeadLetterSettings } from '../dead-letter-record/record.js';
import type { MaintenanceOptions } from '../maintenance/maintenance-options.js';
import type { Store } from '../store/store.js';
import type { TelemetryOptions } from '../telemetry/options.js';
import type { ProcessQuarantine } from './process-quarantine.js';

/** Options of {@link Worker}. */
export interface WorkerOptions {
  store: Store;
  /** Jobs run at once. Default 1. */
  concurrency?: number;
  /**
   * Most jobs claimed ahead of free slots. Default `auto`: grows while handlers are fast (so a
   * concurrency-1 worker still claims in batches) and shrinks to `concurrency` for slow handlers,
   * so long jobs are not hoarded.
   */
  prefetch?: number | 'auto';
  /** Lease length. A job whose lease expires is recovered by another worker. Default 30 000 ms. */
  leaseMs?: number;
  /** Lease renewal interval. Default 5000 ms. */
  heartbeatMs?: number;
  /** Orphanings after which a job is dead-lettered as a poison pill. Default 3. */
  maxOrphans?: number;
  /**
   * How often expired leases are swept (by the store's elected maintainer, see `maintenance`).
   * Default 5000 ms.
   */
  recoveryIntervalMs?: number;
  /** Longest idle poll interval (the store's notify usually wakes the worker sooner). Default 50 ms. */
  pollIntervalMs?: number;
  /** How long `close()` waits for running jobs before releasing them. Default 10 000 ms. */
  shutdownTimeoutMs?: number;
  /** Rate-limit responses that may postpone a job without spending an attempt. Default 10. */
  maxRateLimitDelays?: number;
  /** Default retry backoff for jobs that set none. */
  backoff?: BackoffOptions;
  /** Dispatch at most `limit` jobs per `intervalMs` (token bucket), across this worker. */
  rateLimit?: { limit: number; intervalMs: number };
  /** A circuit breaker around the handler: while open the worker stops claiming. */
  circuitBreaker?: CircuitBreaker;
  /** Dead-letter settings. */
  deadLetter?: DeadLetterSettings;
  /**
   * Completed jobs older than this are deleted (by the store's elected maintainer), in bounded
   * batches. Default 24 h; `false` keeps them.
   */
  completedRetentionMs?: number | false;
  /**
   * Store housekeeping. By default the worker is a candidate for its store's maintainer: of all
   * processes on the store one is elected, and it alone sweeps expired leases, deletes old
   * completed jobs, and applies dead-letter and audit retention. Settings here override the
   * defaults taken from this worker's options; `false` makes this process take no part (another
   * process, or `redrive maintain`, must then run maintenance).
   */
  maintenance?: false | MaintenanceOptions;
  /**
   * Publish this worker's job events (completed, failed, retried, dead-lettered, stalled, progress)
   * through the store, for {@link QueueEvents} listeners in other processes (on a store with
   * `capabilities.jobEvents`). Default false: it costs one store call per batch of outcomes and
   * about a microsecond of CPU per event, which a worker nobody listens to should not pay. The
   * worker's own `on(...)` events are emitted either way.
   */
  publishEvents?: boolean;
  /** Identifies this worker in leases and attempt records. Default host:pid:random. */
  workerId?: string;
  /**
   * `{ tracing: true }`: each attempt runs in a consumer span `process <queue>`, a child of the
   * trace context the job's headers carry, with the attempt, outcome and error (needs
   * `@opentelemetry/api`). The worker starts claiming once the API has loaded.
   */
  telemetry?: TelemetryOptions;
  /** Start processing at once. Default true; otherwise call `run()`. */
  autorun?: boolean;
  clock?: Clock;
  random?: Random;
  /**
   * The quarantine gate this worker shares: by default its process's, so that a suspect runs with
   * no other job of the process beside it. Workers that stand for separate processes inside one
   * (simulations, tests) each get their own `new ProcessQuarantine()`.
   */
  quarantineGate?: ProcessQuarantine;
}

const positiveInt = z.number().int().positive();

const schema = z.object({
  concurrency: positiveInt.max(10_000).default(1),
  prefetch: z.union([positiveInt.max(10_000), z.literal('auto')]).default('auto'),
  leaseMs: positiveInt.min(100).default(30_000),
  heartbeatMs: positiveInt.default(5_000),
  maxOrphans: positiveInt.max(1000).default(3),
  recoveryIntervalMs: positiveInt.default(5_000),
  pollIntervalMs: positiveInt.max(60_000).default(50),
  shutdownTimeoutMs: z.number().int().nonnegative().default(10_000),
  maxRateLimitDelays: z.number().int().nonnegative().default(10),
  rateLimit: z.object({ limit: positiveInt, intervalMs: positiveInt }).optional(),
  completedRetentionMs: z.union([z.number().int().nonnegative(), z.literal(false)]).default(24 * 3600_000),
  workerId: z.string().min(1).max(200).optional(),
  publishEvents: z.boolean().default(false),
  autorun: z.boolean().default(true),
});

/** Resolved worker options. */
export type ResolvedWorkerOptions = z.infer<typeof schema>;

/** Validates worker options; the error names the field. */
export function resolveWorkerOptions(
  options: WorkerOptions,
  random: Random,
): ResolvedWorkerOptions & { workerId: string } {
  if (!options || typeof options.store?.claimJobs !== 'function') {
    throw new ValidationError('store', 'a Store is required (for example new SqliteStore({ path }))');
  }
  const {
    store: _store,
    clock: _clock,
    random: _random,
    backoff: _b,
    circuitBreaker: _c,
    deadLetter: _d,
    maintenance: _m,
    telemetry: _t,
    ...rest
  } = options;
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(issue?.path.join('.') || 'options', issue?.message ?? 'invalid');
  }
  if (parsed.data.heartbeatMs >= parsed.data.leaseMs) {
    throw new ValidationError('heartbeatMs', `must be shorter than leaseMs (${parsed.data.leaseMs})`);
  }
  return { ...parsed.data, workerId: parsed.data.workerId ?? `${hostname()}:${process.pid}:${random.id(3)}` };
}
