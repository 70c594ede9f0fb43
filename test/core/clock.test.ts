import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSeededRandom, createSystemClock, FakeClock } from '../../src/core/clock.js';

describe('system clock', () => {
  afterEach(() => vi.restoreAllMocks());

  it('ignores a wall-clock jump after start (leases and due times do not mass-expire)', () => {
    const clock = createSystemClock();
    const before = clock.now();
    // An NTP step or manual change moves the wall clock by a day.
    vi.spyOn(Date, 'now').mockReturnValue(before + 86_400_000);
    const after = clock.now();
    expect(after - before).toBeGreaterThanOrEqual(0);
    expect(after - before).toBeLessThan(1000);
  });

  it('starts at the wall clock', () => {
    const wall = Date.now();
    expect(Math.abs(createSystemClock().now() - wall)).toBeLessThan(1000);
  });
});

describe('FakeClock', () => {
  it('fires timers in due order as time advances, including timers they schedule', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => {
      fired.push('a@10');
      clock.setTimeout(() => fired.push('c@15'), 5);
    }, 10);
    const cancelled = clock.setTimeout(() => fired.push('never'), 12);
    clock.clearTimeout(cancelled);
    clock.advance(19);
    expect(fired).toEqual(['a@10', 'c@15']);
    expect(clock.now()).toBe(19);
    clock.advance(1);
    expect(fired).toEqual(['a@10', 'c@15', 'b@20']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('set() jumps without firing timers in between', () => {
    const clock = new FakeClock(0);
    let fired = false;
    clock.setTimeout(() => {
      fired = true;
    }, 10);
    clock.set(100);
    expect(fired).toBe(false);
    clock.advance(0);
    expect(fired).toBe(true);
  });
});

describe('seeded random', () => {
  it('is reproducible and in range', () => {
    const a = createSeededRandom(42);
    const b = createSeededRandom(42);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(createSeededRandom(1).id(6)).toMatch(/^[0-9a-f]{12}$/);
  });
});
