/** StreamProcessor options: defaults and validation (zod), at the boundary. */

import { hostname } from 'node:os';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { Clock, Random } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { isCluster, type RedisClient } from '../redis/client-options.js';
import { sameHashTag } from '../redis/hash-tag.js';
import type { TelemetryOptions } from '../telemetry/options.js';
import type { FieldEncoding, FieldValue, StreamHandler } from './types.js';

/** Options of {@link StreamProcessor}; `E` follows `fieldValues`. */
export interface StreamProcessorOptions<E extends FieldEncoding = 'string'> {
  /** A `redis://` URL or ioredis options. The processor opens two connections of its own from it. */
  connection?: string | RedisOptions;
  /**
   * Or an ioredis client to `duplicate()` (it is not used itself): a `Redis`, or a `Cluster`. On a
   * cluster the stream and its DLQ stream must share a hash tag (`{orders}` and `{orders}:dlq`;
   * the default DLQ name does when the stream has one), since a DLQ move is one MULTI/EXEC.
   */
  client?: RedisClient;
  /** Or a Redis Cluster to open two cluster connections to (see `client` about hash tags). */
  cluster?: { nodes: { host: string; port: number }[]; options?: ClusterOptions };
  stream: string;
  group: string;
  /** This consumer's name in the group. Default `host:pid:random`. */
  consumer?: string;
  handler: StreamHandler<FieldValue<E>>;
  /**
   * Field values as `'string'` (default: decoded as UTF-8, invalid bytes become U+FFFD) or as
   * `'buffer'` (the exact bytes: protobuf, msgpack ...). DLQ moves and replays copy the exact
   * bytes either way.
   */
  fieldValues?: E;
  /**
   * `{ tracing: true }`: each handler run in a consumer span `process <stream>`, a child of the
   * trace context in the message's `traceparent` (and `tracestate`) fields when it has them
   * (needs `@opentelemetry/api`; see docs/telemetry.md).
   */
  telemetry?: TelemetryOptions;
  /** COUNT of each XREADGROUP and XAUTOCLAIM. Default 100. */
  batchSize?: number;
  /** BLOCK of each XREADGROUP, in ms. Default 2000. `stop()` interrupts it. */
  blockMs?: number;
  /** Handlers running at once. Default 10. */
  concurrency?: number;
  /** Messages held beyond the running ones (read ahead). Default `batchSize`. */
  prefetch?: number;
  /** A handler is aborted and its attempt failed after this many ms. Default 30 000. */
  handlerTimeoutMs?: number;
  /**
   * A pending message idle this long is reclaimed (XAUTOCLAIM) by any consumer. Must exceed
   * `handlerTimeoutMs`. Default `max(60 000, 2 × handlerTimeoutMs)`.
   */
  claimMinIdleMs?: number;
  /** How often this consumer looks for idle pending messages. Default `claimMinIdleMs / 2`. */
  claimIntervalMs?: number;
  /**
   * How often the claims on held messages are renewed (XCLAIM ... JUSTID), so that a long handler,
   * or a message waiting for a free slot, is not reclaimed while this consumer works on it. Must be
   * under `claimMinIdleMs / 2`. Default `claimMinIdleMs / 4`.
   */
  renewIntervalMs?: number;
  /** Retries after the first delivery; the next failure moves the message to the DLQ. Default 3. */
  maxRetries?: number;
  /**
   * A failed message becomes reclaimable after this many ms instead of `claimMinIdleMs` (its idle
   * time is set forward with XCLAIM ... IDLE). Must not exceed `claimMinIdleMs`. Default: `claimMinIdleMs`.
   */
  retryDelayMs?: number;
  /** The DLQ stream. Default `{stream}:dlq`. */
  dlqStream?: string;
  /** Trim the main stream to about this many entries (XTRIM MAXLEN ~). Default: no trimming. */
  maxLen?: number;
  /** Trim the DLQ stream to about this many entries. Default 100 000. */
  dlqMaxLen?: number;
  /** How often trimming runs. Default 60 000 ms. */
  trimIntervalMs?: number;
  /**
   * Remove other consumers idle this long with nothing pending (XGROUP DELCONSUMER, atomically
   * checked). Default 1 hour; `false` keeps them. Must exceed `2 × blockMs` and `claimMinIdleMs`.
   */
  consumerIdleMs?: number | false;
  /** How often idle consumers are looked for. Default `min(consumerIdleMs, 60 000)`. */
  consumerCleanupIntervalMs?: number;
  /** Where a new group starts: `0` (the whole stream, default) or `$` (new entries only). */
  startId?: string;
  /** How long `stop()` waits for running handlers. Default 10 000 ms. */
  stopTimeoutMs?: number;
  /** Deadline of each non-blocking Redis call, in ms. Default 5000. */
  operationTimeoutMs?: number;
  clock?: Clock;
  random?: Random;
}

const positiveInt = z.number().int().positive();
const key = z.string().min(1).max(1024);

