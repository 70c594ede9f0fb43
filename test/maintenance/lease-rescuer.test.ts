/**
 * The lease rescuer on a FakeClock: expired leases of every queue come back on its interval
 * without spending an attempt; a suspect that kills its worker in quarantine `maxOrphans` times is
 * dead-lettered as a poison pill.
 */

import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../src/core/clock.js';
import type { RedriveEvents } from '../../src/events.js';
import { LeaseRescuer } from '../../src/maintenance/lease-rescuer.js';
import { claim, insert, newJob } from '../../src/store/conformance/fixtures.js';
import { advance, useFixture } from './helpers.js';

describe('LeaseRescuer', () => {
  const t = useFixture();

  it('returns expired leases of every queue on its interval, without spending an attempt', async () => {
    const fx = t.fx();
    const { store, clock } = fx;
    const [a] = await insert(store, [newJob({ queue: 'a' })], clock.now());
    const [b] = await insert(store, [newJob({ queue: 'b' })], clock.now());
    await claim(store, { queue: 'a', now: clock.now(), leaseMs: 1500 });
    await claim(store, { queue: 'b', now: clock.now(), leaseMs: 4500 });
    const stalled: RedriveEvents['job.stalled'][] = [];
    const rescuer = new LeaseRescuer({
      store,
      random: createSeededRandom(1),
      intervalMs: 2000,
      onStalled: (e) => stalled.push(e),
    });
    expect(rescuer.intervalMs).toBe(2000);
    const m = await t.run([rescuer]);

    await advance(clock, 1999);
    expect((await store.getJob({ id: a! }))?.state).toBe('active');
    await advance(clock, 1);
    expect(await store.getJob({ id: a! })).toMatchObject({ state: 'waiting', attemptsMade: 0 });
    expect((await store.getJob({ id: b! }))?.state).toBe('active');
    await advance(clock, 4000);
    expect((await store.getJob({ id: b! }))?.state).toBe('waiting');
    expect(stalled).toEqual([
      { queue: 'a', jobId: a, action: 'recovered', orphanedWhile: 'running' },
      { queue: 'b', jobId: b, action: 'recovered', orphanedWhile: 'running' },
    ]);
    expect(m.status().services[0]).toMatchObject({
      name: 'lease-rescuer',
      runs: 4,
      lastReport: { recovered: 1, deadLettered: 0 },
    });
  });

  it('dead-letters a poison pill: a suspect that lost its worker in quarantine maxOrphans times', async () => {
    const fx = t.fx();
    const { store, clock } = fx;
    const [id] = await insert(store, [newJob({ queue: 'q' })], clock.now());
    const rescuer = new LeaseRescuer({
      store,
      random: createSeededRandom(2),
      intervalMs: 1000,
      maxOrphans: 1,
    });
    await t.run([rescuer]);
    // Lost while running in a batch: a suspect, no orphaning counted.
    await claim(store, { queue: 'q', now: clock.now(), leaseMs: 500 });
    await advance(clock, 1000);
    expect(await store.getJob({ id: id! })).toMatchObject({
      state: 'waiting',
      suspect: true,
      orphanCount: 0,
    });
    // Lost again while running alone: with maxOrphans 1, a poison pill.
    const [alone] = await claim(store, { queue: 'q', now: clock.now(), leaseMs: 500, quarantine: true });
    expect(alone?.id).toBe(id);
    await advance(clock, 1000);
    const job = await store.getJob({ id: id! });
    expect(job?.state).toBe('dead_lettered');
    const dl = await store.getDeadLetter({ id: job!.deadLetterId! });
    expect(dl).toMatchObject({ failureType: 'poison_pill', errorClass: 'PoisonPillError', queue: 'q' });
  });
});
