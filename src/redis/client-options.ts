/**
 * The ioredis option presets of redrive's Redis users, in one place so that each states why it
 * differs from ioredis' defaults.
 *
 * ioredis has two behaviours that hide a command's fate from the caller:
 * - `enableOfflineQueue` (default on): commands issued while disconnected wait in an unbounded
 *   queue and are sent after the reconnect.
 * - `autoResendUnfulfilledCommands` (default on): commands sent but unanswered when the
 *   connection dropped are sent again after the reconnect — a silent resend of a command whose
 *   first send may have landed.
 */

import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/**
 * The store's client: a call made while disconnected waits for one reconnection attempt, then
 * fails (503); a call in flight when the connection drops fails instead of being resent; every
 * call settles within `commandTimeout`.
 */
export const STORE_CLIENT_OPTIONS = Object.freeze({
  maxRetriesPerRequest: 1,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 5000,
  commandTimeout: 15_000,
} satisfies RedisOptions);

/**
 * Clients whose caller decides every retry itself (ResilientRedis, StreamProcessor): no offline
 * queue (a command issued while disconnected fails at once, known unsent), no resend, and
 * unanswered commands rejected as soon as the connection closes (`maxRetriesPerRequest: 0`).
 */
export const STRICT_CLIENT_OPTIONS = Object.freeze({
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
} satisfies RedisOptions);

/**
 * Cluster-level options of a cluster the store opens itself: redirections (MOVED, ASK) are followed
 * by ioredis up to `maxRedirections`; during a failover, `TRYAGAIN`, `CLUSTERDOWN` and a lost node
 * are retried after a short delay (the cluster's offline queue holds a command while the slot map
 * is refreshed). Each node connection follows {@link STORE_CLIENT_OPTIONS}.
 */
export const STORE_CLUSTER_OPTIONS = Object.freeze({
  maxRedirections: 16,
  retryDelayOnTryAgain: 50,
  retryDelayOnClusterDown: 100,
  retryDelayOnFailover: 100,
  slotsRefreshTimeout: 2000,
} satisfies ClusterOptions);

/** An ioredis client of redrive's Redis users: one server, or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** Whether `client` is an ioredis `Cluster`. */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}
