/**
 * Backpressure: turns a queue or buffer depth into a load level. Producers see `elevated` from the
 * start ratio (default 80 % of `maxDepth`) and are refused once the depth reaches `maxDepth`.
 */

import { BackpressureError, ValidationError } from './errors.js';

/** `normal` below the threshold, `elevated` from it, `critical` at or above `maxDepth`. */
export type BackpressureLevel = 'normal' | 'elevated' | 'critical';

/** The load status for one depth reading. */
export type BackpressureStatus = {
  level: BackpressureLevel;
  depth: number;
  maxDepth: number;
  /** `depth / maxDepth` (may exceed 1). */
  utilization: number;
  /** `true` at `critical`: new work should be refused. */
  shouldReject: boolean;
  /** The depth at which backpressure starts (`elevated`). */
  threshold: number;
};

/** Options for {@link BackpressureMonitor}. */
export type BackpressureOptions = {
  /** The depth at which new work is refused; positive (may be `Infinity`). */
  maxDepth: number;
  /** Fraction of `maxDepth` at which the level becomes `elevated`, in (0, 1]; default 0.8. */
  startRatio?: number;
};

/** The default start ratio: backpressure from 80 % depth. */
export const DEFAULT_BACKPRESSURE_START_RATIO = 0.8;

/**
 * Computes the backpressure status of `depth` against validated options. Prefer
 * {@link BackpressureMonitor}, which validates once.
 */
export function computeBackpressure(depth: number, maxDepth: number, startRatio: number): BackpressureStatus {
  // Subtract a hair so that e.g. 0.7 * 10 (= 7.000000000000001) yields 7, not 8.
  const threshold = Number.isFinite(maxDepth) ? Math.ceil(maxDepth * startRatio - 1e-9) : maxDepth;
  const level: BackpressureLevel =
    depth >= maxDepth ? 'critical' : depth >= threshold ? 'elevated' : 'normal';
  return {
    level,
    depth,
    maxDepth,
    utilization: Number.isFinite(maxDepth) ? depth / maxDepth : 0,
    shouldReject: level === 'critical',
    threshold,
  };
}

/** Reports backpressure for a bounded queue or buffer. */
export class BackpressureMonitor {
  /** The depth at which new work is refused. */
  readonly maxDepth: number;
  /** Fraction of `maxDepth` at which backpressure starts. */
  readonly startRatio: number;

  /** @throws ValidationError naming `maxDepth` or `startRatio` when invalid */
  constructor(options: BackpressureOptions) {
    const { maxDepth, startRatio = DEFAULT_BACKPRESSURE_START_RATIO } = options;
    if (typeof maxDepth !== 'number' || Number.isNaN(maxDepth) || maxDepth <= 0) {
      throw new ValidationError('maxDepth', `must be a positive number, got ${String(maxDepth)}`);
    }
    if (typeof startRatio !== 'number' || Number.isNaN(startRatio) || startRatio <= 0 || startRatio > 1) {
      throw new ValidationError('startRatio', `must be in (0, 1], got ${String(startRatio)}`);
    }
    this.maxDepth = maxDepth;
    this.startRatio = startRatio;
  }

  /**
   * The status at `depth`.
   *
   * @throws ValidationError if `depth` is negative or NaN
   */
  check(depth: number): BackpressureStatus {
    assertDepth(depth);
    return computeBackpressure(depth, this.maxDepth, this.startRatio);
  }

  /**
   * Throws if `incoming` more items would take the depth above `maxDepth`; otherwise returns the
   * current status.
   *
   * @throws BackpressureError (503) with the status in `details` when full
   */
  assertAccepting(depth: number, incoming = 1): BackpressureStatus {
    const status = this.check(depth);
    if (depth + incoming > this.maxDepth) {
      throw new BackpressureError(`at capacity: depth ${depth} of ${this.maxDepth}`, { ...status, incoming });
    }
    return status;
  }
}

function assertDepth(depth: number): void {
  if (typeof depth !== 'number' || Number.isNaN(depth) || depth < 0) {
    throw new ValidationError('depth', `must be a non-negative number, got ${String(depth)}`);
  }
}
