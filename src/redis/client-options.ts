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

import type { RedisOptions } from 'ioredis';

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
