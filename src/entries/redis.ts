/**
 * `redrive/redis`: Redis resilience for application code that talks to Redis itself.
 * `ResilientRedis` wraps an ioredis client with a circuit breaker, read fallbacks and an ordered
 * write buffer; the classification of failures ("was the command sent?") and the timeout error are
 * the ones the Redis store uses. The Redis store itself (`RedisStore`) is in the root entry.
 */

export type { FailureKind } from '../redis/failure.js';
export { classifyRedisFailure } from '../redis/failure.js';
export { RedisTimeoutError } from '../redis/timeout.js';
export type { RedisBatchLike, RedisLike, ResettableSocket } from '../resilient-redis/client.js';
export {
  assertResilientClient,
  createResilientRedisClient,
  createResilientRedisCluster,
  RESILIENT_CLIENT_OPTIONS,
} from '../resilient-redis/client.js';
export type {
  CommandClass,
  RedisArg,
  RedisCommand,
  ResolvedClass,
} from '../resilient-redis/command-classes.js';
export { CommandClassifier, DEFAULT_COMMAND_CLASSES } from '../resilient-redis/command-classes.js';
export {
  AmbiguousOutcomeError,
  classifyFailure,
  NonIdempotentWriteRejectedError,
  WriteBufferFullError,
} from '../resilient-redis/errors.js';
export type {
  ResilientRedisCounters,
  ResilientRedisEvents,
  ResilientRedisStats,
} from '../resilient-redis/events.js';
export { BufferedReply, isBufferedReply } from '../resilient-redis/events.js';
export type { ResilientRedisOptions } from '../resilient-redis/options.js';
export type { TransactionReply } from '../resilient-redis/resilient-redis.js';
export { ResilientRedis } from '../resilient-redis/resilient-redis.js';
export type {
  BufferedEntry,
  BufferedEntryKind,
  WriteBufferOptions,
  WriteBufferStats,
} from '../resilient-redis/write-buffer.js';
export { WRITE_BUFFER_DEFAULTS, WriteBuffer } from '../resilient-redis/write-buffer.js';
