/** Options of ResilientRedis: defaults and validation (zod) at the boundary. */

import { z } from 'zod';
import { CircuitBreaker, type CircuitBreakerOptions } from '../core/circuit-breaker.js';
import { type Clock, systemClock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { CommandClass } from './command-classes.js';
import { WRITE_BUFFER_DEFAULTS } from './write-buffer.js';

/** Options of {@link ResilientRedis}. */
export interface ResilientRedisOptions {
  /**
   * The circuit breaker, or options for one. Defaults: `failureThreshold` 3, `recoveryTimeoutMs`
   * 1000, `probeTimeoutMs` as below. A shared breaker instance may be passed.
   */
  breaker?: CircuitBreaker | CircuitBreakerOptions;
  /** Every live command settles within this many ms (then it is ambiguous, or a read fallback). Default 2000. */
  commandTimeoutMs?: number;
  /** The half-open PING probe fails after this many ms. Default 1000. */
  probeTimeoutMs?: number;
  /** After a probe or flush timeout, drop the connection so that ioredis reconnects. Default true. */
  reconnectOnTimeout?: boolean;
  /** Bounds of the write buffer. Defaults: 10 000 entries, 16 MiB. */
  buffer?: { maxEntries?: number; maxBytes?: number };
  /** Flush rate of the write buffer after recovery (token bucket). Default 1000 writes/s, bursts of 100. */
  flush?: { ratePerSecond?: number; burst?: number };
  /** @deprecated Renamed {@link flush} (the write buffer flushes: docs/glossary.md); `flush` wins. */
  replay?: { ratePerSecond?: number; burst?: number };
  /**
   * Buffer non-idempotent writes (INCR, LPUSH, XADD `*` ...) while Redis is unavailable, sending
   * each at most once. Default `false`: they are refused with `NonIdempotentWriteRejectedError`.
   */
  bufferNonIdempotent?: boolean;
  /** Command classes that extend or override the built-in table (upper-case names). */
  commands?: Record<string, CommandClass>;
  clock?: Clock;
}

const positiveInt = z.number().int().positive();

const schema = z.object({
  commandTimeoutMs: positiveInt.max(600_000).default(2000),
  probeTimeoutMs: positiveInt.max(600_000).default(1000),
  reconnectOnTimeout: z.boolean().default(true),
  buffer: z
    .object({
      maxEntries: positiveInt.default(WRITE_BUFFER_DEFAULTS.maxEntries),
      maxBytes: positiveInt.default(WRITE_BUFFER_DEFAULTS.maxBytes),
    })
    .default({ maxEntries: WRITE_BUFFER_DEFAULTS.maxEntries, maxBytes: WRITE_BUFFER_DEFAULTS.maxBytes }),
  flush: z
    .object({
      ratePerSecond: z.number().positive().finite().default(1000),
      burst: positiveInt.default(100),
    })
    .default({ ratePerSecond: 1000, burst: 100 }),
  bufferNonIdempotent: z.boolean().default(false),
});

/** Resolved options. */
export type ResolvedResilientRedisOptions = z.infer<typeof schema> & {
  breaker: CircuitBreaker;
  clock: Clock;
  commands: Record<string, CommandClass>;
};

/**
 * Applies defaults and validates.
 *
 * @throws ValidationError naming the field
 */
export function resolveResilientRedisOptions(
  options: ResilientRedisOptions = {},
): ResolvedResilientRedisOptions {
  const { breaker, clock: ownClock, commands = {}, replay, flush = replay, ...rest } = options;
  const clock = ownClock ?? (breaker instanceof CircuitBreaker ? undefined : breaker?.clock) ?? systemClock;
  const parsed = schema.safeParse({ ...rest, flush });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(issue?.path.join('.') || 'options', issue?.message ?? 'invalid');
  }
  const resolvedBreaker =
    breaker instanceof CircuitBreaker
      ? breaker
      : new CircuitBreaker({
          name: 'redis',
          failureThreshold: 3,
          recoveryTimeoutMs: 1000,
          probeTimeoutMs: parsed.data.probeTimeoutMs,
          ...breaker,
          clock,
        });
  return { ...parsed.data, breaker: resolvedBreaker, clock, commands };
}
