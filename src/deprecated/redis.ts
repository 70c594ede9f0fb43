/**
 * Names the root entry exported before `redrive/redis` existed (ResilientRedis, its write buffer and
 * the Redis failure classification). They keep working from `redrive` for one minor version,
 * deprecated. Each is declared here rather than re-exported, so that its `@deprecated` tag reaches the
 * built declarations (the declaration bundler drops tags on re-export specifiers) and editors strike
 * it through. A class stays usable with `new`, `extends` and `instanceof`, and as a type.
 */

import * as redis from '../entries/redis.js';

/** @deprecated Import from `redrive/redis`. */
export const AmbiguousOutcomeError = redis.AmbiguousOutcomeError;
/** @deprecated Import from `redrive/redis`. */
export type AmbiguousOutcomeError = redis.AmbiguousOutcomeError;
/** @deprecated Import from `redrive/redis`. */
export const assertResilientClient = redis.assertResilientClient;
/** @deprecated Import from `redrive/redis`. */
export type BufferedEntry = redis.BufferedEntry;
/** @deprecated Import from `redrive/redis`. */
export type BufferedEntryKind = redis.BufferedEntryKind;
/** @deprecated Import from `redrive/redis`. */
export const BufferedReply = redis.BufferedReply;
/** @deprecated Import from `redrive/redis`. */
export type BufferedReply = redis.BufferedReply;
/** @deprecated Import from `redrive/redis`. */
export type CommandClass = redis.CommandClass;
/** @deprecated Import from `redrive/redis`. */
export const CommandClassifier = redis.CommandClassifier;
/** @deprecated Import from `redrive/redis`. */
export type CommandClassifier = redis.CommandClassifier;
/** @deprecated Import from `redrive/redis`. */
export const classifyFailure = redis.classifyFailure;
/** @deprecated Import from `redrive/redis`. */
export const classifyRedisFailure = redis.classifyRedisFailure;
/** @deprecated Import from `redrive/redis`. */
export const createResilientRedisClient = redis.createResilientRedisClient;
/** @deprecated Import from `redrive/redis`. */
export const createResilientRedisCluster = redis.createResilientRedisCluster;
/** @deprecated Import from `redrive/redis`. */
export const DEFAULT_COMMAND_CLASSES = redis.DEFAULT_COMMAND_CLASSES;
/** @deprecated Import from `redrive/redis`. */
export type FailureKind = redis.FailureKind;
/** @deprecated Import from `redrive/redis`. */
export const isBufferedReply = redis.isBufferedReply;
/** @deprecated Import from `redrive/redis`. */
export const NonIdempotentWriteRejectedError = redis.NonIdempotentWriteRejectedError;
/** @deprecated Import from `redrive/redis`. */
export type NonIdempotentWriteRejectedError = redis.NonIdempotentWriteRejectedError;
/** @deprecated Import from `redrive/redis`. */
export const RESILIENT_CLIENT_OPTIONS = redis.RESILIENT_CLIENT_OPTIONS;
/** @deprecated Import from `redrive/redis`. */
export type RedisArg = redis.RedisArg;
/** @deprecated Import from `redrive/redis`. */
export type RedisBatchLike = redis.RedisBatchLike;
/** @deprecated Import from `redrive/redis`. */
export type RedisCommand = redis.RedisCommand;
/** @deprecated Import from `redrive/redis`. */
export type RedisLike = redis.RedisLike;
/** @deprecated Import from `redrive/redis`. */
export const RedisTimeoutError = redis.RedisTimeoutError;
/** @deprecated Import from `redrive/redis`. */
export type RedisTimeoutError = redis.RedisTimeoutError;
/** @deprecated Import from `redrive/redis`. */
export type ResettableSocket = redis.ResettableSocket;
/** @deprecated Import from `redrive/redis`. */
export const ResilientRedis = redis.ResilientRedis;
/** @deprecated Import from `redrive/redis`. */
export type ResilientRedis = redis.ResilientRedis;
/** @deprecated Import from `redrive/redis`. */
export type ResilientRedisCounters = redis.ResilientRedisCounters;
/** @deprecated Import from `redrive/redis`. */
export type ResilientRedisEvents = redis.ResilientRedisEvents;
/** @deprecated Import from `redrive/redis`. */
export type ResilientRedisOptions = redis.ResilientRedisOptions;
/** @deprecated Import from `redrive/redis`. */
export type ResilientRedisStats = redis.ResilientRedisStats;
/** @deprecated Import from `redrive/redis`. */
export type ResolvedClass = redis.ResolvedClass;
/** @deprecated Import from `redrive/redis`. */
export type TransactionReply = redis.TransactionReply;
/** @deprecated Import from `redrive/redis`. */
export const WRITE_BUFFER_DEFAULTS = redis.WRITE_BUFFER_DEFAULTS;
/** @deprecated Import from `redrive/redis`. */
export const WriteBuffer = redis.WriteBuffer;
/** @deprecated Import from `redrive/redis`. */
export type WriteBuffer = redis.WriteBuffer;
/** @deprecated Import from `redrive/redis`. */
export const WriteBufferFullError = redis.WriteBufferFullError;
/** @deprecated Import from `redrive/redis`. */
export type WriteBufferFullError = redis.WriteBufferFullError;
/** @deprecated Import from `redrive/redis`. */
export type WriteBufferOptions = redis.WriteBufferOptions;
/** @deprecated Import from `redrive/redis`. */
export type WriteBufferStats = redis.WriteBufferStats;
