/**
 * The start horizon on its own: when the worker must raise it ahead of need, counting the horizon a
 * claim in flight brings, and that only a stored horizon lets a job start.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { StartHorizon } from '../../../src/queue/start-horizon.js';
import { fakeStore } from './fakes.js';

function horizon() {
  const store = fakeStore();
  const clock = new FakeClock();
  return { starts: new StartHorizon(store.store, 'w1', clock, () => {}), calls: store.calls, clock };
}

describe('StartHorizon', () => {
  it('counts the horizon of a claim in flight as close-enough, but lets nothing start on it', () => {
    const { starts } = horizon();
    const first = starts.claimMarks(undefined, 1000);
    starts.claimed(first, 500);
    const next = first.firstSeq + 450;
    // 550 ahead of the next job: not close; after 100 more starts it is.
    expect(starts.isClose(next, 1000)).toBe(false);
    expect(starts.isClose(next + 100, 1000)).toBe(true);
    // A claim sent now carries next + 100 + 1000: nothing to raise while it is in flight ...
    const second = starts.claimMarks(next + 100, 1000);
    expect(starts.isClose(next + 100, 1000)).toBe(false);
    // ... but jobs beyond the stored horizon may not start until it lands.
    expect(starts.mayStart(first.firstSeq + 1000)).toBe(false);
    starts.claimed(second, 500);
    expect(starts.mayStart(first.firstSeq + 1000)).toBe(true);
  });

  it('forgets the horizon of a claim that failed or found nothing', () => {
    const { starts } = horizon();
    const first = starts.claimMarks(undefined, 1000);
    starts.claimed(first, 500);
    const next = first.firstSeq + 600;
    starts.claimMarks(next, 1000);
    starts.claimFailed();
    expect(starts.isClose(next, 1000)).toBe(true);
    const empty = starts.claimMarks(next, 1000);
    starts.claimed(empty, 0);
    expect(starts.isClose(next, 1000)).toBe(true);
    expect(starts.mayStart(next + 500)).toBe(false);
  });

  it('reaches as far ahead as the store took to take a raised horizon, when that is more than 5 ms of work', async () => {
    const { starts, clock } = horizon();
    const first = starts.claimMarks(undefined, 50);
    starts.claimed(first, 500);
    const raised = async (next: number, ms: number) => {
      let landed = false;
      starts.advance(next, 50, () => {
        landed = true;
      });
      clock.advance(ms);
      await Promise.resolve();
      await Promise.resolve();
      expect(landed).toBe(true);
    };
    // 1 ms per job and slot at concurrency 10: 5 ms of work is 50 jobs.
    expect(starts.lookahead(10, 1)).toBe(50);
    // A raise that took 40 ms to land (behind a failure batch, say): 40 ms of work, 400 jobs.
    await raised(first.firstSeq + 10, 40);
    expect(starts.lookahead(10, 1)).toBe(400);
    // Never more than the largest prefetch, never less than the concurrency.
    expect(starts.lookahead(10, 0.01)).toBe(1000);
    expect(starts.lookahead(10, 100)).toBe(10);
    // Faster raises bring it back down, halving the figure at most per raise, to 5 ms of work.
    await raised(first.firstSeq + 20, 0);
    expect(starts.lookahead(10, 1)).toBe(200);
    await raised(first.firstSeq + 30, 0);
    await raised(first.firstSeq + 40, 0);
    await raised(first.firstSeq + 50, 0);
    expect(starts.lookahead(10, 1)).toBe(50);
  });
});
