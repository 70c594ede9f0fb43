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
  return { starts: new StartHorizon(store.store, 'w1', new FakeClock(), () => {}), calls: store.calls };
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
});
