/**
 * Typed errors of ResilientRedis, and the classification of what an ioredis failure means for a
 * command: did Redis answer, was the command never sent, or may it have run?
 */

import { RedriveError } from '../core/errors.js';

/** The write buffer has no room (by count or bytes); the write was not accepted (503). */
export class WriteBufferFullError extends RedriveError {
  constructor(
    readonly limit: 'entries' | 'bytes',
    details: { entries: number; bytes: number; maxEntries: number; maxBytes: number; entryBytes: number },
  ) {
    super(
      'WRITE_BUFFER_FULL',
      503,
      limit === 'entries'
        ? `Redis is unavailable and the write buffer is full (${details.entries}/${details.maxEntries} entries)`
        : `Redis is unavailable and the write buffer is full (${details.bytes} + ${details.entryBytes} > ${details.maxBytes} bytes)`,
      { details: { limit, ...details } },
    );
  }
}

/**
 * A non-idempotent write (INCR, LPUSH, XADD with `*` ...) was refused because Redis is unavailable
 * (or buffered writes are still replaying) and `bufferNonIdempotent` is off. It was not sent (503).
 */
export class NonIdempotentWriteRejectedError extends RedriveError {
  constructor(command: string, reason: 'circuit_open' | 'buffer_draining' | 'not_sent') {
    super(
      'NON_IDEMPOTENT_REJECTED',
      503,
      `${command} is not idempotent and Redis is unavailable (${reason}); it was not sent. ` +
        'Retry it later, or set bufferNonIdempotent to buffer such writes with at-most-once delivery',
      { details: { command, reason } },
    );
  }
}

/**
 * A command was sent but no reply came back (connection lost, or timeout): it may or may not have
 * run. It is never resent automatically; the caller decides (503).
 */
export class AmbiguousOutcomeError extends RedriveError {
  constructor(
    readonly command: string,
    options: { cause?: unknown; source: 'live' | 'replay'; timedOut: boolean },
  ) {
    super(
      'AMBIGUOUS_OUTCOME',
      503,
      `${command} was sent to Redis but ${options.timedOut ? 'no reply came in time' : 'the connection was lost before the reply'}: it may or may not have been applied, and it is not resent`,
      { cause: options.cause, details: { command, source: options.source, timedOut: options.timedOut } },
    );
  }
}

/** A command timed out on the client side (internal; surfaces as ambiguous or as a fallback). */
export class CommandTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no reply from Redis within ${timeoutMs} ms`);
    this.name = 'CommandTimeoutError';
  }
}

/**
 * What a failed command means:
 * - `reply`: Redis answered with an error (WRONGTYPE, syntax ...): it ran and failed, or was refused
 *   for the caller's reasons. Redis is healthy.
 * - `unavailable`: Redis answered that it cannot serve (LOADING, READONLY, OOM, BUSY, MASTERDOWN ...).
 *   The command did not run.
 * - `not_sent`: the client refused to send it (no connection). The command did not run.
 * - `ambiguous`: it was sent and no reply came (connection lost, timeout). It may have run.
 */
export type FailureKind = 'reply' | 'unavailable' | 'not_sent' | 'ambiguous';

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

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Classifies an ioredis failure. `statusBefore` is the client's status when the command was issued:
 * with the offline queue disabled, a command issued while the client is not connected is refused
 * at once ("Stream isn't writeable", or "Connection is closed" once it has ended).
 */
export function classifyFailure(error: unknown, statusBefore?: string): FailureKind {
  if (isReplyError(error)) {
    const message = error.message;
    return UNAVAILABLE_PREFIXES.some((p) => message.startsWith(p)) ? 'unavailable' : 'reply';
  }
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes("Stream isn't writeable")) return 'not_sent';
  if (statusBefore === 'end' && message.includes('Connection is closed')) return 'not_sent';
  return 'ambiguous';
}
