/**
 * redrive: a durable job queue with a first-class dead-letter queue and safe, throttled replay.
 * The root entry holds what applications use: queues, workers, tasks, the dead-letter queue, the
 * stores, errors and events. Subpath entries carry the rest: `redrive/redis` (Redis resilience),
 * `redrive/streams` (Redis Streams processing), `redrive/testing` (fake clock, seeded random),
 * `redrive/store` (the Store seam, unstable), `redrive/admin` and the framework adapters.
 */

export type { BackpressureLevel, BackpressureOptions, BackpressureStatus } from './core/backpressure.js';
export { BackpressureMonitor } from './core/backpressure.js';
export type {
  CircuitBreakerOptions,
  CircuitBreakerStats,
  CircuitPermit,
  CircuitState,
  CircuitStateChange,
  CircuitStateName,
  FailureRateOptions,
} from './core/circuit-breaker.js';
export { CircuitBreaker } from './core/circuit-breaker.js';
export type { Classification } from './core/classify.js';
export { classifyError, parseRetryAfter } from './core/classify.js';
export type { Clock, Random, TimerHandle } from './core/clock.js';
export { createSystemClock, systemClock, systemRandom } from './core/clock.js';
export type { DeadLetter, DeadLetterStatus, FailureType, NewDeadLetter } from './core/dead-letter.js';
export { DEAD_LETTER_STATUSES, DEAD_LETTER_TRANSITIONS } from './core/dead-letter.js';
export {
  BackpressureError,
  CircuitOpenError,
  ClosedError,
  ForbiddenError,
  JobTimeoutError,
  LeaseLostError,
  NotFoundError,
  PermanentError,
  RateLimitedError,
  RedriveError,
  ReplayError,
  StateConflictError,
  StoreUnavailableError,
  ValidationError,
  WaitTimeoutError,
} from './core/errors.js';
export {
  deadLetterFingerprint,
  errorFingerprint,
  FINGERPRINT_VERSION,
  failureSignature,
  normalizeErrorMessage,
} from './core/fingerprint.js';
export type {
  AttemptRecord,
  ClaimedJob,
  Job,
  JobCounts,
  JobState,
  OrphanedWhile,
  Priority,
  PriorityName,
} from './core/job.js';
export { JOB_STATES } from './core/job.js';
export type { JobEvent, JobEventMap, JobEventName } from './core/job-event.js';
export { MAX_EVENT_MESSAGE_CHARS, MAX_PROGRESS_BYTES } from './core/job-event.js';
export type { SlidingWindowOptions, SlidingWindowStats } from './core/rate-limit/sliding-window.js';
export { SlidingWindowLimiter } from './core/rate-limit/sliding-window.js';
export type { TokenBucketOptions, TokenBucketStats } from './core/rate-limit/token-bucket.js';
export { TokenBucket } from './core/rate-limit/token-bucket.js';
export type { BackoffOptions, JitterMode, RetryPolicy } from './core/retry.js';
export { computeRetryDelay, createRetryPolicy, DEFAULT_BACKOFF } from './core/retry.js';
export type { SchemaIssue, StandardSchemaV1 } from './core/standard-schema.js';
export type { DeadLetterSettings } from './dead-letter-record/record.js';
export type { Listener, RedriveEvents } from './events.js';
export type { ActiveJob } from './queue/active-job.js';
export type { JobOptions } from './queue/job-options.js';
export type { JsonlImportOptions, JsonlImportResult, JsonlLineError } from './queue/jsonl-import.js';
export type { AddOptions, BulkJob, EnqueuedJob, QueueOptions } from './queue/queue.js';
export { DEFAULT_MAX_PAYLOAD_BYTES, Queue } from './queue/queue.js';
export type { QueueEventsEvents, QueueEventsOptions } from './queue/queue-events.js';
export { QueueEvents } from './queue/queue-events.js';
export type { JobHandler, WorkerStats } from './queue/worker.js';
export { Worker } from './queue/worker.js';
export type { WorkerOptions } from './queue/worker-options.js';
export type { PostgresTransaction } from './store/postgres/job-inserter.js';
export type { PostgresStoreOptions } from './store/postgres/postgres-store.js';
export { PostgresStore } from './store/postgres/postgres-store.js';
export { postgresStoreOptionsFromUrl } from './store/postgres/postgres-url.js';
export { openRedisStore } from './store/redis/open-redis-store.js';
export { QueueSlotRedisStore } from './store/redis/queue-slot-redis-store.js';
export type { RedisStoreOptions } from './store/redis/redis-store.js';
export { RedisStore } from './store/redis/redis-store.js';
export { redisStoreOptionsFromUrl } from './store/redis/redis-url.js';
export type { ShardedSqliteStoreOptions } from './store/sqlite/sharded-sqlite-store.js';
export { ShardedSqliteStore } from './store/sqlite/sharded-sqlite-store.js';
export type { SqliteStoreOptions } from './store/sqlite/sqlite-store.js';
export { SqliteStore } from './store/sqlite/sqlite-store.js';
export type {
  DeadLetterFacets,
  FailureGroup,
  LeaderLease,
  ScanReport,
  Store,
  StoreCapabilities,
  TopFailures,
} from './store/store.js';
export type { TelemetryOptions } from './telemetry/options.js';

// Maintenance: one elected process per store runs the housekeeping.