const schema = z.object({
  stream: key,
  group: key,
  consumer: z.string().min(1).max(256).optional(),
  batchSize: positiveInt.max(10_000).default(100),
  blockMs: positiveInt.max(600_000).default(2000),
  concurrency: positiveInt.max(10_000).default(10),
  prefetch: z.number().int().nonnegative().max(100_000).optional(),
  handlerTimeoutMs: positiveInt.default(30_000),
  claimMinIdleMs: positiveInt.optional(),
  claimIntervalMs: positiveInt.optional(),
  renewIntervalMs: positiveInt.optional(),
  maxRetries: z.number().int().nonnegative().max(1000).default(3),
  retryDelayMs: z.number().int().nonnegative().optional(),
  dlqStream: key.optional(),
  maxLen: positiveInt.optional(),
  dlqMaxLen: positiveInt.default(100_000),
  trimIntervalMs: positiveInt.default(60_000),
  consumerIdleMs: z.union([positiveInt, z.literal(false)]).default(3_600_000),
  consumerCleanupIntervalMs: positiveInt.optional(),
  startId: z
    .string()
    .regex(/^(\$|0|\d+(-\d+)?)$/, "must be '0', '$' or a stream id")
    .default('0'),
  stopTimeoutMs: z.number().int().nonnegative().default(10_000),
  operationTimeoutMs: positiveInt.default(5000),
  fieldValues: z.enum(['string', 'buffer']).default('string'),
});

/** Resolved options. */
export type ResolvedStreamOptions = Omit<
  z.infer<typeof schema>,
  'claimMinIdleMs' | 'claimIntervalMs' | 'renewIntervalMs' | 'dlqStream' | 'consumer' | 'prefetch'
> & {
  consumer: string;
  prefetch: number;
  claimMinIdleMs: number;
  claimIntervalMs: number;
  renewIntervalMs: number;
  dlqStream: string;
  consumerCleanupIntervalMs: number;
};

/**
 * Applies defaults and checks the timing relations.
 *
 * @throws ValidationError naming the field
 */
export function resolveStreamOptions<E extends FieldEncoding>(
  options: StreamProcessorOptions<E>,
  random: Random,
): ResolvedStreamOptions {
  if (!options || typeof options.handler !== 'function') {
    throw new ValidationError('handler', 'a handler function is required');
  }
  const {
    handler: _h,
    connection: _c,
    client: _cl,
    cluster: _cu,
    clock: _k,
    random: _r,
    telemetry: _t,
    ...rest
  } = options;
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(issue?.path.join('.') || 'options', issue?.message ?? 'invalid');
  }
  const o = parsed.data;
  const claimMinIdleMs = o.claimMinIdleMs ?? Math.max(60_000, 2 * o.handlerTimeoutMs);
  if (claimMinIdleMs <= o.handlerTimeoutMs) {
    throw new ValidationError(
      'claimMinIdleMs',
      `must be longer than handlerTimeoutMs (${o.handlerTimeoutMs}), or a message could be reclaimed while its handler may still run`,
    );
  }
  const renewIntervalMs = o.renewIntervalMs ?? Math.max(1, Math.floor(claimMinIdleMs / 4));
  if (renewIntervalMs * 2 > claimMinIdleMs) {
    throw new ValidationError(
      'renewIntervalMs',
      `must be at most claimMinIdleMs / 2 (${claimMinIdleMs / 2})`,
    );
  }
  if (o.retryDelayMs !== undefined && o.retryDelayMs > claimMinIdleMs) {
    throw new ValidationError('retryDelayMs', `must not exceed claimMinIdleMs (${claimMinIdleMs})`);
  }
  if (
    o.consumerIdleMs !== false &&
    (o.consumerIdleMs <= 2 * o.blockMs || o.consumerIdleMs <= claimMinIdleMs)
  ) {
    throw new ValidationError(
      'consumerIdleMs',
      `must exceed 2 × blockMs (${2 * o.blockMs}) and claimMinIdleMs (${claimMinIdleMs}): a live consumer must never look idle`,
    );
  }
  const dlqStream = o.dlqStream ?? `${o.stream}:dlq`;
  if (dlqStream === o.stream) throw new ValidationError('dlqStream', 'must differ from stream');
  const onCluster =
    options.cluster !== undefined || (options.client !== undefined && isCluster(options.client));
  if (onCluster && !sameHashTag(o.stream, dlqStream)) {
    throw new ValidationError(
      'dlqStream',
      `on a Redis Cluster the stream and its DLQ stream must share a hash tag (a DLQ move is one MULTI/EXEC): name them like '{${o.stream}}' and '{${o.stream}}:dlq'`,
    );
  }
  return {
    ...o,
    consumer: o.consumer ?? `${hostname()}:${process.pid}:${random.id(3)}`,
    prefetch: o.prefetch ?? o.batchSize,
    claimMinIdleMs,
    claimIntervalMs: o.claimIntervalMs ?? Math.max(1, Math.floor(claimMinIdleMs / 2)),
    renewIntervalMs,
    dlqStream,
    consumerCleanupIntervalMs:
      o.consumerCleanupIntervalMs ??
      (o.consumerIdleMs === false ? 60_000 : Math.min(o.consumerIdleMs, 60_000)),
  };
}
