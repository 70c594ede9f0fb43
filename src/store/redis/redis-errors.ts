/**
 * Turns ioredis connection failures into {@link StoreUnavailableError} (503) with a message a
 * person can act on. Replies Redis gives to a well-formed call (a script error is a bug) pass
 * through unchanged.
 */
import { RedriveError, StoreUnavailableError } from '../../core/errors.js';

/** Reply prefixes that mean the server cannot serve right now, not that the call was wrong. */
const UNAVAILABLE_REPLIES = [
  'LOADING',
  'READONLY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'BUSY',
  'OOM',
  'NOREPLICAS',
];

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Whether the call may have reached Redis before the connection failed (its outcome is unknown). */
function ambiguous(message: string): boolean {
  return /Command timed out|Connection is closed|ECONNRESET|EPIPE/i.test(message);
}

/** Wraps a connection or availability failure in a StoreUnavailableError; returns others unchanged. */
export function translateRedisError(error: unknown, what: string, where: string): unknown {
  if (error instanceof RedriveError) return error;
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const message = error.message;
  const isConnection =
    (typeof code === 'string' && CONNECTION_CODES.has(code)) ||
    error.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|Command timed out|Stream isn't writeable|enableOfflineQueue|Reached the max retries|connect ETIMEDOUT/i.test(
      message,
    );
  const isUnavailable = UNAVAILABLE_REPLIES.some(
    (p) => message.startsWith(p) || message.startsWith(`ERR ${p}`),
  );
  if (!isConnection && !isUnavailable) return error;
  const outcome = ambiguous(message)
    ? ' The call may or may not have been applied; retrying a completion or failure is safe (fenced and duplicate-checked).'
    : '';
  const text = message.replace(/[.\s]+$/, '');
  return new StoreUnavailableError(`Redis store at ${where}: ${what} failed: ${text}.${outcome}`, {
    cause: error,
    details: { operation: what, redis: where, ...(typeof code === 'string' ? { code } : {}) },
  });
}
