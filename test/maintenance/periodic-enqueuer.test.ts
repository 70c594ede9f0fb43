/**
 * The periodic enqueuer on a FakeClock: of two processes with the same schedules, only the
 * leader's scheduler runs; when the leader closes, the other's starts, and no slot is enqueued twice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Maintainer } from '../../src/maintenance/maintainer.js';
import { PeriodicEnqueuer } from '../../src/maintenance/periodic-enqueuer.js';
import { PeriodicScheduler } from '../../src/queue/periodic.js';
import { Queue } from '../../src/queue/queue.js';
import { advance, flush, sqliteFixture } from './helpers.js';

describe('PeriodicEnqueuer', () => {
  let fx: ReturnType<typeof sqliteFixture>;
  const open: Maintainer[] = [];
  beforeEach(() => {
    fx = sqliteFixture();
  });
  afterEach(async () => {
    for (const m of open.splice(0)) await m.close();
    await fx.cleanup();
  });

  function process(name: string) {
    const queue = new Queue('reports', { store: fx.store, clock: fx.clock });
    const scheduler = new PeriodicScheduler({ queue, clock: fx.clock });
    scheduler.add({ name: 'tick', everyMs: 60_000 });
    const enqueuer = new PeriodicEnqueuer({ scheduler, intervalMs: 30_000 });
    const m = new Maintainer({
      store: fx.store,
      services: [enqueuer],
      candidate: name,
      leaseMs: 9000,
      clock: fx.clock,
    });
    open.push(m);
    return { scheduler, m };
  }

  it('runs the schedules on the leader only and hands them over', async () => {
    const a = process('a');
    const b = process('b');
    a.m.start();
    await flush();
    b.m.start();
    await flush();
    expect(a.scheduler.isRunning).toBe(true);
    expect(b.scheduler.isRunning).toBe(false);

    await advance(fx.clock, 180_000, 1000);
    expect(a.scheduler.list()[0]?.enqueued).toBe(4);
    expect(b.scheduler.list()[0]?.enqueued).toBe(0);
    expect(a.m.status().services[0]?.lastReport).toMatchObject({ schedules: 1, deduplicated: 0 });

    await a.m.close();
    expect(a.scheduler.isRunning).toBe(false);
    await advance(fx.clock, 3000 + 120_000, 1000);
    expect(b.scheduler.isRunning).toBe(true);
    // b catches up the slot a already enqueued (deduplicated), then enqueues the next ones.
    const counts = await fx.store.countJobs({ queue: 'reports' });
    expect(counts.waiting + counts.scheduled).toBe(6);
    expect(b.scheduler.list()[0]?.enqueued).toBe(2);
  });
});
