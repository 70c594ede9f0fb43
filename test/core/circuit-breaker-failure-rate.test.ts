/** CircuitBreaker: the failure-rate rule: minimum calls, threshold and the sliding window. */
import { describe, expect, it } from 'vitest';
import { ok, setup } from './circuit-breaker-setup.js';

describe('CircuitBreaker: failure rate', () => {
  const failureRate = { threshold: 0.5, windowMs: 10_000, minimumCalls: 10 };

  it('does not open before minimumCalls, then opens at the threshold', async () => {
    const { breaker, fail, events } = setup({ failureThreshold: 100, failureRate });
    for (let i = 0; i < 4; i++) {
      await fail();
      await breaker.execute(ok);
    }
    await fail(); // 5 failures of 9 calls: above the rate, below minimumCalls
    expect(breaker.state.name).toBe('closed');
    expect(breaker.stats().window).toEqual({ calls: 9, failures: 5, failureRate: 5 / 9 });
    await breaker.execute(ok); // 5 of 10 = 0.5, but only failures trip the rule
    expect(breaker.state.name).toBe('closed');
    await fail(); // 6 of 11
    expect(breaker.state.name).toBe('open');
    expect(events[0]?.reason).toBe('failure_rate');
  });

  it('stays closed below the threshold', async () => {
    const { breaker, fail } = setup({ failureThreshold: 100, failureRate });
    for (let i = 0; i < 20; i++) {
      await fail();
      await breaker.execute(ok);
      await breaker.execute(ok);
    }
    expect(breaker.state.name).toBe('closed');
  });

  it('forgets outcomes older than the window', async () => {
    const { breaker, clock, fail } = setup({ failureThreshold: 100, failureRate });
    await fail(9);
    clock.advance(11_000);
    expect(breaker.stats().window).toEqual({ calls: 0, failures: 0, failureRate: 0 });
    await fail(1); // would be 10 of 10 if old failures still counted
    expect(breaker.state.name).toBe('closed');
  });
});
