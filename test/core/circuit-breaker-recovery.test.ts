/**
 * CircuitBreaker: recovery: open → half_open after the recovery timeout, and the probe that closes
 * or reopens it.
 */
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/core/errors.js';
import { deferred, ok, setup } from './circuit-breaker-setup.js';

describe('CircuitBreaker: recovery', () => {
  it('moves to half_open lazily once the recovery timeout has passed', async () => {
    const { breaker, clock, fail, events } = setup({ failureThreshold: 1, recoveryTimeoutMs: 5000 });
    await fail();
    clock.advance(4999);
    expect(breaker.state.name).toBe('open');
    expect(clock.pendingTimers).toBe(0); // no timer is needed for the transition
    clock.advance(1);
    expect(events).toHaveLength(1);
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 0 });
    expect(events.map((e) => e.reason)).toEqual(['failure_threshold', 'recovery_timeout']);
  });

  it('closes when the probe succeeds', async () => {
    const { breaker, clock, fail, events } = setup({ failureThreshold: 1, recoveryTimeoutMs: 1000 });
    await fail();
    clock.advance(1000);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toEqual({ name: 'closed' });
    expect(events.map((e) => [e.from.name, e.to.name, e.reason])).toEqual([
      ['closed', 'open', 'failure_threshold'],
      ['open', 'half_open', 'recovery_timeout'],
      ['half_open', 'closed', 'probes_succeeded'],
    ]);
    expect(breaker.stats().consecutiveFailures).toBe(0);
  });

  it('reopens when the probe fails, with a fresh recovery timeout', async () => {
    const { breaker, clock, fail, t0 } = setup({ failureThreshold: 1, recoveryTimeoutMs: 1000 });
    await fail();
    clock.advance(1500);
    await fail();
    expect(breaker.state).toEqual({ name: 'open', openedAt: t0 + 1500, reopenAt: t0 + 2500 });
    expect(breaker.stats().lastStateChangeReason).toBe('probe_failed');
  });

  it('admits only one probe at a time by default', async () => {
    const { breaker, clock, fail } = setup({ failureThreshold: 1, recoveryTimeoutMs: 1000 });
    await fail();
    clock.advance(1000);
    const probe = deferred();
    const running = breaker.execute(() => probe.promise);
    expect(breaker.state).toEqual({ name: 'half_open', inFlight: 1 });
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(breaker.isAllowed()).toBe(false);
    probe.resolve('done');
    await expect(running).resolves.toBe('done');
    expect(breaker.state.name).toBe('closed');
  });
});
