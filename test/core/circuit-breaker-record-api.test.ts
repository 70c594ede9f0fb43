/** CircuitBreaker: the low-level record API (recordSuccess, recordFailure) in each state. */
import { describe, expect, it } from 'vitest';
import { setup } from './circuit-breaker-setup.js';

describe('CircuitBreaker: low-level record API', () => {
  it('recordSuccess in half_open without a running probe acts as the probe', () => {
    const { breaker, clock } = setup({ failureThreshold: 2, recoveryTimeoutMs: 100 });
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.isAllowed()).toBe(false);
    clock.advance(100);
    expect(breaker.isAllowed()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state.name).toBe('closed');
  });

  it('recordFailure in half_open settles the running probe and reopens', () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    breaker.recordFailure();
    clock.advance(100);
    const probe = breaker.tryAcquire();
    breaker.recordFailure(new Error('x'));
    expect(breaker.state.name).toBe('open');
    expect(probe).toMatchObject({ settled: true });
    expect(clock.pendingTimers).toBe(0);
  });

  it('outcomes while open change nothing but the counters', () => {
    const { breaker, events } = setup({ failureThreshold: 1 });
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.state.name).toBe('open');
    expect(events).toHaveLength(1);
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 2 });
  });
});
