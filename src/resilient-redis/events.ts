/** Events, counters and replies of ResilientRedis. */

import type { CircuitBreakerStats, CircuitStateChange, CircuitStateName } from '../core/circuit-breaker.js';
import type { BufferedEntry, WriteBufferStats } from './write-buffer.js';

/**
 * The reply to a write that was accepted into the write buffer instead of being sent: Redis was
 * unavailable (or earlier buffered writes were still replaying). The write will be replayed in
 * order after recovery; its outcome is reported by the `buffer.replayed`, `buffer.replay_error` and
 * `ambiguous` events, carrying the same `id`.
 */
export class BufferedReply {
  readonly buffered = true as const;
  constructor(
    /** The buffer entry id (FIFO order). */
    readonly id: number,
    /** `SET`, `MULTI(SET,INCR)`, `SELECT 2`. */
    readonly command: string,
    /** A non-idempotent write, sent at most once. */
    readonly atMostOnce: boolean,
  ) {}
}

/** `true` when a reply is a {@link BufferedReply} (the write was buffered, not applied yet). */
export function isBufferedReply(value: unknown): value is BufferedReply {
  return value instanceof BufferedReply;
}

/** Events of ResilientRedis. */
export interface ResilientRedisEvents {
  /** The circuit breaker changed state. */
  state: CircuitStateChange;
  /** A read was answered with its declared fallback. */
  fallback: { command: string; reason: 'open' | 'failed'; error?: unknown };
  /** A write was accepted into the buffer. */
  'buffer.added': { id: number; command: string; atMostOnce: boolean; entries: number; bytes: number };
  /** A write was refused: the buffer is full, or it is non-idempotent and `bufferNonIdempotent` is off. */
  'buffer.rejected': { command: string; reason: 'full' | 'non_idempotent'; error: Error };
  /** A buffered write was replayed and Redis acknowledged it. */
  'buffer.replayed': { id: number; command: string; waitedMs: number };
  /** Redis answered a replayed write with an error (WRONGTYPE ...): it is removed, not retried. */
  'buffer.replay_error': { id: number; command: string; error: Error };
  /** A replay failed: replay stopped and the circuit reopened. `kept`: the entry stays at the front. */
  'buffer.replay_failed': { id: number; command: string; error: unknown; kept: boolean };
  /** Every buffered write was replayed. */
  'buffer.drained': { replayed: number };
  /** `close()` gave up on buffered writes that were never replayed. */
  'buffer.discarded': { entries: BufferedEntry[] };
  /**
   * A command was sent and no reply came (connection lost, timeout): it may have been applied.
   * `willResend` is `true` only for an idempotent buffered write kept at the front of the buffer.
   */
  ambiguous: {
    command: string;
    source: 'live' | 'replay';
    id?: number;
    willResend: boolean;
    error: unknown;
  };
  /** A half-open PING probe finished. */
  probe: { ok: boolean; durationMs: number; error?: unknown };
}

/** Lifetime counters of ResilientRedis. */
export interface ResilientRedisCounters {
  calls: number;
  fallbacks: number;
  buffered: number;
  bufferFull: number;
  nonIdempotentRejected: number;
  replayed: number;
  replayErrors: number;
  replayFailures: number;
  ambiguous: number;
  timeouts: number;
  probes: number;
  probeFailures: number;
  stateChanges: number;
  discarded: number;
}

/** Counters at zero. */
export function zeroCounters(): ResilientRedisCounters {
  return {
    calls: 0,
    fallbacks: 0,
    buffered: 0,
    bufferFull: 0,
    nonIdempotentRejected: 0,
    replayed: 0,
    replayErrors: 0,
    replayFailures: 0,
    ambiguous: 0,
    timeouts: 0,
    probes: 0,
    probeFailures: 0,
    stateChanges: 0,
    discarded: 0,
  };
}

/** A snapshot of ResilientRedis. */
export interface ResilientRedisStats {
  state: CircuitStateName;
  breaker: CircuitBreakerStats;
  buffer: WriteBufferStats;
  /** Buffered writes are being replayed now. */
  replaying: boolean;
  counters: ResilientRedisCounters;
}
