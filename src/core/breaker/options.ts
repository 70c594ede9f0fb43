/** Validation and defaults for circuit breaker options. */

import { type Clock, systemClock } from '../clock.js';
import { ValidationError } from '../errors.js';
import type { CircuitBreakerOptions, FailureRateOptions } from './types.js';

/** Circuit breaker options with every default applied. */
export type ResolvedBreakerOptions = {
  name: string | undefined;
  failureThreshold: number;
  failureRate: FailureRateOptions | undefined;
  recoveryTimeoutMs: number;
  halfOpenMaxCalls: number;
  probeTimeoutMs: number;
  isFailure: ((error: unknown) => boolean) | undefined;
  clock: Clock;
};

/** Default circuit breaker settings. */
export const BREAKER_DEFAULTS = Object.freeze({
  failureThreshold: 5,
  recoveryTimeoutMs: 10_000,
  halfOpenMaxCalls: 1,
  probeTimeoutMs: 10_000,
});

function num(field: string, value: unknown, check: (n: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !check(value)) {
    throw new ValidationError(field, `must be ${expected}, got ${String(value)}`);
  }
  return value;
}

const positiveInt = (n: number) => Number.isInteger(n) && n >= 1;

/**
 * Applies defaults and validates.
 *
 * @throws ValidationError naming the offending field
 */
export function resolveBreakerOptions(options: CircuitBreakerOptions = {}): ResolvedBreakerOptions {
  const failureThreshold = num(
    'failureThreshold',
    options.failureThreshold ?? BREAKER_DEFAULTS.failureThreshold,
    (n) => positiveInt(n) || n === Number.POSITIVE_INFINITY,
    'a positive integer or Infinity',
  );
  let failureRate: FailureRateOptions | undefined;
  if (options.failureRate !== undefined) {
    const r = options.failureRate;
    failureRate = {
      threshold: num('failureRate.threshold', r.threshold, (n) => n > 0 && n <= 1, 'in (0, 1]'),
      windowMs: num(
        'failureRate.windowMs',
        r.windowMs,
        (n) => n > 0 && Number.isFinite(n),
        'a positive number',
      ),
      minimumCalls: num('failureRate.minimumCalls', r.minimumCalls, positiveInt, 'a positive integer'),
    };
  }
  const finiteNonNegative = (n: number) => n >= 0 && Number.isFinite(n);
  return {
    name: options.name,
    failureThreshold,
    failureRate,
    recoveryTimeoutMs: num(
      'recoveryTimeoutMs',
      options.recoveryTimeoutMs ?? BREAKER_DEFAULTS.recoveryTimeoutMs,
      finiteNonNegative,
      'a non-negative number',
    ),
    halfOpenMaxCalls: num(
      'halfOpenMaxCalls',
      options.halfOpenMaxCalls ?? BREAKER_DEFAULTS.halfOpenMaxCalls,
      positiveInt,
      'a positive integer',
    ),
    probeTimeoutMs: num(
      'probeTimeoutMs',
      options.probeTimeoutMs ?? BREAKER_DEFAULTS.probeTimeoutMs,
      (n) => n > 0 && Number.isFinite(n),
      'a positive number',
    ),
    isFailure: options.isFailure,
    clock: options.clock ?? systemClock,
  };
}
