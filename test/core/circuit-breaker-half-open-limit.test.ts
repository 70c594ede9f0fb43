/**
 * CircuitBreaker: the concurrent half-open limit: how many probes run at once and what each
 * outcome does.
 */
import { describe, expect, it } from 'vitest';
import { deferred, setup } from './circuit-breaker-setup.js';

describe('CircuitBreaker: concurrent half-open limit', () => {
  it('admits halfOpenMaxCalls probes and closes only when all succeed', async () => {
    const { breaker, clock, fail } = setup({
      failureThreshold: 1,
      recoveryTimeoutMs: 100,
      halfOpenMaxCalls: 2,
    });
    await fail();
    clock.advance(100);
    const a = deferred();
    const b = deferred();
    const pa = breaker.execute(() => a.promise);
    const pb = breaker.execute(() => b.promise);
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 2 });
    expect(breaker.tryAcquire()).toBe(false);
    a.resolve('a');
    await pa;
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 1 });
    // one success recorded + one in flight = the budget; no third probe
    expect(breaker.tryAcquire()).toBe(false);
    b.resolve('b');
    await pb;
    expect(breaker.state.name).toBe('closed');
  });

  it('reopens on any probe failure, and ignores the other probe afterwards', async () => {
    const { breaker, clock, fail, events } = setup({
      failureThreshold: 1,
      recoveryTimeoutMs: 100,
      halfOpenMaxCalls: 2,
    });
    await fail();
    clock.advance(100);
    const a = deferred();
    const b = deferred();
    const pa = breaker.execute(() => a.promise);
    const pb = breaker.execute(() => b.promise);
    a.reject(new Error('probe down'));
    await expect(pa).rejects.toThrow('probe down');
    expect(breaker.state.name).toBe('open');
    b.resolve('late');
    await expect(pb).resolves.toBe('late');
    expect(breaker.state.name).toBe('open'); // a stale success must not close it
    expect(events.at(-1)?.reason).toBe('probe_failed');
  });

  it('a released probe frees its slot without closing or opening', () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    breaker.recordFailure(new Error('x'));
    clock.advance(100);
    const permit = breaker.tryAcquire();
    expect(permit).not.toBe(false);
    expect(breaker.tryAcquire()).toBe(false);
    if (permit) permit.release();
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 0 });
    const next = breaker.tryAcquire();
    expect(next).toMatchObject({ issuedIn: 'half_open' });
  });
});
