/**
 * Typed errors of ResilientRedis. What an ioredis failure means for a command (did Redis answer,
 * was the command never sent, or may it have run?) is decided by the shared classification in
 * src/redis/failure.ts.
 */

import { RedriveError } from '../core/errors.js';
import { classifyRedisFailure, type FailureKind } from '../redis/failure.js';

export type { FailureKind } from '../redis/failure.js';

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
 * (or the write buffer is still being flushed) and `bufferNonIdempotent` is off. It was not sent (503).
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
    options: { cause?: unknown; source: 'live' | 'flush'; timedOut: boolean },
  ) {
    super(
      'AMBIGUOUS_OUTCOME',
      503,
      `${command} was sent to Redis but ${options.timedOut ? 'no reply came in time' : 'the connection was lost before the reply'}: it may or may not have been applied, and it is not resent`,
      { cause: options.cause, details: { command, source: options.source, timedOut: options.timedOut } },
    );
  }
}

/**
 * Classifies an ioredis failure (see {@link classifyRedisFailure}).
 *
 * @deprecated use `classifyRedisFailure`; this alias is kept for one minor version.
 */
export const classifyFailure: (error: unknown, statusBefore?: string) => FailureKind = classifyRedisFailure;
