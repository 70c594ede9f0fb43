/** CircuitBreaker: operator controls: forceOpen, disable and reset. */
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/core/errors.js';
import { ok, setup } from './circuit-breaker-setup.js';

describe('CircuitBreaker: operator controls', () => {
  it('forceOpen refuses calls regardless of time until reset', async () => {
    const { breaker, clock, events } = setup();
    breaker.forceOpen('maintenance');
    expect(breaker.state).toEqual({ name: 'forced_open', reason: 'maintenance' });
    clock.advance(1_000_000);
    const err = await breaker.execute(ok).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).details).toMatchObject({ state: 'forced_open', reason: 'maintenance' });
    breaker.forceOpen('still maintenance');
    expect(breaker.state).toEqual({ name: 'forced_open', reason: 'still maintenance' });
    breaker.reset();
    expect(breaker.state).toEqual({ name: 'closed' });
    expect(events.map((e) => e.reason)).toEqual(['forced', 'reset']);
  });

  it('disable lets everything through and ignores failures until reset', async () => {
    const { breaker, fail } = setup({ failureThreshold: 1 });
    breaker.disable();
    await fail(10);
    expect(breaker.state).toEqual({ name: 'disabled' });
    expect(breaker.isAllowed()).toBe(true);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    breaker.reset();
    await fail(1);
    expect(breaker.state.name).toBe('open');
  });

  it('reset while closed clears the consecutive count', async () => {
    const { breaker, fail } = setup({ failureThreshold: 3 });
    await fail(2);
    breaker.reset();
    await fail(2);
    expect(breaker.state.name).toBe('closed');
  });
});
