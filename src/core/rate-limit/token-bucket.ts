/**
 * A token bucket: bursts up to `capacity`, sustained rate of `refill` tokens per interval. Refill is
 * computed lazily from the injected clock; there are no timers.
 */

import { type Clock, intervalNow, systemClock } from '../clock.js';
import { ValidationError } from '../errors.js';

/** Options for {@link TokenBucket}: a rate given per second, or as `limit` tokens per `intervalMs`. */
export type TokenBucketOptions = (
  | {
      /** Maximum tokens held (the burst size). */
      capacity: number;
      /** Tokens added per second. */
      refillPerSecond: number;
    }
  | {
      /** Tokens added per `intervalMs`. */
      limit: number;
      /** The interval for `limit`, in milliseconds. */
      intervalMs: number;
      /** Maximum tokens held; default `limit`. */
      capacity?: number;
    }
) & {
  /** Tokens at creation and after {@link TokenBucket.reset}; default `capacity` (a full bucket). */
  initialTokens?: number;
  /** Time source; default {@link systemClock}. */
  clock?: Clock;
};

/** A snapshot of a {@link TokenBucket}. */
export type TokenBucketStats = {
  capacity: number;
  /** Current tokens, possibly fractional. */
  tokens: number;
  refillPerSecond: number;
  /** Successful {@link TokenBucket.tryTake} calls since creation or reset. */
  granted: number;
  /** Refused {@link TokenBucket.tryTake} calls since creation or reset. */
  rejected: number;
};

/** Tolerance for floating-point refill arithmetic. */
const EPSILON = 1e-9;

function positive(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(field, `must be a positive finite number, got ${String(value)}`);
  }
  return value;
}

/** A lazily refilled token bucket on an injected clock. */
export class TokenBucket {
  /** Maximum tokens held. */
  readonly capacity: number;
  /** Tokens added per {@link TokenBucket.intervalMs}. */
  private readonly amount: number;
  private readonly intervalMs: number;
  private readonly initialTokens: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;
  private granted = 0;
  private rejected = 0;

  /** @throws ValidationError naming the field when an option is not a positive finite number */
  constructor(options: TokenBucketOptions) {
    this.clock = options.clock ?? systemClock;
    if ('refillPerSecond' in options) {
      this.capacity = positive('capacity', options.capacity);
      this.amount = positive('refillPerSecond', options.refillPerSecond);
      this.intervalMs = 1000;
    } else {
      this.amount = positive('limit', options.limit);
      this.intervalMs = positive('intervalMs', options.intervalMs);
      this.capacity = options.capacity === undefined ? this.amount : positive('capacity', options.capacity);
    }
    const initial = options.initialTokens ?? this.capacity;
    if (typeof initial !== 'number' || Number.isNaN(initial) || initial < 0 || initial > this.capacity) {
      throw new ValidationError('initialTokens', `must be between 0 and capacity, got ${String(initial)}`);
    }
    this.initialTokens = initial;
    this.tokens = initial;
    this.last = intervalNow(this.clock);
  }

  /** Tokens added per second. */
  get refillPerSecond(): number {
    return (this.amount * 1000) / this.intervalMs;
  }

  private refill(): void {
    const now = intervalNow(this.clock);
    // A clock that steps backwards refills nothing, and never drains the bucket.
    if (now > this.last) {
      this.tokens = Math.min(
        this.capacity,
        this.tokens + ((now - this.last) * this.amount) / this.intervalMs,
      );
    }
    this.last = now;
  }

  private checkCount(n: number): void {
    if (typeof n !== 'number' || Number.isNaN(n) || n < 0 || n > this.capacity) {
      throw new ValidationError('n', `must be between 0 and capacity (${this.capacity}), got ${String(n)}`);
    }
  }

  /**
   * Takes `n` tokens if available.
   *
   * @returns `true` when taken, `false` (and nothing taken) otherwise
   * @throws ValidationError if `n` is negative or exceeds `capacity` (it could never succeed)
   */
  tryTake(n = 1): boolean {
    this.checkCount(n);
    this.refill();
    if (this.tokens + EPSILON >= n) {
      this.tokens = Math.max(0, this.tokens - n);
      this.granted++;
      return true;
    }
    this.rejected++;
    return false;
  }

  /**
   * Milliseconds until `n` tokens will be available (0 if they are now), rounded up.
   *
   * @throws ValidationError if `n` is negative or exceeds `capacity`
   */
  retryAfterMs(n = 1): number {
    this.checkCount(n);
    this.refill();
    const missing = n - this.tokens;
    if (missing <= EPSILON) return 0;
    return Math.ceil((missing * this.intervalMs) / this.amount - EPSILON);
  }

  /** Whole tokens available now. */
  available(): number {
    this.refill();
    return Math.floor(this.tokens + EPSILON);
  }

  /** Restores the initial tokens and clears the counters. */
  reset(): void {
    this.tokens = this.initialTokens;
    this.last = intervalNow(this.clock);
    this.granted = 0;
    this.rejected = 0;
  }

  /** A snapshot of the bucket. */
  stats(): TokenBucketStats {
    this.refill();
    return {
      capacity: this.capacity,
      tokens: this.tokens,
      refillPerSecond: this.refillPerSecond,
      granted: this.granted,
      rejected: this.rejected,
    };
  }
}
