/**
 * Public types of the circuit breaker: its state (a discriminated union), options, permits, events
 * and stats.
 */

import type { Clock } from '../clock.js';

/**
 * The state of a circuit breaker.
 * - `closed`: calls flow; failures are counted.
 * - `open`: calls are refused until `reopenAt`; the next call after it moves to `half_open`.
 * - `half_open`: up to `halfOpenMaxCalls` probe calls are let through; `inFlight` are running.
 * - `forced_open`: refused by an operator until {@link CircuitBreakerLike.reset}.
 * - `disabled`: every call flows and nothing changes the state until `reset`.
 */
export type CircuitState =
  | { name: 'closed' }
  | { name: 'open'; openedAt: number; reopenAt: number }
  | { name: 'half_open'; inFlight: number }
  | { name: 'forced_open'; reason?: string }
  | { name: 'disabled' };

/** The name of a {@link CircuitState}. */
export type CircuitStateName = CircuitState['name'];

/** Emitted on every state change. `reason` is a short machine-readable string. */
export type CircuitStateChange = {
  from: CircuitState;
  to: CircuitState;
  /** Clock time of the change. */
  at: number;
  /**
   * Why: `failure_threshold`, `failure_rate`, `probe_failed`, `probe_timeout`, `recovery_timeout`,
   * `probes_succeeded`, `forced`, `disabled` or `reset`.
   */
  reason: string;
};

/** A state-change listener. Exceptions it throws are swallowed. */
export type CircuitStateListener = (change: CircuitStateChange) => void;

/** Opens the circuit when, within `windowMs`, at least `minimumCalls` calls ran and the failed share reached `threshold`. */
export type FailureRateOptions = {
  /** Failure share in (0, 1] that opens the circuit. */
  threshold: number;
  /** Length of the rolling window in milliseconds. */
  windowMs: number;
  /** Calls needed in the window before the rate is considered. */
  minimumCalls: number;
};

/** Options for a circuit breaker. */
export type CircuitBreakerOptions = {
  /** A name used in error messages and stats (e.g. a queue name or a key). */
  name?: string;
  /** Consecutive failures that open a closed circuit; default 5. `Infinity` disables the rule. */
  failureThreshold?: number;
  /** An additional failure-rate rule; off by default. */
  failureRate?: FailureRateOptions;
  /** How long the circuit stays open before a probe is allowed, in ms; default 10 000. */
  recoveryTimeoutMs?: number;
  /** Concurrent probes allowed in `half_open`, and successes needed to close; default 1. */
  halfOpenMaxCalls?: number;
  /** A probe that has not settled within this many ms counts as failed; default 10 000. */
  probeTimeoutMs?: number;
  /**
   * Decides whether an error counts against the circuit. Errors for which it returns `false` count
   * as successes (the dependency answered). Default: every error is a failure.
   */
  isFailure?: (error: unknown) => boolean;
  /** Time source (also used for probe timeouts); default `systemClock`. */
  clock?: Clock;
};

/**
 * Permission for one call, from {@link CircuitBreakerLike.tryAcquire}. Settle it exactly once; later
 * settlements are ignored. Outcomes of permits issued before the last state change update the
 * counters but no longer move the state.
 */
export interface CircuitPermit {
  /** The state the permit was issued in. */
  readonly issuedIn: 'closed' | 'half_open' | 'disabled';
  /** When the permit was issued, on the clock's monotonic time (for intervals only, not a date). */
  readonly acquiredAt: number;
  /** `true` once settled (or expired, for a probe). */
  readonly settled: boolean;
  /** Records a successful call. */
  success(): void;
  /** Records a failed call (subject to `isFailure` when `error` is given). */
  failure(error?: unknown): void;
  /** Gives the permit back without recording an outcome (e.g. the caller cancelled). */
  release(): void;
}

/** A snapshot of a circuit breaker. */
export type CircuitBreakerStats = {
  name: string | undefined;
  state: CircuitStateName;
  consecutiveFailures: number;
  /** Calls recorded as successes since creation. */
  successes: number;
  /** Calls recorded as failures since creation (including probe timeouts). */
  failures: number;
  /** Calls refused since creation. */
  rejections: number;
  /** Half-open probes that timed out since creation. */
  probeTimeouts: number;
  /** Probes currently running (0 unless `half_open`). */
  halfOpenInFlight: number;
  /** Calls and failures in the failure-rate window, when that rule is configured. */
  window: { calls: number; failures: number; failureRate: number } | undefined;
  /** Clock time and reason of the last state change (creation counts, reason `created`). */
  lastStateChangeAt: number;
  lastStateChangeReason: string;
};

/** The public surface of a circuit breaker, for consumers that accept any implementation. */
export interface CircuitBreakerLike {
  readonly state: CircuitState;
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  tryAcquire(): CircuitPermit | false;
  isAllowed(): boolean;
  recordSuccess(): void;
  recordFailure(error?: unknown): void;
  forceOpen(reason?: string): void;
  disable(): void;
  reset(): void;
  stats(): CircuitBreakerStats;
  onStateChange(listener: CircuitStateListener): () => void;
}
