import { describe, expect, it } from 'vitest';
import { createSeededRandom, type Random } from '../../src/core/clock.js';
import { ValidationError } from '../../src/core/errors.js';
import {
  computeRetryDelay,
  createRetryPolicy,
  DEFAULT_BACKOFF,
  DEFAULT_MAX_DELAY_MS,
} from '../../src/core/retry.js';

/** A Random that always returns `value`. */
const constant = (value: number): Random => ({ next: () => value, id: () => 'x' });

describe('createRetryPolicy', () => {
  it('applies the documented defaults', () => {
    expect(createRetryPolicy()).toEqual({
      kind: 'exponential',
      baseDelayMs: 1000,
      jitter: 'proportional',
      jitterRatio: 0.2,
      maxDelayMs: 3_600_000,
    });
    expect(DEFAULT_BACKOFF).toEqual({
      type: 'exponential',
      delayMs: 1000,
      jitter: 'proportional',
      jitterRatio: 0.2,
      maxDelayMs: DEFAULT_MAX_DELAY_MS,
    });
    expect(Object.isFrozen(DEFAULT_BACKOFF)).toBe(true);
  });

  it.each([
    [{ delayMs: -1 }, 'backoff.delayMs'],
    [{ delayMs: Number.NaN }, 'backoff.delayMs'],
    [{ delayMs: Number.POSITIVE_INFINITY }, 'backoff.delayMs'],
    [{ jitterRatio: -0.1 }, 'backoff.jitterRatio'],
    [{ jitterRatio: 1.5 }, 'backoff.jitterRatio'],
    [{ jitterRatio: Number.NaN }, 'backoff.jitterRatio'],
    [{ maxDelayMs: -5 }, 'backoff.maxDelayMs'],
    [{ maxDelayMs: Number.NaN }, 'backoff.maxDelayMs'],
    [{ type: 'linear' as 'fixed' }, 'backoff.type'],
    [{ jitter: 'some' as 'none' }, 'backoff.jitter'],
  ])('rejects %o naming %s', (opts, field) => {
    try {
      createRetryPolicy(opts);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
      expect((err as ValidationError).message).toContain(field);
    }
  });

  it('accepts an infinite cap', () => {
    expect(createRetryPolicy({ maxDelayMs: Number.POSITIVE_INFINITY }).maxDelayMs).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});

describe('computeRetryDelay', () => {
  it('doubles from the base without jitter', () => {
    const p = createRetryPolicy({ type: 'exponential', delayMs: 100, jitter: 'none' });
    expect([1, 2, 3, 4, 5].map((a) => computeRetryDelay(p, a))).toEqual([100, 200, 400, 800, 1600]);
  });

  it('keeps a fixed delay fixed', () => {
    const p = createRetryPolicy({ type: 'fixed', delayMs: 250, jitter: 'none' });
    expect([1, 2, 10].map((a) => computeRetryDelay(p, a))).toEqual([250, 250, 250]);
  });

  it('caps the delay, including for huge attempt numbers', () => {
    const p = createRetryPolicy({ delayMs: 1000, jitter: 'none', maxDelayMs: 10_000 });
    expect(computeRetryDelay(p, 4)).toBe(8000);
    expect(computeRetryDelay(p, 5)).toBe(10_000);
    expect(computeRetryDelay(p, 5000)).toBe(10_000);
    const def = createRetryPolicy({ jitter: 'none' });
    expect(computeRetryDelay(def, 30)).toBe(3_600_000);
  });

  it('never returns Infinity or NaN with an infinite cap', () => {
    const p = createRetryPolicy({ delayMs: 1000, jitter: 'full', maxDelayMs: Number.POSITIVE_INFINITY });
    const d = computeRetryDelay(p, 5000, constant(0.5));
    expect(Number.isFinite(d)).toBe(true);
    expect(d).toBeGreaterThan(0);
  });

  it('proportional jitter stays within ±20 % and reaches both ends', () => {
    const p = createRetryPolicy({ delayMs: 1000 });
    expect(computeRetryDelay(p, 3, constant(0))).toBe(3200);
    expect(computeRetryDelay(p, 3, constant(0.5))).toBe(4000);
    expect(computeRetryDelay(p, 3, constant(0.999999))).toBe(4800);
    const random = createSeededRandom(42);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const d = computeRetryDelay(p, 3, random);
      expect(d).toBeGreaterThanOrEqual(3200);
      expect(d).toBeLessThanOrEqual(4800);
      seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(100); // it actually varies
  });

  it('honours a configured jitter ratio', () => {
    const p = createRetryPolicy({ delayMs: 1000, jitterRatio: 0.5 });
    expect(computeRetryDelay(p, 1, constant(0))).toBe(500);
    expect(computeRetryDelay(p, 1, constant(0.999999))).toBe(1500);
  });

  it('full jitter is uniform in [0, delay]', () => {
    const p = createRetryPolicy({ delayMs: 1000, jitter: 'full' });
    expect(computeRetryDelay(p, 2, constant(0))).toBe(0);
    expect(computeRetryDelay(p, 2, constant(0.25))).toBe(500);
    const random = createSeededRandom(7);
    let sum = 0;
    for (let i = 0; i < 4000; i++) {
      const d = computeRetryDelay(p, 2, random);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(2000);
      sum += d;
    }
    expect(sum / 4000).toBeGreaterThan(900);
    expect(sum / 4000).toBeLessThan(1100);
  });

  it('jitter never pushes a delay above the cap', () => {
    const p = createRetryPolicy({ delayMs: 1000, maxDelayMs: 5000 });
    const random = createSeededRandom(3);
    for (let i = 0; i < 500; i++) expect(computeRetryDelay(p, 10, random)).toBeLessThanOrEqual(5000);
    expect(computeRetryDelay(p, 10, constant(0))).toBe(4000);
  });

  it('is reproducible with a seeded random', () => {
    const p = createRetryPolicy();
    const run = (seed: number) => {
      const random = createSeededRandom(seed);
      return [1, 2, 3, 4, 5, 6].map((n) => computeRetryDelay(p, n, random));
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects attempt %s', (attempt) => {
    expect(() => computeRetryDelay(createRetryPolicy(), attempt)).toThrow(ValidationError);
  });
});
