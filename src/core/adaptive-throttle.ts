/**
 * Adaptive throttling for calls into a downstream that may be struggling (replays into a
 * recovering service). Two mechanisms, both on an injected clock:
 *
 * - **Client-side throttling** (Google SRE book, "Handling Overload"): over a sliding window the
 *   client counts `requests` (every call it wanted to make and that got an answer, including those
 *   it refused itself) and `accepts` (calls the downstream handled). A new call is refused locally
 *   with probability `max(0, (requests - K * accepts) / (requests + 1))`. While the downstream
 *   accepts everything the probability is 0; as it starts failing, the client sheds load before
 *   sending it. A call counts when it settles (a call still in flight is neither), and nothing is
 *   shed below `minRequests` requests in the window.
 * - **AIMD concurrency**: at most `limit` calls in flight. Each success adds `increase / limit`
 *   (one step per "round" of calls); a failure multiplies the limit by `decrease`, at most once per
 *   `decreaseCooldownMs` so that one burst of failures is one signal.
 */
import { type Clock, type Random, systemClock, systemRandom } from './clock.js';
import { ValidationError } from './errors.js';

/** Options of {@link AdaptiveThrottle}. */
export interface AdaptiveThrottleOptions {
  /** The K multiplier: the client sends up to K times what the downstream accepts. Default 2. */
  k?: number;
  /** Sliding window of the request/accept counts. Default 120 000 ms. */
  windowMs?: number;
  /** Granularity of the window. Default `windowMs / 60`. */
  bucketMs?: number;
  /**
   * Below this many requests in the window nothing is shed (a handful of calls is no evidence of
   * overload). Default 10; 0 applies the formula from the first call.
   */
  minRequests?: number;
  /** Starting concurrency limit. Default 10. */
  initialLimit?: number;
  /** Lowest concurrency limit. Default 1. */
  minLimit?: number;
  /** Highest concurrency limit. Default 100. */
  maxLimit?: number;
  /** Additive increase per round of successes. Default 1. */
  increase?: number;
  /** Multiplicative decrease factor on failure, in (0, 1). Default 0.5. */
  decrease?: number;
  /** Minimum time between two decreases. Default 1000 ms. */
  decreaseCooldownMs?: number;
  /** Rejection probability at or above which {@link AdaptiveThrottle.health} reports `emergency`. Default 0.5. */
  emergencyProbability?: number;
  clock?: Clock;
  random?: Random;
}

/** `healthy`: nothing shed; `degraded`: some calls shed or the limit was cut; `emergency`: stop bulk work. */
export type ThrottleHealthLevel = 'healthy' | 'degraded' | 'emergency';

/** A health reading. */
export interface ThrottleHealth {
  level: ThrottleHealthLevel;
  rejectionProbability: number;
  limit: number;
  inFlight: number;
}

/** Permission for one call. Settle it exactly once (later settlements are ignored). */
export interface ThrottlePermit {
  /** The downstream handled the call. */
  success(): void;
  /** The downstream failed or refused the call (overload, timeout, 5xx). */
  failure(): void;
  /** The call was not made after all (counts as nothing). */
  release(): void;
}

/** The answer of {@link AdaptiveThrottle.tryAcquire}. */
export type ThrottleDecision =
  | { ok: true; permit: ThrottlePermit }
  | {
      ok: false;
      /** `throttled`: shed by the client-side probability; `concurrency`: the AIMD limit is reached. */
      reason: 'throttled' | 'concurrency';
      /** A hint for when to try again. */
      retryAfterMs: number;
      rejectionProbability: number;
    };

/** A snapshot. */
export interface AdaptiveThrottleStats {
  requests: number;
  accepts: number;
  rejectionProbability: number;
  limit: number;
  inFlight: number;
  /** Calls refused locally since creation, by reason. */
  throttled: number;
  concurrencyRejected: number;
  successes: number;
  failures: number;
  health: ThrottleHealthLevel;
}

interface Bucket {
  start: number;
  requests: number;
  accepts: number;
}

function check(name: string, value: number, ok: boolean, rule: string): void {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok) {
    throw new ValidationError(name, `${rule}, got ${String(value)}`);
  }
}

/** Client-side throttling plus an AIMD concurrency limit. */
export class AdaptiveThrottle {
  readonly k: number;
  readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly minRequests: number;
  private readonly minLimit: number;
  private readonly maxLimit: number;
  private readonly initialLimit: number;
  private readonly increase: number;
  private readonly decrease: number;
  private readonly cooldownMs: number;
  private readonly emergencyProbability: number;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly buckets: Bucket[] = [];
  private limitValue: number;
  private inFlight = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private throttled = 0;
  private concurrencyRejected = 0;
  private successes = 0;
  private failures = 0;

