import { describe, expect, it } from 'vitest';
import { AdaptiveThrottle, createSeededRandom, FakeClock, ValidationError } from '../../src/index.js';

function make(options: ConstructorParameters<typeof AdaptiveThrottle>[0] = {}) {
  const clock = new FakeClock();
  const throttle = new AdaptiveThrottle({ clock, random: createSeededRandom(7), ...options });
  return { clock, throttle };
}

/** Makes `n` calls that all get the given outcome (permits that are refused count as requests only). */
function calls(throttle: AdaptiveThrottle, n: number, outcome: 'success' | 'failure') {
  let refused = 0;
  for (let i = 0; i < n; i++) {
    const d = throttle.tryAcquire();
    if (!d.ok) {
      refused++;
      continue;
    }
    if (outcome === 'success') d.permit.success();
    else d.permit.failure();
  }
  return refused;
}

describe('AdaptiveThrottle: client-side throttling', () => {
  it('never sheds while the downstream accepts everything', () => {
    const { throttle } = make();
    expect(calls(throttle, 500, 'success')).toBe(0);
    expect(throttle.rejectionProbability()).toBe(0);
    expect(throttle.health().level).toBe('healthy');
  });

  it('follows max(0, (requests - K*accepts) / (requests + 1)) over the window', () => {
    const { throttle } = make({ k: 2, maxLimit: 1000, initialLimit: 1000, minRequests: 0 });
    calls(throttle, 10, 'success');
    // 10 requests, 10 accepts: 10 - 20 < 0.
    expect(throttle.rejectionProbability()).toBe(0);
    // 30 failures while the probability is still 0 for the first ones; count what the formula says.
    for (let i = 0; i < 30; i++) {
      const d = throttle.tryAcquire();
      if (d.ok) d.permit.failure();
    }
    const { requests, accepts } = throttle.stats();
    expect(requests).toBe(40);
    expect(accepts).toBe(10);
    expect(throttle.rejectionProbability()).toBeCloseTo((40 - 2 * 10) / 41, 10);
  });

  it('sheds a growing share as failures pile up, and reports emergency', () => {
    const { throttle } = make({ emergencyProbability: 0.5 });
    const refused = calls(throttle, 400, 'failure');
    expect(refused).toBeGreaterThan(250);
    expect(throttle.rejectionProbability()).toBeGreaterThan(0.9);
    expect(throttle.health().level).toBe('emergency');
    const d = throttle.tryAcquire();
    if (!d.ok) {
      expect(d.reason).toBe('throttled');
      expect(d.retryAfterMs).toBeGreaterThan(0);
    }
  });

  it('sheds nothing below minRequests', () => {
    const { throttle } = make({ minRequests: 10 });
    expect(calls(throttle, 9, 'failure')).toBe(0);
    expect(throttle.rejectionProbability()).toBe(0);
    calls(throttle, 1, 'failure');
    expect(throttle.rejectionProbability()).toBeCloseTo(10 / 11, 10);
  });

  it('counts a permitted call when it settles, not while it is in flight', () => {
    const { throttle } = make({ minRequests: 0, initialLimit: 5 });
    const held = [throttle.tryAcquire(), throttle.tryAcquire(), throttle.tryAcquire()];
    expect(held.every((d) => d.ok)).toBe(true);
    expect(throttle.stats().requests).toBe(0);
    for (const d of held) if (d.ok) d.permit.success();
    expect(throttle.stats()).toMatchObject({ requests: 3, accepts: 3, inFlight: 0 });
  });

  it('forgets old requests as the window slides on the fake clock', () => {
    const { throttle, clock } = make({ windowMs: 10_000, bucketMs: 1000 });
    calls(throttle, 100, 'failure');
    expect(throttle.rejectionProbability()).toBeGreaterThan(0.5);
    clock.advance(5_000);
    expect(throttle.rejectionProbability()).toBeGreaterThan(0.5);
    clock.advance(6_000);
    expect(throttle.rejectionProbability()).toBe(0);
    expect(throttle.stats().requests).toBe(0);
  });

  it('recovers once the downstream accepts again', () => {
    const { throttle, clock } = make({ windowMs: 10_000, bucketMs: 1000 });
    calls(throttle, 50, 'failure');
    for (let s = 0; s < 25; s++) {
      clock.advance(1000);
      calls(throttle, 20, 'success');
    }
    expect(throttle.rejectionProbability()).toBe(0);
    expect(throttle.health().level).not.toBe('emergency');
  });
});

