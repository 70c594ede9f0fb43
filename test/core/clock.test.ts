import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSeededRandom, createSystemClock, FakeClock, intervalNow } from '../../src/core/clock.js';
import type { ClaimedJob } from '../../src/core/job.js';
import { Queue, SqliteStore } from '../../src/index.js';

describe('system clock', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads the wall clock every time, so processes started before and after a step agree', () => {
    const startedBefore = createSystemClock();
    const wall = Date.now();
    // An NTP step, a manual change or a host resuming from suspend moves the wall clock by a day.
    vi.spyOn(Date, 'now').mockReturnValue(wall + 86_400_000);
    const startedAfter = createSystemClock();
    expect(startedBefore.now()).toBe(wall + 86_400_000);
    expect(startedAfter.now()).toBe(startedBefore.now());
  });

  it('measures intervals on the monotonic clock, which a wall-clock step does not move', () => {
    const clock = createSystemClock();
    const start = intervalNow(clock);
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 86_400_000);
    expect(intervalNow(clock) - start).toBeGreaterThanOrEqual(0);
    expect(intervalNow(clock) - start).toBeLessThan(1000);
  });

  it('judges leases by the wall clock after a step: a heartbeat keeps its job, a silent holder loses it', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    try {
      const queue = new Queue('clock-step', { store });
      const clock = createSystemClock();
      await queue.addBulk([
        { name: 'heartbeating', payload: null },
        { name: 'silent', payload: null },
      ]);
      const claimed = await store.claimJobs({
        queue: 'clock-step',
        workerId: 'w',
        limit: 2,
        leaseMs: 30_000,
        now: clock.now(),
        claimId: 'c1',
      });
      expect(claimed).toHaveLength(2);
      const [kept, lost] = claimed as [ClaimedJob, ClaimedJob];
      // The wall clock steps ten minutes forward: every lease taken before is now past its expiry.
      vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 600_000);
      // The holder's next heartbeat extends its lease from the new wall time ...
      await store.extendLeases({
        leases: [{ id: kept.id, token: kept.token }],
        leaseMs: 30_000,
        now: clock.now(),
      });
      // ... and a process started after the step sweeps with the same time.
      const sweeper = createSystemClock();
      const result = await store.recoverExpiredLeases({
        now: sweeper.now(),
        maxOrphans: 3,
        limit: 10,
        deadLetterFor: () => {
          throw new Error('no poison pill expected');
        },
      });
      expect(result.recovered).toEqual([lost.id]);
      expect((await queue.getJob(kept.id))?.state).toBe('active');
      expect((await queue.getJob(kept.id))?.leaseExpiresAt).toBe(Date.now() + 30_000);
      await queue.close();
    } finally {
      await store.close();
    }
  });
});

describe('FakeClock', () => {
  it('steps the wall clock without moving the monotonic clock or firing timers', () => {
    const clock = new FakeClock(1000);
    let fired = false;
    clock.setTimeout(() => {
      fired = true;
    }, 10);
    clock.stepWallClock(60_000);
    expect(clock.now()).toBe(61_000);
    expect(clock.monotonicNow()).toBe(0);
    expect(fired).toBe(false);
    clock.advance(10);
    expect(clock.monotonicNow()).toBe(10);
    expect(fired).toBe(true);
  });

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
