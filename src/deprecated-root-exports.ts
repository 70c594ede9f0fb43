/**
 * Names the root entry exported before the subpath entries existed. They keep working from
 * `redrive` for one minor version, deprecated; import them from the entry named on each.
 */

export {
  /** @deprecated Import from `redrive/redis`. */
  AmbiguousOutcomeError,
  /** @deprecated Import from `redrive/redis`. */
  assertResilientClient,
  /** @deprecated Import from `redrive/redis`. */
  type BufferedEntry,
  /** @deprecated Import from `redrive/redis`. */
  type BufferedEntryKind,
  /** @deprecated Import from `redrive/redis`. */
  BufferedReply,
  /** @deprecated Import from `redrive/redis`. */
  type CommandClass,
  /** @deprecated Import from `redrive/redis`. */
  CommandClassifier,
  /** @deprecated Import from `redrive/redis`. */
  classifyFailure,
  /** @deprecated Import from `redrive/redis`. */
  classifyRedisFailure,
  /** @deprecated Import from `redrive/redis`. */
  createResilientRedisClient,
  /** @deprecated Import from `redrive/redis`. */
  createResilientRedisCluster,
  /** @deprecated Import from `redrive/redis`. */
  DEFAULT_COMMAND_CLASSES,
  /** @deprecated Import from `redrive/redis`. */
  type FailureKind,
  /** @deprecated Import from `redrive/redis`. */
  isBufferedReply,
  /** @deprecated Import from `redrive/redis`. */
  NonIdempotentWriteRejectedError,
  /** @deprecated Import from `redrive/redis`. */
  RESILIENT_CLIENT_OPTIONS,
  /** @deprecated Import from `redrive/redis`. */
  type RedisArg,
  /** @deprecated Import from `redrive/redis`. */
  type RedisBatchLike,
  /** @deprecated Import from `redrive/redis`. */
  type RedisCommand,
  /** @deprecated Import from `redrive/redis`. */
  type RedisLike,
  /** @deprecated Import from `redrive/redis`. */
  RedisTimeoutError,
  /** @deprecated Import from `redrive/redis`. */
  type ResettableSocket,
  /** @deprecated Import from `redrive/redis`. */
  ResilientRedis,
  /** @deprecated Import from `redrive/redis`. */
  type ResilientRedisCounters,
  /** @deprecated Import from `redrive/redis`. */
  type ResilientRedisEvents,
  /** @deprecated Import from `redrive/redis`. */
  type ResilientRedisOptions,
  /** @deprecated Import from `redrive/redis`. */
  type ResilientRedisStats,
  /** @deprecated Import from `redrive/redis`. */
  type ResolvedClass,
  /** @deprecated Import from `redrive/redis`. */
  type TransactionReply,
  /** @deprecated Import from `redrive/redis`. */
  WRITE_BUFFER_DEFAULTS,
  /** @deprecated Import from `redrive/redis`. */
  WriteBuffer,
  /** @deprecated Import from `redrive/redis`. */
  WriteBufferFullError,
  /** @deprecated Import from `redrive/redis`. */
  type WriteBufferOptions,
  /** @deprecated Import from `redrive/redis`. */
  type WriteBufferStats,
} from './entries/redis.js';
export type {
  /** @deprecated Import from `redrive/store`. */
  AcquireDeadLetterParams,
  /** @deprecated Import from `redrive/store`. */
  AcquireLeadershipParams,
  /** @deprecated Import from `redrive/store`. */
  AdvanceStartHorizonParams,
  /** @deprecated Import from `redrive/store`. */
  AuditInput,
  /** @deprecated Import from `redrive/store`. */
  ClaimJobsParams,
  /** @deprecated Import from `redrive/store`. */
  CompleteJobInTransactionParams,
  /** @deprecated Import from `redrive/store`. */
  CompleteJobsParams,
  /** @deprecated Import from `redrive/store`. */
  CounterBackfillProgress,
  /** @deprecated Import from `redrive/store`. */
  DeadLetterChangeResult,
  /** @deprecated Import from `redrive/store`. */
  DeadLetterConflictReason,
  /** @deprecated Import from `redrive/store`. */
  DeadLetterCounterBackfill,
  /** @deprecated Import from `redrive/store`. */
  DeadLetterFilter,
  /** @deprecated Import from `redrive/store`. */
  DeadLetterFromJob,
  /** @deprecated Import from `redrive/store`. */
  DeadLetterJsonField,
  /** @deprecated Import from `redrive/store`. */
  DeadLetterPage,
  /** @deprecated Import from `redrive/store`. */
  DeadLetterRegrouping,
  /** @deprecated Import from `redrive/store`. */
  DeadLetterStore,
  /** @deprecated Import from `redrive/store`. */
  DeadLetterStoreStats,
  /** @deprecated Import from `redrive/store`. */
  DUE_FOR_EXPIRY_COUNT_CAP,
  /** @deprecated Import from `redrive/store`. */
  ExtendLeasesParams,
  /** @deprecated Import from `redrive/store`. */
  expectedGenerationOf,
  /** @deprecated Import from `redrive/store`. */
  FailJobParams,
  /** @deprecated Import from `redrive/store`. */
  FailJobResult,
  /** @deprecated Import from `redrive/store`. */
  FailJobsParams,
  /** @deprecated Import from `redrive/store`. */
  FailureOutcome,
  /** @deprecated Import from `redrive/store`. */
  FenceResult,
  /** @deprecated Import from `redrive/store`. */
  FinishDeadLetterReplayParams,
  /** @deprecated Import from `redrive/store`. */
  hasCounterBackfill,
  /** @deprecated Import from `redrive/store`. */
  InsertJobResult,
  /** @deprecated Import from `redrive/store`. */
  InsertJobsParams,
  /** @deprecated Import from `redrive/store`. */
  JobCompletion,
  /** @deprecated Import from `redrive/store`. */
  JobFailure,
  /** @deprecated Import from `redrive/store`. */
  JobStore,
  /** @deprecated Import from `redrive/store`. */
  JsonFieldFilter,
  /** @deprecated Import from `redrive/store`. */
  LeaderStore,
  /** @deprecated Import from `redrive/store`. */
  LeadershipResult,
  /** @deprecated Import from `redrive/store`. */
  ListAuditParams,
  /** @deprecated Import from `redrive/store`. */
  ListDeadLettersParams,
  /** @deprecated Import from `redrive/store`. */
  ListJobsParams,
  /** @deprecated Import from `redrive/store`. */
  NewJob,
  /** @deprecated Import from `redrive/store`. */
  PurgeAuditParams,
  /** @deprecated Import from `redrive/store`. */
  PurgeDeadLettersParams,
  /** @deprecated Import from `redrive/store`. */
  RecoverExpiredLeasesParams,
  /** @deprecated Import from `redrive/store`. */
  RecoveryResult,
  /** @deprecated Import from `redrive/store`. */
  RegroupDeadLettersParams,
  /** @deprecated Import from `redrive/store`. */
  ReleaseJobsParams,
  /** @deprecated Import from `redrive/store`. */
  RemoveJobsParams,
  /** @deprecated Import from `redrive/store`. */
  RenewLeadershipParams,
  /** @deprecated Import from `redrive/store`. */
  ResignLeadershipParams,
  /** @deprecated Import from `redrive/store`. */
  ResolveDeadLettersParams,
  /** @deprecated Import from `redrive/store`. */
  ResolveDeadLettersResult,
  /** @deprecated Import from `redrive/store`. */
  TransactionalCompletion,
  /** @deprecated Import from `redrive/store`. */
  TransitionDeadLettersParams,
} from './entries/store.js';
export {
  /** @deprecated Import from `redrive/streams`. */
  ClaimLostError,
  /** @deprecated Import from `redrive/streams`. */
  DLQ_FIELDS,
  /** @deprecated Import from `redrive/streams`. */
  type DlqReplayOptions,
  /** @deprecated Import from `redrive/streams`. */
  type DlqReplayResult,
  /** @deprecated Import from `redrive/streams`. */
  ProcessorStoppingError,
  /** @deprecated Import from `redrive/streams`. */
  REPLAYED_FROM_DLQ,
  /** @deprecated Import from `redrive/streams`. */
  type StreamDeadLetterEntry,
  /** @deprecated Import from `redrive/streams`. */
  type StreamDeadLetterFilter,
  /** @deprecated Import from `redrive/streams`. */
  type StreamFieldEncoding,
  /** @deprecated Import from `redrive/streams`. */
  type StreamFieldValue,
  /** @deprecated Import from `redrive/streams`. */
  type StreamHandler,
  /** @deprecated Import from `redrive/streams`. */
  type StreamHandlerContext,
  /** @deprecated Import from `redrive/streams`. */
  type StreamHealth,
  /** @deprecated Import from `redrive/streams`. */
  type StreamMessage,
  /** @deprecated Import from `redrive/streams`. */
  StreamProcessor,
  /** @deprecated Import from `redrive/streams`. */
  type StreamProcessorEvents,
  /** @deprecated Import from `redrive/streams`. */
  type StreamProcessorOptions,
  /** @deprecated Import from `redrive/streams`. */
  type StreamProcessorStats,
} from './entries/streams.js';
export {
  /** @deprecated Import from `redrive/testing`. */
  createSeededRandom,
  /** @deprecated Import from `redrive/testing`. */
  FakeClock,
} from './entries/testing.js';
