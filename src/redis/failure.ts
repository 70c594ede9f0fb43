/**
 * What a failed Redis call means for the caller: did Redis answer, was the command never sent, or
 * may it have run? One classification for every Redis user in redrive (the store, StreamProcessor,
 * ResilientRedis), so that a reply such as `MISCONF` or a client refusal means the same everywhere.
 */

import { RedisTimeoutError } from './timeout.js';

/**
 * What a failed command means:
 * - `reply`: Redis answered with an error (WRONGTYPE, syntax, a script error ...): it ran and
 *   failed, or was refused for the caller's reasons. Redis is healthy.
 * - `unavailable`: Redis answered that it cannot serve now (LOADING, READONLY, OOM, BUSY,
 *   MASTERDOWN, CLUSTERDOWN, MISCONF ...). The command did not run.
 * - `not_sent`: the client refused to send it or could not connect. The command did not run.
 * - `ambiguous`: it was sent and no reply came (connection lost, timeout). It may have run.
 */
export type FailureKind = 'reply' | 'unavailable' | 'not_sent' | 'ambiguous';

/** Reply prefixes meaning the server (or cluster) cannot serve now, not that the call was wrong. */
const UNAVAILABLE_PREFIXES = [
  'LOADING',
  'BUSY ',
  'MASTERDOWN',
  'READONLY',
  'OOM',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'NOREPLICAS',
  'MISCONF',
];

/** Socket error codes of a connection that was never made (nothing was written on it). */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Messages of ioredis refusing a command before writing it. */
const REFUSED =
  /Stream isn't writeable|enableOfflineQueue|connect ETIMEDOUT|Failed to refresh slots cache|None of startup nodes is available/i;

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Classifies a failure of an ioredis call. `statusBefore` is the client's status when the command
 * was issued: with the offline queue disabled, a command issued after the client has ended is
 * refused at once with "Connection is closed" (not sent), while the same message for a command
 * issued on a ready connection means the connection dropped under it (ambiguous).
 */
export function classifyRedisFailure(error: unknown, statusBefore?: string): FailureKind {
  if (isReplyError(error)) {
    const message = (error as Error).message.replace(/^ERR /, '');
    return UNAVAILABLE_PREFIXES.some((p) => message.startsWith(p)) ? 'unavailable' : 'reply';
  }
  if (error instanceof RedisTimeoutError) return 'ambiguous';
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && CONNECT_CODES.has(code)) return 'not_sent';
  if (REFUSED.test(message)) return 'not_sent';
  if (statusBefore === 'end' && message.includes('Connection is closed')) return 'not_sent';
  return 'ambiguous';
}

/**
 * Whether an error comes from Redis or the connection to it (as opposed to a bug in the caller,
 * such as a TypeError): a reply error, a timeout, or one of ioredis' connection failures.
 */
export function isRedisFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (isReplyError(error) || error instanceof RedisTimeoutError) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.name === 'ClusterAllFailedError' ||
    REFUSED.test(error.message) ||
    /Connection is closed|Command timed out|Command aborted|connection close|Too many Cluster redirections/i.test(
      error.message,
    )
  );
}
