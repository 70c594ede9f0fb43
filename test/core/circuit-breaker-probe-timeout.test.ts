/**
 * CircuitBreaker: the probe timeout: a probe that never settles fails, aborts its signal and
 * reopens the circuit.
 */
import { describe, expect, it } from 'vitest';
import { ok, setup } from './circuit-breaker-setup.js';

describe('CircuitBreaker: probe timeout', () => {
  it('fails a probe that never settles and aborts its signal', async () => {
    const { breaker, clock, fail, events, t0 } = setup({
      failureThreshold: 1,
      recoveryTimeoutMs: 1000,
      probeTimeoutMs: 3000,
    });
    await fail();
    clock.advance(1000);
    let seen: AbortSignal | undefined;
    const never = breaker.execute((signal) => {
      seen = signal;
      return new Promise<never>(() => {});
    });
    void never;
    expect(breaker.state.name).toBe('half_open');
    clock.advance(2999);
    expect(breaker.state.name).toBe('half_open');
    expect(seen?.aborted).toBe(false);
    clock.advance(1);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(DOMException);
    expect(seen?.reason).toMatchObject({ name: 'TimeoutError' });
    expect(events.at(-1)).toMatchObject({ to: { name: 'open' }, reason: 'probe_timeout', at: t0 + 4000 });
    expect(breaker.stats()).toMatchObject({ probeTimeouts: 1, state: 'open' });
    // and it recovers: after the recovery timeout a new probe is admitted and can close the circuit
    clock.advance(1000);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state.name).toBe('closed');
  });

  it('expires a stuck low-level permit lazily even if no timer fires', () => {
    const { breaker, clock, t0 } = setup({
      failureThreshold: 1,
      recoveryTimeoutMs: 1000,
      probeTimeoutMs: 2000,
    });
    breaker.recordFailure();
    clock.advance(1000);
    const stuck = breaker.tryAcquire();
    expect(stuck).not.toBe(false);
    // jump far ahead without firing timers: the probe expired at t0+3000, reopened until t0+4000
    clock.set(t0 + 3500);
    expect(breaker.state).toEqual({ name: 'open', openedAt: t0 + 3000, reopenAt: t0 + 4000 });
    clock.set(t0 + 60_000);
    const fresh = breaker.tryAcquire();
    expect(fresh).toMatchObject({ issuedIn: 'half_open' });
    // the stuck permit settling late changes nothing
    if (stuck) stuck.success();
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 1 });
    if (fresh) fresh.success();
    expect(breaker.state.name).toBe('closed');
  });

  it('clears the probe timer when the probe settles', async () => {
    const { breaker, clock, fail } = setup({ failureThreshold: 1, recoveryTimeoutMs: 10 });
    await fail();
    clock.advance(10);
    const p = breaker.execute(ok);
    expect(clock.pendingTimers).toBe(1);
    await p;
    expect(clock.pendingTimers).toBe(0);
  });
});
