/** CircuitBreaker: isFailure, caller aborts and stale or twice-settled permits. */
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/core/errors.js';
import { setup } from './circuit-breaker-setup.js';

describe('CircuitBreaker: isFailure, abort and stale permits', () => {
  it('errors rejected by isFailure count as successes', async () => {
    const { breaker } = setup({ failureThreshold: 2, isFailure: (e) => !(e instanceof NotFoundError) });
    for (let i = 0; i < 5; i++) {
      await expect(breaker.execute(() => Promise.reject(new NotFoundError('nope')))).rejects.toThrow('nope');
    }
    expect(breaker.state.name).toBe('closed');
    expect(breaker.stats()).toMatchObject({ successes: 5, failures: 0 });
    breaker.recordFailure(new NotFoundError('x'));
    breaker.recordFailure(new Error('real'));
    breaker.recordFailure(new Error('real'));
    expect(breaker.state.name).toBe('open');
  });

  it('a call aborted by the caller records no outcome', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    const controller = new AbortController();
    const p = breaker.execute(
      (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
      controller.signal,
    );
    controller.abort(new Error('caller gave up'));
    await expect(p).rejects.toThrow('caller gave up');
    expect(breaker.state.name).toBe('closed');
    expect(breaker.stats()).toMatchObject({ failures: 0, successes: 0 });
  });

  it('throws the reason of an already-aborted signal without calling fn', async () => {
    const { breaker } = setup();
    let called = false;
    await expect(
      breaker.execute(
        async () => {
          called = true;
        },
        AbortSignal.abort(new Error('already')),
      ),
    ).rejects.toThrow('already');
    expect(called).toBe(false);
  });

  it('a closed-era failure settling while half_open does not reopen the circuit', async () => {
    const { breaker, clock } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    const slow = breaker.tryAcquire();
    breaker.recordFailure(); // opens
    clock.advance(100);
    expect(breaker.state.name).toBe('half_open');
    if (slow) slow.failure(new Error('late'));
    expect(breaker.state.name).toBe('half_open');
    expect(breaker.stats().failures).toBe(2);
  });

  it('settling a permit twice counts once', () => {
    const { breaker } = setup({ failureThreshold: 2 });
    const p = breaker.tryAcquire();
    if (!p) throw new Error('expected a permit');
    p.failure();
    p.failure();
    p.success();
    expect(p.settled).toBe(true);
    expect(breaker.stats()).toMatchObject({ failures: 1, successes: 0, consecutiveFailures: 1 });
    expect(breaker.state.name).toBe('closed');
  });
});
