/**
 * An exact sliding-window rate limiter: at most `limit` acquisitions in any `windowMs` span. Keeps
 * the timestamps of the last `limit` grants in a ring buffer, so memory is `8 * limit` bytes and
 * every operation is amortised O(1).
 */

import { type Clock, intervalNow, systemClock } from '../clock.js';
import { ValidationError } from '../errors.js';

/** Options for {@link SlidingWindowLimiter}. */
export type SlidingWindowOptions = {
  /** Maximum acquisitions per window; a positive integer. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
  /** Time source; default {@link systemClock}. */
  clock?: Clock;
};

/** A snapshot of a {@link SlidingWindowLimiter}. */
export type SlidingWindowStats = {
  limit: number;
  windowMs: number;
  /** Acquisitions inside the current window. */
  used: number;
  /** `limit - used`. */
  remaining: number;
  /** Milliseconds until the next acquisition can succeed (0 if one can now). */
  retryAfterMs: number;
  /** `true` when no acquisition is possible now. */
  limited: boolean;
};

/** A sliding-log rate limiter on an injected clock. */
export class SlidingWindowLimiter {
  /** Maximum acquisitions per window. */
  readonly limit: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
  private readonly clock: Clock;
  private readonly log: Float64Array;
  private head = 0;
  private count = 0;
  private latest = Number.NEGATIVE_INFINITY;

  /** @throws ValidationError naming `limit` or `windowMs` when invalid */
  constructor(options: SlidingWindowOptions) {
    if (!Number.isInteger(options.limit) || options.limit <= 0) {
      throw new ValidationError('limit', `must be a positive integer, got ${String(options.limit)}`);
    }
    if (typeof options.windowMs !== 'number' || !Number.isFinite(options.windowMs) || options.windowMs <= 0) {
      throw new ValidationError(
        'windowMs',
        `must be a positive finite number, got ${String(options.windowMs)}`,
      );
    }
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.clock = options.clock ?? systemClock;
    this.log = new Float64Array(this.limit);
  }

  /** Drops grants that are `windowMs` or more in the past. */
  private evict(now: number): void {
    while (this.count > 0 && (this.log[this.head] ?? 0) + this.windowMs <= now) {
      this.head = (this.head + 1) % this.limit;
      this.count--;
    }
  }

  /** Records one acquisition if the window has room; returns whether it did. */
  tryAcquire(): boolean {
    const now = intervalNow(this.clock);
    this.evict(now);
    if (this.count >= this.limit) return false;
    // Grants are timed on the monotonic clock: a wall-clock step neither frees nor blocks the window.
    // Timestamps stay sorted even if a clock without one steps back (a grant then expires late).
    this.latest = Math.max(this.latest, now);
    this.log[(this.head + this.count) % this.limit] = this.latest;
    this.count++;
    return true;
  }

  /** Milliseconds until {@link SlidingWindowLimiter.tryAcquire} can next succeed; 0 if it can now. */
  retryAfterMs(): number {
    const now = intervalNow(this.clock);
    this.evict(now);
    if (this.count < this.limit) return 0;
    return Math.max(0, Math.ceil((this.log[this.head] ?? now) + this.windowMs - now));
  }

  /** Acquisitions still possible in the current window. */
  remaining(): number {
    this.evict(intervalNow(this.clock));
    return this.limit - this.count;
  }

  /** Forgets every recorded acquisition. */
  reset(): void {
    this.head = 0;
    this.count = 0;
    this.latest = Number.NEGATIVE_INFINITY;
  }

  /** A snapshot of the limiter. */
  stats(): SlidingWindowStats {
    const retryAfterMs = this.retryAfterMs();
    return {
      limit: this.limit,
      windowMs: this.windowMs,
      used: this.count,
      remaining: this.limit - this.count,
      retryAfterMs,
      limited: retryAfterMs > 0,
    };
  }
}
