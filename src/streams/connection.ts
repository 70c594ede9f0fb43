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

import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import { isCluster, type RedisClient, STRICT_CLIENT_OPTIONS } from '../redis/client-options.js';
import { Cluster, Redis } from '../redis/ioredis.js';

/** Options forced on the processor's connections. */
export const STREAM_CONNECTION_OPTIONS = Object.freeze({
  ...STRICT_CLIENT_OPTIONS,
  lazyConnect: true,
} satisfies RedisOptions);

/** Reconnect backoff: 50 ms doubling to 1 s, plus up to 50 ms of jitter. */
export function streamRetryStrategy(times: number): number {
  return Math.min(50 * 2 ** Math.min(times - 1, 5), 1000) + Math.floor(Math.random() * 50);
}

/** Where the processor connects: a URL or options, an application's client, or a cluster. */
export interface ConnectionSource {
  connection?: string | RedisOptions;
  client?: RedisClient;
  cluster?: { nodes: { host: string; port: number }[]; options?: ClusterOptions };
}

/**
 * A cluster connection of the processor: the offline queue off at the cluster level too, and every
 * node connection with the processor's options.
 */
function openCluster(nodes: ClusterNode[], options: ClusterOptions, name: string): Cluster {
  return new Cluster(nodes, {
    ...options,
    enableOfflineQueue: false,
    lazyConnect: true,
    clusterRetryStrategy: streamRetryStrategy,
    redisOptions: { ...options.redisOptions, connectionName: name, ...STRICT_CLIENT_OPTIONS },
  });
}

/** Opens a connection from a URL, ioredis options, a cluster, or an existing client (duplicated). */
export function openConnection(source: ConnectionSource, name: string): RedisClient {
  const extra: RedisOptions = { retryStrategy: streamRetryStrategy, connectionName: name };
  let redis: RedisClient;
  if (source.cluster) redis = openCluster(source.cluster.nodes, source.cluster.options ?? {}, name);
  else if (source.client && isCluster(source.client)) {
    const nodes = (source.client as unknown as { startupNodes: ClusterNode[] }).startupNodes;
    redis = openCluster(nodes, source.client.options, name);
  } else if (source.client) redis = source.client.duplicate({ ...extra, ...STREAM_CONNECTION_OPTIONS });
  else if (typeof source.connection === 'string')
    redis = new Redis(source.connection, { ...extra, ...STREAM_CONNECTION_OPTIONS });
  else redis = new Redis({ ...extra, ...source.connection, ...STREAM_CONNECTION_OPTIONS });
  // Connection errors are expected during outages; the processor reports what matters.
  redis.on('error', () => {});
  return redis;
}

/** Resolves when `redis` is ready, or with `false` after `ms`. */
export function whenReady(redis: RedisClient, ms: number): Promise<boolean> {
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