  /** @throws ValidationError naming the offending option */
  constructor(options: AdaptiveThrottleOptions = {}) {
    this.k = options.k ?? 2;
    this.windowMs = options.windowMs ?? 120_000;
    this.bucketMs = options.bucketMs ?? Math.max(1, Math.floor(this.windowMs / 60));
    this.minRequests = options.minRequests ?? 10;
    this.initialLimit = options.initialLimit ?? 10;
    this.minLimit = options.minLimit ?? 1;
    this.maxLimit = options.maxLimit ?? 100;
    this.increase = options.increase ?? 1;
    this.decrease = options.decrease ?? 0.5;
    this.cooldownMs = options.decreaseCooldownMs ?? 1000;
    this.emergencyProbability = options.emergencyProbability ?? 0.5;
    check('minRequests', this.minRequests, this.minRequests >= 0, 'must be >= 0');
    check('k', this.k, this.k >= 1 && Number.isFinite(this.k), 'must be a finite number >= 1');
    check('windowMs', this.windowMs, this.windowMs > 0 && Number.isFinite(this.windowMs), 'must be positive');
    check(
      'bucketMs',
      this.bucketMs,
      this.bucketMs > 0 && this.bucketMs <= this.windowMs,
      'must be in (0, windowMs]',
    );
    check(
      'minLimit',
      this.minLimit,
      Number.isInteger(this.minLimit) && this.minLimit >= 1,
      'must be an integer >= 1',
    );
    check(
      'maxLimit',
      this.maxLimit,
      Number.isInteger(this.maxLimit) && this.maxLimit >= this.minLimit,
      'must be an integer >= minLimit',
    );
    check(
      'initialLimit',
      this.initialLimit,
      this.initialLimit >= this.minLimit && this.initialLimit <= this.maxLimit,
      'must be within [minLimit, maxLimit]',
    );
    check('increase', this.increase, this.increase > 0 && Number.isFinite(this.increase), 'must be positive');
    check('decrease', this.decrease, this.decrease > 0 && this.decrease < 1, 'must be in (0, 1)');
    check('decreaseCooldownMs', this.cooldownMs, this.cooldownMs >= 0, 'must be >= 0');
    check(
      'emergencyProbability',
      this.emergencyProbability,
      this.emergencyProbability > 0 && this.emergencyProbability <= 1,
      'must be in (0, 1]',
    );
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.limitValue = this.initialLimit;
  }

  /** The current concurrency limit (whole calls). */
  get limit(): number {
    return Math.max(this.minLimit, Math.floor(this.limitValue));
  }

  private bucket(now: number): Bucket {
    const start = now - (now % this.bucketMs);
    this.evict(now);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.start === start) return last;
    const fresh = { start, requests: 0, accepts: 0 };
    this.buckets.push(fresh);
    return fresh;
  }

  private evict(now: number): void {
    while (this.buckets.length > 0 && this.buckets[0]!.start + this.bucketMs <= now - this.windowMs) {
      this.buckets.shift();
    }
  }

  private counts(): { requests: number; accepts: number } {
    this.evict(this.clock.now());
    let requests = 0;
    let accepts = 0;
    for (const b of this.buckets) {
      requests += b.requests;
      accepts += b.accepts;
    }
    return { requests, accepts };
  }

  /** `max(0, (requests - K * accepts) / (requests + 1))` over the window (0 below `minRequests`). */
  rejectionProbability(): number {
    const { requests, accepts } = this.counts();
    return this.probability(requests, accepts);
  }

  private probability(requests: number, accepts: number): number {
    if (requests < this.minRequests) return 0;
    return Math.max(0, (requests - this.k * accepts) / (requests + 1));
  }

  /** Asks to make one call. A refused call counts as a request at once; a permitted one when it settles. */
  tryAcquire(): ThrottleDecision {
    const now = this.clock.now();
    const probability = this.rejectionProbability();
    if (probability > 0 && this.random.next() < probability) {
      this.bucket(now).requests++;
      this.throttled++;
      return {
        ok: false,
        reason: 'throttled',
        retryAfterMs: this.bucketMs,
        rejectionProbability: probability,
      };
    }
    if (this.inFlight >= this.limit) {
      this.bucket(now).requests++;
      this.concurrencyRejected++;
      return {
        ok: false,
        reason: 'concurrency',
        retryAfterMs: this.bucketMs,
        rejectionProbability: probability,
      };
    }
    this.inFlight++;
    let settled = false;
    const settle = (outcome: 'success' | 'failure' | 'release') => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      if (outcome === 'success') this.onSuccess();
      else if (outcome === 'failure') this.onFailure();
    };
    return {
      ok: true,
      permit: {
        success: () => settle('success'),
        failure: () => settle('failure'),
        release: () => settle('release'),
      },
    };
  }

  private onSuccess(): void {
    this.successes++;
    const bucket = this.bucket(this.clock.now());
    bucket.requests++;
    bucket.accepts++;
    this.limitValue = Math.min(this.maxLimit, this.limitValue + this.increase / Math.max(1, this.limitValue));
  }

  private onFailure(): void {
    this.failures++;
    const now = this.clock.now();
    this.bucket(now).requests++;
    if (now - this.lastDecreaseAt >= this.cooldownMs) {
      this.lastDecreaseAt = now;
      this.limitValue = Math.max(this.minLimit, this.limitValue * this.decrease);
    }
  }

  /** Whether bulk work should go on. */
  health(): ThrottleHealth {
    const p = this.rejectionProbability();
    const level: ThrottleHealthLevel =
      p >= this.emergencyProbability
        ? 'emergency'
        : p > 0 || this.limit < this.initialLimit
          ? 'degraded'
          : 'healthy';
    return { level, rejectionProbability: p, limit: this.limit, inFlight: this.inFlight };
  }

  /** Forgets the window and restores the initial limit. */
  reset(): void {
    this.buckets.length = 0;
    this.limitValue = this.initialLimit;
    this.lastDecreaseAt = Number.NEGATIVE_INFINITY;
  }

  stats(): AdaptiveThrottleStats {
    const { requests, accepts } = this.counts();
    return {
      requests,
      accepts,
      rejectionProbability: this.probability(requests, accepts),
      limit: this.limit,
      inFlight: this.inFlight,
      throttled: this.throttled,
      concurrencyRejected: this.concurrencyRejected,
      successes: this.successes,
      failures: this.failures,
      health: this.health().level,
    };
  }
}
