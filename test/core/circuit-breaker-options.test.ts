/** CircuitBreaker: option validation and the Infinity threshold. */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/core/circuit-breaker.js';
import { setup } from './circuit-breaker-setup.js';

describe('CircuitBreaker: options', () => {
  it.each([
    [{ failureThreshold: 0 }, 'failureThreshold'],
    [{ failureThreshold: 1.5 }, 'failureThreshold'],
    [{ recoveryTimeoutMs: -1 }, 'recoveryTimeoutMs'],
    [{ halfOpenMaxCalls: 0 }, 'halfOpenMaxCalls'],
    [{ probeTimeoutMs: 0 }, 'probeTimeoutMs'],
    [{ probeTimeoutMs: Number.POSITIVE_INFINITY }, 'probeTimeoutMs'],
    [{ failureRate: { threshold: 0, windowMs: 1000, minimumCalls: 1 } }, 'failureRate.threshold'],
    [{ failureRate: { threshold: 0.5, windowMs: 0, minimumCalls: 1 } }, 'failureRate.windowMs'],
    [{ failureRate: { threshold: 0.5, windowMs: 1000, minimumCalls: 0 } }, 'failureRate.minimumCalls'],
  ])('rejects %o naming %s', (opts, field) => {
    expect(() => new CircuitBreaker(opts)).toThrowError(expect.objectContaining({ field }));
  });

  it('Infinity disables the consecutive-failure rule', async () => {
    const { breaker, fail } = setup({ failureThreshold: Number.POSITIVE_INFINITY });
    await fail(50);
    expect(breaker.state.name).toBe('closed');
  });
});
