/**
 * CircuitBreaker: closed → open: when consecutive failures open the circuit, and what an open
 * circuit refuses.
 */
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/core/errors.js';
import { boom, ok, setup } from './circuit-breaker-setup.js';

describe('CircuitBreaker: closed → open', () => {
  it('opens after failureThreshold consecutive failures (default 5)', async () => {
    const { breaker, fail, t0 } = setup();
    await fail(4);
    expect(breaker.state).toEqual({ name: 'closed' });
    await fail(1);
    expect(breaker.state).toEqual({ name: 'open', openedAt: t0, reopenAt: t0 + 10_000 });
  });

  it('a success resets the consecutive count', async () => {
    const { breaker, fail } = setup({ failureThreshold: 3 });
    await fail(2);
    await breaker.execute(ok);
    await fail(2);
    expect(breaker.state.name).toBe('closed');
    expect(breaker.stats().consecutiveFailures).toBe(2);
    await fail(1);
    expect(breaker.state.name).toBe('open');
  });

  it('refuses calls when open with CircuitOpenError, without calling fn', async () => {
    const { breaker, clock, fail } = setup({ failureThreshold: 1, name: 'payments' });
    await fail();
    clock.advance(4000);
    let called = false;
    const err = await breaker
      .execute(async () => {
        called = true;
      })
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).status).toBe(503);
    expect((err as CircuitOpenError).message).toContain('payments');
    expect((err as CircuitOpenError).details).toMatchObject({ state: 'open', retryAfterMs: 6000 });
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.isAllowed()).toBe(false);
    expect(breaker.stats().rejections).toBe(2);
  });

  it('passes values and errors through', async () => {
    const { breaker } = setup();
    await expect(breaker.execute(async () => 42)).resolves.toBe(42);
    await expect(breaker.execute(boom)).rejects.toThrow('boom');
  });

  it('counts a synchronous throw as a failure', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    await expect(
      breaker.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(breaker.state.name).toBe('open');
  });
});