export type { AuditRetentionOptions } from './maintenance/audit-retention.js';
export { AuditRetention, DEFAULT_AUDIT_RETENTION_MS } from './maintenance/audit-retention.js';
export type { CompletedJobCleanerOptions } from './maintenance/completed-job-cleaner.js';
export { CompletedJobCleaner } from './maintenance/completed-job-cleaner.js';
export type { DeadLetterRetentionOptions } from './maintenance/dead-letter-retention.js';
export { DeadLetterRetention } from './maintenance/dead-letter-retention.js';
export type { MaintainerEvents } from './maintenance/events.js';
export type { LeaseRescuerOptions } from './maintenance/lease-rescuer.js';
export { LeaseRescuer } from './maintenance/lease-rescuer.js';
export type { MaintainerOptions, MaintainerStatus, ServiceStatus } from './maintenance/maintainer.js';
export { Maintainer } from './maintenance/maintainer.js';
export type { MaintenanceOptions } from './maintenance/maintenance-options.js';
export { createMaintainer } from './maintenance/maintenance-options.js';
export type { PeriodicEnqueuerOptions } from './maintenance/periodic-enqueuer.js';
export { PeriodicEnqueuer } from './maintenance/periodic-enqueuer.js';
export type { MaintenanceService, ServiceReport } from './maintenance/service.js';

// Tasks, periodic jobs and worker pools.

export type {
  PeriodicEvents,
  PeriodicJob,
  PeriodicJobInfo,
  PeriodicSchedulerOptions,
  PeriodicSlot,
  PeriodicTarget,
  PeriodicTiming,
} from './queue/periodic.js';
export { PeriodicScheduler, periodicSlotKey } from './queue/periodic.js';
export { ProcessQuarantine, type QuarantineMember } from './queue/process-quarantine.js';
export type {
  ErrorClass,
  RoutableTask,
  Task,
  TaskHandler,
  TaskOptions,
  TaskQueue,
  TaskStats,
} from './queue/tasks.js';
export { createTaskRouter, defineTask, TaskRegistry } from './queue/tasks.js';
export type { WorkerPoolEvents, WorkerPoolStats } from './queue/worker-pool.js';
export { WorkerPool } from './queue/worker-pool.js';
export type { AutoScaleOptions, WorkerPoolOptions } from './queue/worker-pool-options.js';

// Dead-letter queue, replay queue and adaptive throttling.

export type {
  AdaptiveThrottleOptions,
  AdaptiveThrottleStats,
  ThrottleDecision,
  ThrottleHealth,
  ThrottleHealthLevel,
  ThrottlePermit,
} from './core/adaptive-throttle.js';
export { AdaptiveThrottle } from './core/adaptive-throttle.js';
export type { DeadLetterAuditEntry, NewDeadLetterAuditEntry } from './core/dead-letter.js';
export { canTransitionDeadLetter } from './core/dead-letter.js';
export type { RedactOptions, Redactor } from './dead-letter-record/redact.js';
export {
  createRedactor,
  DEFAULT_SECRET_KEY_FRAGMENTS,
  REDACTED,
  redactSecrets,
} from './dead-letter-record/redact.js';
export type { FailureInput } from './dlq/capture.js';
export type {
  DescribedFailureGroup,
  /** @deprecated Renamed ForceReplayOptions. */
  ForceRedriveOptions,
  ForceReplayOptions,
  RegroupOptions,
  RegroupResult,
  Replayability,
  ResolveBatchOptions,
  ResolveBatchResult,
  ResolveOptions,
  ResolveResult,
  StoreFailureResult,
} from './dlq/dead-letter-queue.js';
export { DeadLetterQueue } from './dlq/dead-letter-queue.js';
export type { DeadLetterQueueEvents, DeadLetterQueueMetrics } from './dlq/events.js';
export type { FallbackLine, FallbackRecoveryResult } from './dlq/fallback.js';
export { FallbackFile } from './dlq/fallback.js';
export type { DeadLetterQueueOptions, OperatorAction } from './dlq/options.js';
export { DLQ_DEFAULTS } from './dlq/options.js';
export type {
  DeadLetterListFilter,
  DeadLetterListPage,
  DeadLetterStats,
  JsonPathCondition,
  ListOptions,
  SlaBreachReport,
} from './dlq/queries.js';
export { MAX_PAGE_SIZE } from './dlq/queries.js';
export type {
  QueueReplayOptions,
  ReplayContext,
  ReplayHandler,
  ReplayOutcome,
} from './dlq/replay-registry.js';
export { queueReplayHandler, ReplayRegistry } from './dlq/replay-registry.js';
export type {
  BatchReplayOptions,
  BatchReplayResult,
  ReplayOptions,
  ReplayResult,
  /** @deprecated Renamed ReplayOptions. */
  RetryOptions,
  /** @deprecated Renamed ReplayResult. */
  RetryResult,
  ThrottledReplayResult,
} from './dlq/replay-runner.js';
export type { CleanupStats } from './dlq/retention.js';
export type { SealedPayloadOptions } from './dlq/sealed-payload.js';
export type {
  EnqueueResult,
  ReplayBackpressureStatus,
  ReplayQueueEntry,
  ReplayQueueOptions,
  ReplayQueueStats,
  ReplayRateLimitStatus,
} from './replay/replay-queue.js';
export { REPLAY_QUEUE_DEFAULTS, ReplayQueue } from './replay/replay-queue.js';

// Names that moved to a subpath entry, still exported here (deprecated) for one minor version.

export * from './deprecated/redis.js';
export * from './deprecated/store.js';
export * from './deprecated/streams.js';
export * from './deprecated/testing.js';
