/** Events, counters and replies of ResilientRedis. */

import type { CircuitBreakerStats, CircuitStateChange, CircuitStateName } from '../core/circuit-breaker.js';
import type { BufferedEntry, WriteBufferStats } from './write-buffer.js';

/**
 * The reply to a write that was accepted into the write buffer instead of being sent: Redis was
 * unavailable (or the buffer was still being flushed). The buffer flushes it in order after
 * recovery; its outcome is reported by the `buffer.flushed`, `buffer.flush_error` and `ambiguous`
 * events, carrying the same `id`.
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
  /** A buffered write was flushed and Redis acknowledged it. */
  'buffer.flushed': { id: number; command: string; waitedMs: number };
  /** Redis answered a flushed write with an error (WRONGTYPE ...): it is removed, not sent again. */
  'buffer.flush_error': { id: number; command: string; error: Error };
  /**
   * Sending a buffered write failed: the flush stopped and the circuit reopened. `kept`: the entry
   * stays at the front.
   */
  'buffer.flush_failed': { id: number; command: string; error: unknown; kept: boolean };
  /** @deprecated Renamed `buffer.flushed` (the buffer flushes: docs/glossary.md). Emitted with it. */
  'buffer.replayed': { id: number; command: string; waitedMs: number };
  /** @deprecated Renamed `buffer.flush_error` (see docs/glossary.md). Emitted with it. */
  'buffer.replay_error': { id: number; command: string; error: Error };
  /** @deprecated Renamed `buffer.flush_failed` (see docs/glossary.md). Emitted with it. */
  'buffer.replay_failed': { id: number; command: string; error: unknown; kept: boolean };
  /** Every buffered write was flushed: `flushed` counts this flush's writes. */
  'buffer.drained': {
    flushed: number;
    /** @deprecated Renamed `flushed`. */
    replayed: number;
  };
  /** `close()` gave up on buffered writes that were never flushed. */
  'buffer.discarded': { entries: BufferedEntry[] };
  /**
   * A command was sent and no reply came (connection lost, timeout): it may have been applied.
   * `willResend` is `true` only for an idempotent buffered write kept at the front of the buffer.
   */
  ambiguous: {
    command: string;
    /** `live`: a call of yours; `flush`: a buffered write sent by the flush. */
    source: 'live' | 'flush';
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
  /** Buffered writes flushed and acknowledged. */
  flushed: number;
  /** Buffered writes Redis answered with an error when flushed (removed). */
  flushErrors: number;
  /** Flushes stopped by a failure (the circuit reopened). */
  flushFailures: number;
  /** @deprecated Renamed `flushed`. */
  replayed: number;
  /** @deprecated Renamed `flushErrors`. */
  replayErrors: number;
  /** @deprecated Renamed `flushFailures`. */
  replayFailures: number;
  ambiguous: number;
  timeouts: number;
  probes: number;
  probeFailures: number;
  stateChanges: number;
  discarded: number;
}

/** The counters ResilientRedis keeps (the deprecated names are copied in snapshots). */
export type LiveCounters = Omit<ResilientRedisCounters, 'replayed' | 'replayErrors' | 'replayFailures'>;

/** Counters at zero. */
export function zeroCounters(): LiveCounters {
  return {
    calls: 0,
    fallbacks: 0,
    buffered: 0,
    bufferFull: 0,
    nonIdempotentRejected: 0,
    flushed: 0,
    flushErrors: 0,
    flushFailures: 0,
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
  /** The write buffer is being flushed now. */
  flushing: boolean;
  /** @deprecated Renamed `flushing`. */
  replaying: boolean;
  counters: ResilientRedisCounters;
}
