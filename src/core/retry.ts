/**
 * Retry timing: how long to wait before attempt `n + 1` after attempt `n` failed. Pure; randomness is
 * injected so that tests are reproducible.
 */

import { type Random, systemRandom } from './clock.js';
import { ValidationError } from './errors.js';

/**
 * How a delay is spread out to avoid a thundering herd of synchronized retries:
 * - `proportional`: uniform in `delay * (1 ± jitterRatio)`;
 * - `full`: uniform in `[0, delay]` (AWS "full jitter");
 * - `none`: exactly `delay`.
 */
export type JitterMode = 'proportional' | 'full' | 'none';

/** User-facing backoff options (as accepted by job and queue options). */
export type BackoffOptions = {
  /** `exponential`: `delayMs * 2^(attempt-1)`; `fixed`: always `delayMs`. */
  type: 'exponential' | 'fixed';
  /** Base delay in milliseconds. */
  delayMs: number;
  /** Jitter mode; default `proportional`. */
  jitter?: JitterMode;
  /** Fraction used by `proportional` jitter, in [0, 1]; default 0.2 (±20 %). */
  jitterRatio?: number;
  /** Upper bound on any delay in milliseconds (may be `Infinity`); default 3 600 000 (1 h). */
  maxDelayMs?: number;
};

/** Every key of {@link BackoffOptions}. */
export const BACKOFF_OPTION_KEYS: ReadonlySet<string> = new Set<keyof BackoffOptions>([
  'type',
  'delayMs',
  'jitter',
  'jitterRatio',
  'maxDelayMs',
]);

/** A validated, fully resolved retry policy. Create it with {@link createRetryPolicy}. */
export type RetryPolicy = {
  readonly kind: 'exponential' | 'fixed';
  readonly baseDelayMs: number;
  readonly jitter: JitterMode;
  readonly jitterRatio: number;
  readonly maxDelayMs: number;
};

/** The default cap on a retry delay: one hour. */
export const DEFAULT_MAX_DELAY_MS = 3_600_000;

/** The default backoff: exponential from 1 s, ±20 % jitter, capped at 1 h. */
export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = Object.freeze({
  type: 'exponential',
  delayMs: 1000,
  jitter: 'proportional',
  jitterRatio: 0.2,
  maxDelayMs: DEFAULT_MAX_DELAY_MS,
});

const JITTER_MODES: readonly JitterMode[] = ['proportional', 'full', 'none'];

function assertNonNegative(field: string, value: number, allowInfinity: boolean): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new ValidationError(field, `must be a non-negative number, got ${String(value)}`);
  }
  if (!allowInfinity && !Number.isFinite(value)) {
    throw new ValidationError(field, 'must be finite');
  }
}

/**
 * Validates backoff options and fills in defaults from {@link DEFAULT_BACKOFF}.
 *
 * @throws ValidationError naming the offending field (`backoff.delayMs`, `backoff.jitterRatio`, ...)
 */
export function createRetryPolicy(opts: Partial<BackoffOptions> = {}): RetryPolicy {
  const kind = opts.type ?? DEFAULT_BACKOFF.type;
  if (kind !== 'exponential' && kind !== 'fixed') {
    throw new ValidationError('backoff.type', `must be 'exponential' or 'fixed', got ${String(kind)}`);
  }
  const baseDelayMs = opts.delayMs ?? DEFAULT_BACKOFF.delayMs;
  assertNonNegative('backoff.delayMs', baseDelayMs, false);
  const jitter = opts.jitter ?? DEFAULT_BACKOFF.jitter;
  if (!JITTER_MODES.includes(jitter)) {
    throw new ValidationError('backoff.jitter', `must be one of ${JITTER_MODES.join(', ')}`);
  }
  const jitterRatio = opts.jitterRatio ?? DEFAULT_BACKOFF.jitterRatio;
  assertNonNegative('backoff.jitterRatio', jitterRatio, false);
  if (jitterRatio > 1) throw new ValidationError('backoff.jitterRatio', 'must be at most 1');
  const maxDelayMs = opts.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs;
  assertNonNegative('backoff.maxDelayMs', maxDelayMs, true);
  return Object.freeze({ kind, baseDelayMs, jitter, jitterRatio, maxDelayMs });
}

/**
 * The delay before the next attempt after attempt number `attempt` (1-based) failed, in whole
 * milliseconds. Never negative and never above `policy.maxDelayMs`.
 *
 * @param attempt the attempt that just failed, an integer >= 1
 * @throws ValidationError if `attempt` is not an integer >= 1
 */
export function computeRetryDelay(
  policy: RetryPolicy,
  attempt: number,
  random: Random = systemRandom,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new ValidationError('attempt', `must be an integer >= 1, got ${String(attempt)}`);
  }
  const raw =
    policy.kind === 'fixed' ? policy.baseDelayMs : policy.baseDelayMs * 2 ** Math.min(attempt - 1, 1023);
  const capped = Math.min(raw, policy.maxDelayMs, Number.MAX_SAFE_INTEGER);
  let delay: number;
  switch (policy.jitter) {
    case 'none':
      delay = capped;
      break;
    case 'full':
      delay = random.next() * capped;
      break;
    case 'proportional':
      delay = capped * (1 + policy.jitterRatio * (2 * random.next() - 1));
      break;
  }
  return Math.max(0, Math.min(Math.round(delay), policy.maxDelayMs, Number.MAX_SAFE_INTEGER));
}
