/**
 * A circuit breaker (in the manner of cockatiel's `CircuitBreakerPolicy`): stops calling a failing
 * dependency, lets a bounded number of probes through after a recovery timeout, and closes again
 * when they succeed. The state is a discriminated union; the open → half-open transition is lazy
 * (evaluated on the next call), so the breaker needs no timers except an optional probe timeout,
 * scheduled on the injected clock, which guarantees a probe that never settles cannot leave the
 * circuit stuck half-open.
 *
 * Every interval (recovery timeout, probe timeout, failure-rate window) is measured on the clock's
 * monotonic time, so a wall-clock step neither holds a circuit open for the size of the step nor
 * reopens it early; the times it reports (`openedAt`, `reopenAt`, change times) are wall-clock
 * times derived from it when read.
 */

import { type ResolvedBreakerOptions, resolveBreakerOptions } from './breaker/options.js';
import { Permit, type PermitOutcome } from './breaker/permit.js';
import { RollingOutcomeWindow } from './breaker/rolling-window.js';
import type {
  CircuitBreakerLike,
  CircuitBreakerOptions,
  CircuitBreakerStats,
  CircuitPermit,
  CircuitState,
  CircuitStateChange,
  CircuitStateListener,
} from './breaker/types.js';
import { type Clock, intervalNow } from './clock.js';
import { CircuitOpenError } from './errors.js';

export { BREAKER_DEFAULTS } from './breaker/options.js';
export type {
  CircuitBreakerLike,
  CircuitBreakerOptions,
  CircuitBreakerStats,
  CircuitPermit,
  CircuitState,
  CircuitStateChange,
  CircuitStateListener,
  CircuitStateName,
  FailureRateOptions,
} from './breaker/types.js';

type InternalState =
  | { name: 'closed' }
  /** Monotonic times (see {@link intervalNow}); reported as wall-clock times by `snapshot`. */
  | { name: 'open'; openedAt: number; reopenAt: number }
  | { name: 'half_open'; probes: Map<number, Permit>; successes: number }
  | { name: 'forced_open'; reason?: string }
  | { name: 'disabled' };

/**
 * A circuit breaker. Use {@link CircuitBreaker.execute} for the common case, or
 * {@link CircuitBreaker.tryAcquire} and the returned permit when the call is not a single promise.
 */
export class CircuitBreaker implements CircuitBreakerLike {
  private readonly opts: ResolvedBreakerOptions;
  private readonly clock: Clock;
  private readonly window: RollingOutcomeWindow | undefined;
  private readonly listeners = new Set<CircuitStateListener>();
  private current: InternalState = { name: 'closed' };
  /** Incremented on every state change; permits from an older episode no longer move the state. */
  private episode = 0;
  private permitSeq = 0;
  private consecutiveFailures = 0;
  private successes = 0;
  private failures = 0;
  private rejections = 0;
  private probeTimeouts = 0;
  private lastChangeAt: number;
  private lastChangeReason = 'created';

  /** @throws ValidationError naming the offending option */
  constructor(options: CircuitBreakerOptions = {}) {
    this.opts = resolveBreakerOptions(options);
    this.clock = this.opts.clock;
    this.window = this.opts.failureRate
      ? new RollingOutcomeWindow(this.opts.failureRate.windowMs)
      : undefined;
    this.lastChangeAt = this.clock.now();
  }

  /** The breaker's name, if given. */
  get name(): string | undefined {
    return this.opts.name;
  }

  /** The current state (after applying any due open → half-open transition or probe timeout). */
  get state(): CircuitState {
    this.refresh(intervalNow(this.clock));
    return this.snapshot(this.current);
  }

