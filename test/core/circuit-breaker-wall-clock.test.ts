/** CircuitBreaker: wall-clock steps: recovery and the failure-rate window follow elapsed time. */
import { describe, expect, it } from 'vitest';
import { ok, setup } from './circuit-breaker-setup.js';

describe('wall-clock steps', () => {
  it('an open circuit recovers after recoveryTimeoutMs of elapsed time, whatever the wall clock does', async () => {
    const { clock, breaker, fail, events } = setup({ failureThreshold: 1, recoveryTimeoutMs: 5000 });
    await fail();
    expect(breaker.state.name).toBe('open');
    // An hour back: the circuit is not held open for an extra hour.
    clock.stepWallClock(-3_600_000);
    clock.advance(4999);
    expect(breaker.isAllowed()).toBe(false);
    const state = breaker.state;
    // What it reports stays on the wall clock, consistent with now: 1 ms to go.
    expect(state.name === 'open' && state.reopenAt - clock.now()).toBe(1);
    clock.advance(1);
    expect(breaker.isAllowed()).toBe(true);
    expect(breaker.state.name).toBe('half_open');
    expect(events.at(-1)).toMatchObject({ reason: 'recovery_timeout', at: clock.now() });
  });

  it('a wall clock stepped forward does not end the recovery timeout early', async () => {
    const { clock, breaker, fail } = setup({ failureThreshold: 1, recoveryTimeoutMs: 5000 });
    await fail();
    clock.stepWallClock(3_600_000);
    expect(breaker.isAllowed()).toBe(false);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ details: { retryAfterMs: 5000 } });
  });

  it('the failure-rate window counts the last windowMs of elapsed time across a step back', async () => {
    const { clock, breaker, fail } = setup({
      failureThreshold: Number.POSITIVE_INFINITY,
      failureRate: { threshold: 0.5, windowMs: 10_000, minimumCalls: 4 },
    });
    await fail(3);
    clock.stepWallClock(-3_600_000);
    clock.advance(11_000);
    // The three failures left the window 11 s ago: one more failure is one call, below minimumCalls.
    await fail();
    expect(breaker.stats().window).toMatchObject({ calls: 1, failures: 1 });
    expect(breaker.state.name).toBe('closed');
  });
});
