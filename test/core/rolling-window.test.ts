import { describe, expect, it } from 'vitest';
import { RollingOutcomeWindow } from '../../src/core/breaker/rolling-window.js';

describe('RollingOutcomeWindow', () => {
  it('sums outcomes inside the window and drops expired buckets', () => {
    const w = new RollingOutcomeWindow(1000, 10);
    w.record(0, true);
    w.record(50, false);
    w.record(450, true);
    expect(w.totals(500)).toEqual({ calls: 3, failures: 2 });
    expect(w.totals(999)).toEqual({ calls: 3, failures: 2 });
    expect(w.totals(1000)).toEqual({ calls: 1, failures: 1 }); // bucket [0,100) expired
    expect(w.totals(1500)).toEqual({ calls: 0, failures: 0 });
  });

  it('reuses slots after wrap-around without leaking old counts', () => {
    const w = new RollingOutcomeWindow(1000, 10);
    w.record(10, true);
    w.record(1010, false); // same slot, next lap
    expect(w.totals(1010)).toEqual({ calls: 1, failures: 0 });
  });

  it('clear() forgets everything', () => {
    const w = new RollingOutcomeWindow(1000);
    w.record(1, true);
    w.clear();
    expect(w.totals(1)).toEqual({ calls: 0, failures: 0 });
  });
});
