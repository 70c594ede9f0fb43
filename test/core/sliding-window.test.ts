import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { SlidingWindowLimiter } from '../../src/core/rate-limit/sliding-window.js';

describe('SlidingWindowLimiter', () => {
  it('allows `limit` acquisitions per window', () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 3, windowMs: 1000, clock });
    expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([true, true, true]);
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.remaining()).toBe(0);
  });

  it('slides: each grant expires exactly windowMs after it was made', () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: 1000, clock });
    limiter.tryAcquire(); // t=0
    clock.advance(400);
    limiter.tryAcquire(); // t=400
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.retryAfterMs()).toBe(600);
    clock.advance(599);
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.retryAfterMs()).toBe(1);
    clock.advance(1); // t=1000: the t=0 grant expires, the t=400 one does not
    expect(limiter.remaining()).toBe(1);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.retryAfterMs()).toBe(400);
  });

  it('is exact, unlike a fixed window: no double burst at a boundary', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 0, 900));
    const limiter = new SlidingWindowLimiter({ limit: 5, windowMs: 1000, clock });
    for (let i = 0; i < 5; i++) expect(limiter.tryAcquire()).toBe(true);
    clock.advance(200); // crosses a second boundary
    expect(limiter.tryAcquire()).toBe(false);
  });

  it('wraps its ring buffer correctly over many windows', () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 4, windowMs: 100, clock });
    let granted = 0;
    for (let t = 0; t < 10_000; t += 10) {
      if (limiter.tryAcquire()) granted++;
      clock.advance(10);
    }
    // 4 per 100 ms over 10 s
    expect(granted).toBe(400);
  });

  it('reports stats', () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: 500, clock });
    expect(limiter.stats()).toEqual({
      limit: 2,
      windowMs: 500,
      used: 0,
      remaining: 2,
      retryAfterMs: 0,
      limited: false,
    });
    limiter.tryAcquire();
    clock.advance(100);
    limiter.tryAcquire();
    expect(limiter.stats()).toEqual({
      limit: 2,
      windowMs: 500,
      used: 2,
      remaining: 0,
      retryAfterMs: 400,
      limited: true,
    });
    limiter.reset();
    expect(limiter.stats()).toMatchObject({ used: 0, limited: false });
  });

  it('handles a large limit', () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 100_000, windowMs: 60_000, clock });
    for (let i = 0; i < 100_000; i++) limiter.tryAcquire();
    expect(limiter.tryAcquire()).toBe(false);
    clock.advance(60_000);
    expect(limiter.remaining()).toBe(100_000);
  });

  it('never expires grants early when the clock steps back', () => {
    const clock = new FakeClock(10_000);
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 1000, clock });
    limiter.tryAcquire();
    clock.set(5_000);
    expect(limiter.tryAcquire()).toBe(false);
  });

  it('times grants on the monotonic clock: a wall-clock step neither blocks nor frees the window', () => {
    const clock = new FakeClock();
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 1000, clock });
    expect(limiter.tryAcquire()).toBe(true);
    // An hour back (NTP, a manual change): the window still frees after windowMs, not an hour later.
    clock.stepWallClock(-3_600_000);
    clock.advance(999);
    expect(limiter.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(limiter.tryAcquire()).toBe(true);
    // An hour forward (a host resuming from suspend): the window is not freed early.
    clock.stepWallClock(3_600_000);
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.retryAfterMs()).toBe(1000);
  });

  it.each([
    [{ limit: 0, windowMs: 1000 }, 'limit'],
    [{ limit: 1.5, windowMs: 1000 }, 'limit'],
    [{ limit: 1, windowMs: 0 }, 'windowMs'],
    [{ limit: 1, windowMs: Number.NaN }, 'windowMs'],
  ])('validates %o', (opts, field) => {
    expect(() => new SlidingWindowLimiter({ ...opts, clock: new FakeClock() })).toThrowError(
      expect.objectContaining({ field }),
    );
  });
});
