/**
 * A bounded in-memory buffer in front of replay: producers `enqueue` work (dead-letter ids, raw
 * payloads ...), a consumer `dequeue`s it at its own pace. It refuses work when full (default
 * 10 000 items) or when more than `rateLimit` items arrived in the sliding window (default 1000
 * per 60 s), and reports backpressure from 80 % depth so producers can slow down before refusals.
 * Each instance is independent: there is no module-level singleton. Single-threaded JavaScript
 * needs no lock; every method is synchronous.
 */
import { computeBackpressure } from '../core/backpressure.js';
import { type Clock, systemClock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { SlidingWindowLimiter } from '../core/rate-limit/sliding-window.js';

/** Options of {@link ReplayQueue}. */
export interface ReplayQueueOptions {
  /** Most items held; further enqueues are refused. Default 10 000. */
  maxDepth?: number;
  /** Most enqueues per window. Default 1000. */
  rateLimit?: number;
  /** The sliding window. Default 60 000 ms. */
  rateWindowMs?: number;
  /** Depth ratio (0..1] from which backpressure is reported. Default 0.8. */
  backpressureThreshold?: number;
  /** Enforce the rate limit. Default true. */
  rateLimitingEnabled?: boolean;
  clock?: Clock;
}

/** Defaults of the replay queue (from the seed). */
export const REPLAY_QUEUE_DEFAULTS = {
  maxDepth: 10_000,
  rateLimit: 1000,
  rateWindowMs: 60_000,
  backpressureThreshold: 0.8,
} as const;

/** One buffered item. */
export interface ReplayQueueEntry<T> {
  /** Monotonic sequence number. */
  seq: number;
  item: T;
  /** Who produced it. */
  source: string;
  enqueuedAt: number;
}

/** The answer of {@link ReplayQueue.enqueue}. */
export type EnqueueResult =
  | { accepted: true; seq: number; depth: number; backpressure: boolean }
  | { accepted: false; reason: 'full'; depth: number; retryAfterMs: null }
  | { accepted: false; reason: 'rate_limited'; depth: number; retryAfterMs: number };

/** Backpressure of the buffer. */
export interface ReplayBackpressureStatus {
  /** Depth is at or above the threshold. */
  active: boolean;
  queueDepth: number;
  maxDepth: number;
  /** Age of the oldest buffered item, in seconds (how far the consumer is behind). */
  consumerLagSeconds: number;
  /** 0 below the threshold, rising linearly to 100 at `maxDepth`. */
  throttlePercent: number;
}

/** Rate limiting of the buffer. */
export interface ReplayRateLimitStatus {
  enabled: boolean;
  /** Enqueues accepted in the current window. */
  currentRate: number;
  limit: number;
  /** Enqueues refused by the rate limit since creation. */
  rejectedCount: number;
  windowSeconds: number;
  /** Milliseconds until an enqueue can pass the limit again (0 if it can now). */
  retryAfterMs: number;
}

/** Overall statistics. */
export interface ReplayQueueStats {
  depth: number;
  maxDepth: number;
  enqueued: number;
  dequeued: number;
  rejectedFull: number;
  rejectedRateLimited: number;
  /** Enqueues per source since creation. */
  bySource: Record<string, number>;
  backpressure: ReplayBackpressureStatus;
  rateLimit: ReplayRateLimitStatus;
}

/** A bounded FIFO buffer with a sliding-window rate limit and backpressure status. */
export class ReplayQueue<T = unknown> {
  readonly maxDepth: number;
  readonly rateLimit: number;
  readonly rateWindowMs: number;
  readonly backpressureThreshold: number;
  readonly rateLimitingEnabled: boolean;
  private readonly clock: Clock;
  private readonly limiter: SlidingWindowLimiter;
  private ring: (ReplayQueueEntry<T> | undefined)[];
  private head = 0;
  private size = 0;
  private seq = 0;
  private enqueued = 0;
  private dequeued = 0;
  private rejectedFull = 0;
  private rejectedRateLimited = 0;
  private readonly bySource = new Map<string, number>();

  /** @throws ValidationError naming the offending option */
  constructor(options: ReplayQueueOptions = {}) {
    const maxDepth = options.maxDepth ?? REPLAY_QUEUE_DEFAULTS.maxDepth;
    const rateLimit = options.rateLimit ?? REPLAY_QUEUE_DEFAULTS.rateLimit;
    const rateWindowMs = options.rateWindowMs ?? REPLAY_QUEUE_DEFAULTS.rateWindowMs;
    const threshold = options.backpressureThreshold ?? REPLAY_QUEUE_DEFAULTS.backpressureThreshold;
    if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > 10_000_000)
      throw new ValidationError(
        'maxDepth',
        `must be an integer from 1 to 10 000 000, got ${String(maxDepth)}`,
      );
    if (!Number.isInteger(rateLimit) || rateLimit < 1)
      throw new ValidationError('rateLimit', `must be a positive integer, got ${String(rateLimit)}`);
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1))
      throw new ValidationError('backpressureThreshold', `must be in (0, 1], got ${String(threshold)}`);
    this.maxDepth = maxDepth;
    this.rateLimit = rateLimit;
    this.rateWindowMs = rateWindowMs;
    this.backpressureThreshold = threshold;
    this.rateLimitingEnabled = options.rateLimitingEnabled ?? true;
    this.clock = options.clock ?? systemClock;
    this.limiter = new SlidingWindowLimiter({ limit: rateLimit, windowMs: rateWindowMs, clock: this.clock });
    this.ring = new Array(Math.min(maxDepth, 1024));
  }

  /** Items buffered. */
  get depth(): number {
    return this.size;
  }

  /** Adds an item, or says why not (`full`, `rate_limited` with `retryAfterMs`). */
  enqueue(item: T, source = 'unknown'): EnqueueResult {
    if (this.size >= this.maxDepth) {
      this.rejectedFull++;
      return { accepted: false, reason: 'full', depth: this.size, retryAfterMs: null };
    }
    if (this.rateLimitingEnabled && !this.limiter.tryAcquire()) {
      this.rejectedRateLimited++;
      return {
        accepted: false,
        reason: 'rate_limited',
        depth: this.size,
        retryAfterMs: this.limiter.retryAfterMs(),
      };
    }
    if (this.size === this.ring.length) this.grow();
    const entry: ReplayQueueEntry<T> = { seq: ++this.seq, item, source, enqueuedAt: this.clock.now() };
    this.ring[(this.head + this.size) % this.ring.length] = entry;
    this.size++;
    this.enqueued++;
    this.bySource.set(source, (this.bySource.get(source) ?? 0) + 1);
    return { accepted: true, seq: entry.seq, depth: this.size, backpressure: this.backpressureActive() };
  }

  private grow(): void {
    const next: (ReplayQueueEntry<T> | undefined)[] = new Array(
      Math.min(this.maxDepth, this.ring.length * 2),
    );
    for (let i = 0; i < this.size; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = next;
    this.head = 0;
  }

  /** The oldest item, removed; null when empty. */
  dequeue(): ReplayQueueEntry<T> | null {
    if (this.size === 0) return null;
    const entry = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
    this.dequeued++;
    return entry;
  }

  /** Up to `max` oldest items, removed. */
  dequeueBatch(max: number): ReplayQueueEntry<T>[] {
    const out: ReplayQueueEntry<T>[] = [];
    while (out.length < max && this.size > 0) out.push(this.dequeue()!);
    return out;
  }

  /** The oldest item without removing it. */
  peek(): ReplayQueueEntry<T> | null {
    return this.size === 0 ? null : this.ring[this.head]!;
  }

  private backpressureActive(): boolean {
    return computeBackpressure(this.size, this.maxDepth, this.backpressureThreshold).level !== 'normal';
  }

  backpressureStatus(): ReplayBackpressureStatus {
    const status = computeBackpressure(this.size, this.maxDepth, this.backpressureThreshold);
    const oldest = this.peek();
    const span = this.maxDepth - status.threshold;
    const throttlePercent =
      status.level === 'normal'
        ? 0
        : span <= 0
          ? 100
          : Math.min(100, ((this.size - status.threshold) / span) * 100);
    return {
      active: status.level !== 'normal',
      queueDepth: this.size,
      maxDepth: this.maxDepth,
      consumerLagSeconds: oldest ? Math.max(0, this.clock.now() - oldest.enqueuedAt) / 1000 : 0,
      throttlePercent,
    };
  }

  rateLimitStatus(): ReplayRateLimitStatus {
    const stats = this.limiter.stats();
    return {
      enabled: this.rateLimitingEnabled,
      currentRate: stats.used,
      limit: this.rateLimit,
      rejectedCount: this.rejectedRateLimited,
      windowSeconds: this.rateWindowMs / 1000,
      retryAfterMs: this.rateLimitingEnabled ? stats.retryAfterMs : 0,
    };
  }

  stats(): ReplayQueueStats {
    return {
      depth: this.size,
      maxDepth: this.maxDepth,
      enqueued: this.enqueued,
      dequeued: this.dequeued,
      rejectedFull: this.rejectedFull,
      rejectedRateLimited: this.rejectedRateLimited,
      bySource: Object.fromEntries(this.bySource),
      backpressure: this.backpressureStatus(),
      rateLimit: this.rateLimitStatus(),
    };
  }

  /** Drops every buffered item; returns how many. */
  clear(): number {
    const n = this.size;
    this.ring.fill(undefined);
    this.head = 0;
    this.size = 0;
    return n;
  }
}
