import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { ValidationError } from '../../src/core/errors.js';
import { TokenBucket } from '../../src/core/rate-limit/token-bucket.js';

describe('TokenBucket', () => {
  it('starts full and allows a burst of capacity', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 1, clock });
    expect(bucket.available()).toBe(3);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.available()).toBe(0);
  });

  it('refills over fake time and never beyond capacity', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 2, clock });
    for (let i = 0; i < 5; i++) expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(499);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(1);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(1000);
    expect(bucket.available()).toBe(2);
    clock.advance(60_000);
    expect(bucket.available()).toBe(5);
  });

  it('accepts { limit, intervalMs } with capacity defaulting to limit', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ limit: 10, intervalMs: 60_000, clock });
    expect(bucket.capacity).toBe(10);
    expect(bucket.refillPerSecond).toBeCloseTo(10 / 60);
    for (let i = 0; i < 10; i++) bucket.tryTake();
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.retryAfterMs()).toBe(6000);
    clock.advance(6000);
    expect(bucket.tryTake()).toBe(true);
    clock.advance(60_000);
    expect(bucket.available()).toBe(10);
  });

  it('lets `capacity` differ from `limit`', () => {
    const bucket = new TokenBucket({ limit: 3, intervalMs: 1000, capacity: 1, clock: new FakeClock() });
    expect(bucket.available()).toBe(1);
  });

  it('takes several tokens at once, all or nothing', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 10, clock });
    expect(bucket.tryTake(7)).toBe(true);
    expect(bucket.tryTake(4)).toBe(false);
    expect(bucket.available()).toBe(3);
    expect(bucket.retryAfterMs(4)).toBe(100);
    clock.advance(100);
    expect(bucket.tryTake(4)).toBe(true);
    expect(bucket.tryTake(0)).toBe(true);
  });

  it('reports retryAfterMs, rounded up, and 0 when available', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 3, clock });
    expect(bucket.retryAfterMs()).toBe(0);
    bucket.tryTake();
    expect(bucket.retryAfterMs()).toBe(334);
    clock.advance(334);
    expect(bucket.retryAfterMs()).toBe(0);
    expect(bucket.tryTake()).toBe(true);
  });

  it('does not refill or drain when the clock steps backwards', () => {
    const clock = new FakeClock(1_000_000);
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, clock });
    bucket.tryTake(2);
    clock.set(500_000);
    expect(bucket.available()).toBe(0);
    clock.advance(1000);
    expect(bucket.available()).toBe(1);
  });

  it('supports initialTokens and reset()', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ capacity: 4, refillPerSecond: 1, initialTokens: 0, clock });
    expect(bucket.tryTake()).toBe(false);
    clock.advance(2000);
    expect(bucket.tryTake()).toBe(true);
    bucket.reset();
    expect(bucket.available()).toBe(0);
    expect(bucket.stats()).toMatchObject({ granted: 0, rejected: 0 });
  });

  it('counts grants and rejections in stats()', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, clock });
    bucket.tryTake();
    bucket.tryTake();
    bucket.tryTake();
    clock.advance(500);
    expect(bucket.stats()).toEqual({ capacity: 2, tokens: 0.5, refillPerSecond: 1, granted: 2, rejected: 1 });
  });

  it.each([
    [{ capacity: 0, refillPerSecond: 1 }, 'capacity'],
    [{ capacity: 1, refillPerSecond: -1 }, 'refillPerSecond'],
    [{ capacity: Number.NaN, refillPerSecond: 1 }, 'capacity'],
    [{ limit: 0, intervalMs: 1000 }, 'limit'],
    [{ limit: 5, intervalMs: 0 }, 'intervalMs'],
    [{ capacity: 2, refillPerSecond: 1, initialTokens: 3 }, 'initialTokens'],
  ])('validates %o', (opts, field) => {
    expect(() => new TokenBucket({ ...opts, clock: new FakeClock() } as never)).toThrowError(
      expect.objectContaining({ field }),
    );
  });

  it('rejects a request larger than capacity, which could never succeed', () => {
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, clock: new FakeClock() });
    expect(() => bucket.tryTake(3)).toThrow(ValidationError);
    expect(() => bucket.retryAfterMs(3)).toThrow(ValidationError);
    expect(() => bucket.tryTake(-1)).toThrow(ValidationError);
  });
});
