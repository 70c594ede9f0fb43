/**
 * The StreamProcessor's two connections: a reader that blocks in XREADGROUP, and a writer for
 * acks, claims, dead-lettering and admin reads (a blocked connection would delay them).
 *
 * Both are ioredis clients with the offline queue off (a command issued while disconnected fails at
 * once instead of waiting in an unbounded queue), no resend of unanswered commands after a
 * reconnect (the processor decides what to retry: acks are retried, a dead-letter move never is),
 * `maxRetriesPerRequest: 0` (unanswered commands are rejected as soon as the connection closes),
 * and a short reconnect backoff. Every call also has a deadline of its own (`withTimeout`, src/redis/timeout.ts).
 */

import { Redis, type RedisOptions } from 'ioredis';
import { STRICT_CLIENT_OPTIONS } from '../redis/client-options.js';

/** Options forced on the processor's connections. */
export const STREAM_CONNECTION_OPTIONS = Object.freeze({
  ...STRICT_CLIENT_OPTIONS,
  lazyConnect: true,
} satisfies RedisOptions);

/** Reconnect backoff: 50 ms doubling to 1 s, plus up to 50 ms of jitter. */
export function streamRetryStrategy(times: number): number {
  return Math.min(50 * 2 ** Math.min(times - 1, 5), 1000) + Math.floor(Math.random() * 50);
}

/** Opens a connection from a URL, ioredis options, or an existing client (duplicated). */
export function openConnection(
  source: { connection?: string | RedisOptions; client?: Redis },
  name: string,
): Redis {
  const extra: RedisOptions = { retryStrategy: streamRetryStrategy, connectionName: name };
  let redis: Redis;
  if (source.client) redis = source.client.duplicate({ ...extra, ...STREAM_CONNECTION_OPTIONS });
  else if (typeof source.connection === 'string')
    redis = new Redis(source.connection, { ...extra, ...STREAM_CONNECTION_OPTIONS });
  else redis = new Redis({ ...extra, ...source.connection, ...STREAM_CONNECTION_OPTIONS });
  // Connection errors are expected during outages; the processor reports what matters.
  redis.on('error', () => {});
  return redis;
}

/** Resolves when `redis` is ready, or with `false` after `ms`. */
export function whenReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, ms);
    redis.once('ready', onReady);
  });
}
