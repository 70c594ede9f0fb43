/**
 * What happens after a failed attempt: the policy, as a pure function of the job, the error and
 * the options. The worker only carries out the decision.
 */

import { type Classification, classifyError } from '../core/classify.js';
import type { Random } from '../core/clock.js';
import { JobTimeoutError } from '../core/errors.js';
import {
  type BackoffOptions,
  computeRetryDelay,
  createRetryPolicy,
  type RetryPolicy,
} from '../core/retry.js';

/** The decision for a failed attempt. */
export type FailureDecision =
  | { kind: 'retry'; runAt: number; classification: Classification }
  | { kind: 'rate_limited'; runAt: number; classification: Classification }
  | { kind: 'dead_letter'; failureType: string; classification: Classification };

/** Inputs of {@link decideFailure}. */
export interface FailureContext {
  error: unknown;
  attempt: number;
  maxAttempts: number;
  rateLimitDelays: number;
  maxRateLimitDelays: number;
  backoff: BackoffOptions | null;
  defaultPolicy: RetryPolicy;
  now: number;
  random: Random;
}

/**
 * Retry policies by their options' values: each claimed job carries its own copy of the options
 * (decoded from the store), so a cache keyed by the object missed for every failure of a storm.
 */
const policyCache = new Map<string, RetryPolicy>();
/** Distinct options kept at most (a job's options come from a handful of queue and job defaults). */
const POLICY_CACHE_SIZE = 256;

function policyFor(backoff: BackoffOptions | null, fallback: RetryPolicy): RetryPolicy {
  if (backoff === null) return fallback;
  const key = `${backoff.type}|${backoff.delayMs}|${backoff.jitter}|${backoff.jitterRatio}|${backoff.maxDelayMs}`;
  let policy = policyCache.get(key);
  if (!policy) {
    policy = createRetryPolicy(backoff);
    if (policyCache.size >= POLICY_CACHE_SIZE) policyCache.clear();
    policyCache.set(key, policy);
  }
  return policy;
}

/**
 * Permanent errors dead-letter at once. Rate-limit responses reschedule after their Retry-After
 * without spending an attempt, up to `maxRateLimitDelays` times; then they count as failures.
 * Anything else retries with backoff until `maxAttempts` is spent.
 */
export function decideFailure(ctx: FailureContext): FailureDecision {
  const classification = classifyError(ctx.error, ctx.now);
  if (classification.kind === 'permanent')
    return { kind: 'dead_letter', failureType: 'permanent', classification };
  if (classification.kind === 'rate_limited' && ctx.rateLimitDelays < ctx.maxRateLimitDelays) {
    return { kind: 'rate_limited', runAt: ctx.now + classification.retryAfterMs, classification };
  }
  if (ctx.attempt >= ctx.maxAttempts) {
    const failureType =
      classification.kind === 'rate_limited'
        ? 'rate_limit_exhausted'
        : ctx.error instanceof JobTimeoutError
          ? 'timeout'
          : 'retries_exhausted';
    return { kind: 'dead_letter', failureType, classification };
  }
  const delay = computeRetryDelay(policyFor(ctx.backoff, ctx.defaultPolicy), ctx.attempt, ctx.random);
  return { kind: 'retry', runAt: ctx.now + delay, classification };
}