  /**
   * Runs `fn` if the circuit permits, recording its outcome. `fn` receives a signal that aborts when
   * `signal` aborts or when it is a half-open probe that exceeded `probeTimeoutMs`. A call the caller
   * aborted (via `signal`) records no outcome.
   *
   * @throws CircuitOpenError when the circuit refuses the call (`details.retryAfterMs` when known)
   * @throws `signal.reason` if `signal` is already aborted
   */
  async execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw signal.reason;
    const permit = this.acquire();
    if (!permit) throw this.rejection();
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    permit.onTimeout = () =>
      controller.abort(new DOMException('circuit breaker probe timed out', 'TimeoutError'));
    try {
      const value = await fn(controller.signal);
      permit.success();
      return value;
    } catch (error) {
      if (signal?.aborted) permit.release();
      else permit.failure(error);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Asks for permission to make one call.
   *
   * @returns a permit to settle with `success()`, `failure(err)` or `release()`; or `false` when
   *   the circuit is open, forced open, or half-open with every probe slot taken
   */
  tryAcquire(): CircuitPermit | false {
    return this.acquire();
  }

  /** Whether a call would be permitted now (takes no permit). */
  isAllowed(): boolean {
    this.refresh(intervalNow(this.clock));
    const s = this.current;
    if (s.name === 'closed' || s.name === 'disabled') return true;
    return s.name === 'half_open' && this.probeSlotFree(s);
  }

  /**
   * Records a success without a permit. In half-open it settles the oldest running probe, or counts
   * as a probe itself if none is running. Prefer permits: they honour `halfOpenMaxCalls`.
   */
  recordSuccess(): void {
    this.recordWithoutPermit(false);
  }

  /**
   * Records a failure without a permit (an `error` for which `isFailure` returns `false` records a
   * success). See {@link CircuitBreaker.recordSuccess}.
   */
  recordFailure(error?: unknown): void {
    this.recordWithoutPermit(this.isFailure(error));
  }

  /** Opens the circuit until {@link CircuitBreaker.reset}, whatever the outcomes. */
  forceOpen(reason?: string): void {
    const now = intervalNow(this.clock);
    this.refresh(now);
    const next: InternalState =
      reason === undefined ? { name: 'forced_open' } : { name: 'forced_open', reason };
    if (this.current.name === 'forced_open') this.current = next;
    else this.transition(next, 'forced', now);
  }

  /**
   * Opens a closed or half-open circuit now, as if its failure rule had fired: it recovers through
   * half-open after `recoveryTimeoutMs`, as usual. For callers that learn of an outage outside a
   * permit (a replay that failed, a connection that dropped). No effect when the circuit is already
   * open, forced open or disabled.
   *
   * @param reason recorded as the state change's reason; default `tripped`
   */
  trip(reason = 'tripped'): void {
    const now = intervalNow(this.clock);
    this.refresh(now);
    const name = this.current.name;
    if (name === 'closed' || name === 'half_open') this.open(now, reason);
  }

  /** Lets every call through and ignores outcomes until {@link CircuitBreaker.reset}. */
  disable(): void {
    if (this.current.name !== 'disabled')
      this.transition({ name: 'disabled' }, 'disabled', intervalNow(this.clock));
  }

  /** Closes the circuit and clears the failure counters (lifetime totals are kept). */
  reset(): void {
    if (this.current.name === 'closed') {
      this.consecutiveFailures = 0;
      this.window?.clear();
    } else {
      this.transition({ name: 'closed' }, 'reset', intervalNow(this.clock));
    }
  }

  /** A snapshot of the breaker. */
  stats(): CircuitBreakerStats {
    const now = intervalNow(this.clock);
    this.refresh(now);
    const totals = this.window?.totals(now);
    return {
      name: this.opts.name,
      state: this.current.name,
      consecutiveFailures: this.consecutiveFailures,
      successes: this.successes,
      failures: this.failures,
      rejections: this.rejections,
      probeTimeouts: this.probeTimeouts,
      halfOpenInFlight: this.current.name === 'half_open' ? this.current.probes.size : 0,
      window: totals && {
        calls: totals.calls,
        failures: totals.failures,
        failureRate: totals.calls === 0 ? 0 : totals.failures / totals.calls,
      },
      lastStateChangeAt: this.lastChangeAt,
      lastStateChangeReason: this.lastChangeReason,
    };
  }

  /**
   * Subscribes to state changes. Listener exceptions are swallowed.
   *
   * @returns a function that unsubscribes
   */
  onStateChange(listener: CircuitStateListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private acquire(): Permit | false {
    const now = intervalNow(this.clock);
    this.refresh(now);
    const s = this.current;
    if (s.name === 'closed' || s.name === 'disabled') {
      return new Permit(++this.permitSeq, s.name, now, this.episode, this.onSettle);
    }
    if (s.name === 'half_open' && this.probeSlotFree(s)) {
      const permit = new Permit(++this.permitSeq, 'half_open', now, this.episode, this.onSettle);
      s.probes.set(permit.id, permit);
      permit.timer = this.clock.setTimeout(
        () => this.expireProbe(permit, permit.acquiredAt + this.opts.probeTimeoutMs),
        this.opts.probeTimeoutMs,
      );
      return permit;
    }
    this.rejections++;
    return false;
  }

  private rejection(): CircuitOpenError {
    const s = this.current;
    const label = this.opts.name === undefined ? 'circuit' : `circuit '${this.opts.name}'`;
    const details: Record<string, unknown> = { breaker: this.opts.name, state: s.name };
    if (s.name === 'open') {
      details.retryAfterMs = Math.max(0, s.reopenAt - intervalNow(this.clock));
      return new CircuitOpenError(`${label} is open`, details);
    }
    if (s.name === 'forced_open') {
      details.reason = s.reason;
      return new CircuitOpenError(`${label} is forced open${s.reason ? `: ${s.reason}` : ''}`, details);
    }
    return new CircuitOpenError(`${label} is half-open and every probe slot is taken`, details);
  }

  private probeSlotFree(s: { probes: Map<number, Permit>; successes: number }): boolean {
    const max = this.opts.halfOpenMaxCalls;
    return s.probes.size < max && s.probes.size + s.successes < max;
  }

  private isFailure(error: unknown): boolean {
    if (error === undefined || !this.opts.isFailure) return true;
    try {
      return this.opts.isFailure(error);
    } catch {
      return true;
    }
  }

  private readonly onSettle = (permit: Permit, outcome: PermitOutcome): void => {
    this.dropProbe(permit);
    if (outcome.kind === 'release') return;
    const failed = outcome.kind === 'failure' && this.isFailure(outcome.error);
    this.finish(permit.episode, failed);
  };

  private recordWithoutPermit(failed: boolean): void {
    this.refresh(intervalNow(this.clock));
    const s = this.current;
    if (s.name === 'half_open') {
      const oldest = s.probes.values().next().value;
      if (oldest?.claim()) {
        this.dropProbe(oldest);
        this.finish(oldest.episode, failed);
        return;
      }
    }
    this.finish(this.episode, failed);
  }

  /** Counts an outcome, and moves the state if it belongs to the current episode. */
  private finish(episode: number, failed: boolean): void {
    if (failed) this.failures++;
    else this.successes++;
    const now = intervalNow(this.clock);
    this.refresh(now);
    if (episode !== this.episode) return;
    const s = this.current;
    if (s.name === 'closed') {
      this.window?.record(now, failed);
      if (!failed) {
        this.consecutiveFailures = 0;
        return;
      }
      this.consecutiveFailures++;
      if (this.consecutiveFailures >= this.opts.failureThreshold) {
        this.open(now, 'failure_threshold');
        return;
      }
      const rate = this.opts.failureRate;
      const totals = this.window?.totals(now);
      if (
        rate &&
        totals &&
        totals.calls >= rate.minimumCalls &&
        totals.failures / totals.calls >= rate.threshold
      ) {
        this.open(now, 'failure_rate');
      }
    } else if (s.name === 'half_open') {
      if (failed) {
        this.consecutiveFailures++;
        this.open(now, 'probe_failed');
        return;
      }
      s.successes++;
      if (s.successes >= this.opts.halfOpenMaxCalls)
        this.transition({ name: 'closed' }, 'probes_succeeded', now);
    }
  }

  private dropProbe(permit: Permit): void {
    if (permit.timer !== undefined) {
      this.clock.clearTimeout(permit.timer);
      permit.timer = undefined;
    }
    if (this.current.name === 'half_open') this.current.probes.delete(permit.id);
  }

  /** Fails a probe that has not settled by `at`, reopening the circuit as of `at`. */
  private expireProbe(permit: Permit, at: number): void {
    if (this.current.name !== 'half_open' || permit.episode !== this.episode) return;
    if (!permit.claim()) return;
    this.dropProbe(permit);
    this.probeTimeouts++;
    this.failures++;
    this.consecutiveFailures++;
    this.open(at, 'probe_timeout');
    try {
      permit.onTimeout?.();
    } catch {
      // an abort listener threw; the breaker's state is already settled
    }
  }

  /** Applies due lazy transitions: probe timeouts, then open → half-open. */
  private refresh(now: number): void {
    for (;;) {
      const s = this.current;
      if (s.name === 'half_open') {
        let due: Permit | undefined;
        for (const p of s.probes.values()) {
          if (p.acquiredAt + this.opts.probeTimeoutMs <= now && (!due || p.acquiredAt < due.acquiredAt))
            due = p;
        }
        if (!due) return;
        this.expireProbe(due, due.acquiredAt + this.opts.probeTimeoutMs);
      } else if (s.name === 'open' && now >= s.reopenAt) {
        this.transition({ name: 'half_open', probes: new Map(), successes: 0 }, 'recovery_timeout', now);
      } else {
        return;
      }
    }
  }

  private open(at: number, reason: string): void {
    this.transition({ name: 'open', openedAt: at, reopenAt: at + this.opts.recoveryTimeoutMs }, reason, at);
  }

  private transition(next: InternalState, reason: string, at: number): void {
    const prev = this.current;
    const from = this.snapshot(prev);
    if (prev.name === 'half_open') {
      for (const p of prev.probes.values()) {
        if (p.timer !== undefined) this.clock.clearTimeout(p.timer);
        p.timer = undefined;
      }
    }
    this.current = next;
    this.episode++;
    if (next.name === 'closed') {
      this.consecutiveFailures = 0;
      this.window?.clear();
    }
    this.lastChangeAt = this.wallTime(at);
    this.lastChangeReason = reason;
    const change: CircuitStateChange = { from, to: this.snapshot(next), at: this.lastChangeAt, reason };
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // a listener must not break the breaker
      }
    }
  }

  /** The wall-clock time of a monotonic time, as of now. */
  private wallTime(monotonic: number): number {
    return this.clock.now() - (intervalNow(this.clock) - monotonic);
  }

  private snapshot(s: InternalState): CircuitState {
    switch (s.name) {
      case 'half_open':
        return { name: 'half_open', inFlight: s.probes.size };
      case 'open':
        return { name: 'open', openedAt: this.wallTime(s.openedAt), reopenAt: this.wallTime(s.reopenAt) };
      case 'forced_open':
        return s.reason === undefined ? { name: 'forced_open' } : { name: 'forced_open', reason: s.reason };
      default:
        return { name: s.name };
    }
  }
}