describe('AdaptiveThrottle: AIMD concurrency', () => {
  it('refuses beyond the limit and frees a slot when a permit settles (once)', () => {
    const { throttle } = make({ initialLimit: 2, minLimit: 1, maxLimit: 10 });
    const a = throttle.tryAcquire();
    const b = throttle.tryAcquire();
    const c = throttle.tryAcquire();
    expect(a.ok && b.ok).toBe(true);
    expect(c).toMatchObject({ ok: false, reason: 'concurrency' });
    if (!a.ok) throw new Error('a');
    a.permit.release();
    a.permit.release();
    expect(throttle.stats().inFlight).toBe(1);
    expect(throttle.tryAcquire().ok).toBe(true);
    expect(throttle.stats().concurrencyRejected).toBe(1);
  });

  it('increases additively per round of successes and halves on failure, once per cooldown', () => {
    const { throttle, clock } = make({
      initialLimit: 4,
      minLimit: 1,
      maxLimit: 64,
      decreaseCooldownMs: 1000,
    });
    // One success adds 1/limit: about a limit's worth of successes adds one call.
    calls(throttle, 5, 'success');
    expect(throttle.limit).toBe(5);
    calls(throttle, 40, 'success');
    expect(throttle.limit).toBeGreaterThan(8);
    const before = throttle.limit;
    const d1 = throttle.tryAcquire();
    const d2 = throttle.tryAcquire();
    if (!d1.ok || !d2.ok) throw new Error('permits');
    d1.permit.failure();
    d2.permit.failure();
    // Two failures in the same cooldown are one signal.
    expect(throttle.limit).toBe(Math.floor(before / 2));
    clock.advance(1000);
    const d3 = throttle.tryAcquire();
    if (!d3.ok) throw new Error('permit');
    d3.permit.failure();
    expect(throttle.limit).toBe(Math.max(1, Math.floor(Math.floor(before / 2) / 2)));
    expect(throttle.health().level).toBe('degraded');
  });

  it('never goes below minLimit nor above maxLimit', () => {
    const { throttle, clock } = make({ initialLimit: 3, minLimit: 2, maxLimit: 4, decreaseCooldownMs: 0 });
    for (let i = 0; i < 10; i++) {
      clock.advance(1);
      const d = throttle.tryAcquire();
      if (d.ok) d.permit.failure();
    }
    expect(throttle.limit).toBe(2);
    throttle.reset();
    calls(throttle, 1000, 'success');
    expect(throttle.limit).toBe(4);
  });
});

describe('AdaptiveThrottle: options', () => {
  it.each([
    [{ k: 0.5 }, 'k'],
    [{ windowMs: 0 }, 'windowMs'],
    [{ minLimit: 0 }, 'minLimit'],
    [{ minLimit: 5, maxLimit: 2 }, 'maxLimit'],
    [{ initialLimit: 500 }, 'initialLimit'],
    [{ decrease: 1 }, 'decrease'],
    [{ emergencyProbability: 0 }, 'emergencyProbability'],
  ])('rejects %o naming %s', (options, field) => {
    expect(() => new AdaptiveThrottle(options)).toThrow(ValidationError);
    try {
      new AdaptiveThrottle(options);
    } catch (error) {
      expect((error as ValidationError).field).toBe(field);
    }
  });
});
