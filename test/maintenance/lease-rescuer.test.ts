/**
 * The lease rescuer on a FakeClock: expired leases of every queue come back on its interval
 * without spending an attempt; a suspect that kills its worker in quarantine `maxOrphans` times is
 * dead-lettered as a poison pill; a forward step of the wall clock does not expire every live lease.
 */

import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../src/core/clock.js';
import type { RedriveEvents } from '../../src/events.js';
import { CLOCK_STEP_GRACE_MS, LeaseRescuer } from '../../src/maintenance/lease-rescuer.js';
import { claim, insert, newJob } from '../../src/store/conformance/fixtures.js';
import { advance, useFixture, withLeaseExpiry, withoutLeaseExpiry } from './helpers.js';

describe('LeaseRescuer', () => {
  const t = useFixture();

  it('returns expired leases of every queue the moment they expire, without spending an attempt', async () => {
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

    // A lease counts as expired once it is strictly earlier than the sweep's now.
    await advance(clock, 1500);
    expect((await store.getJob({ id: a! }))?.state).toBe('active');
    await advance(clock, 1);
    expect(await store.getJob({ id: a! })).toMatchObject({ state: 'waiting', attemptsMade: 0 });
    // b's lease is 3 s away: the interval (2 s) comes first, then the sweep aims at the lease.
    await advance(clock, 2999);
    expect((await store.getJob({ id: b! }))?.state).toBe('active');
    await advance(clock, 1);
    expect((await store.getJob({ id: b! }))?.state).toBe('waiting');
    expect(stalled).toEqual([
      { queue: 'a', jobId: a, action: 'recovered', orphanedWhile: 'running' },
      { queue: 'b', jobId: b, action: 'recovered', orphanedWhile: 'running' },
    ]);
    // At 0, 1501 (a's lease), 3501 (the interval), 4501 (b's lease).
    expect(m.status().services[0]).toMatchObject({
      name: 'lease-rescuer',
      runs: 4,
      lastReport: { recovered: 1, deadLettered: 0 },
    });
  });

  it('on a store that cannot tell when leases expire, sweeps on its interval', async () => {
    const fx = t.fx();
    const { clock } = fx;
    const store = withoutLeaseExpiry(fx.store);
    const [a] = await insert(store, [newJob({ queue: 'a' })], clock.now());
    await claim(store, { queue: 'a', now: clock.now(), leaseMs: 1500 });
    const rescuer = new LeaseRescuer({ store, random: createSeededRandom(1), intervalMs: 2000 });
    await t.run([rescuer], undefined, store);
    await advance(clock, 1999);
    expect((await store.getJob({ id: a! }))?.state).toBe('active');
    await advance(clock, 1);
    expect(await store.getJob({ id: a! })).toMatchObject({ state: 'waiting', attemptsMade: 0 });
  });

  it('a failed question about the next expiry leaves the sweep done and reported (saying so), and keeps the interval', async () => {
    const fx = t.fx();
    const { clock } = fx;
    const store = withLeaseExpiry(fx.store, () => Promise.reject(new Error('connection reset')));
    const [a] = await insert(store, [newJob({ queue: 'a' })], clock.now());
    await claim(store, { queue: 'a', now: clock.now(), leaseMs: 500 });
    const rescuer = new LeaseRescuer({ store, random: createSeededRandom(1), intervalMs: 1000 });
    const m = await t.run([rescuer], undefined, store);
    const errors: unknown[] = [];
    m.on('error', (e) => errors.push(e));
    await advance(clock, 1000);
    expect((await store.getJob({ id: a! }))?.state).toBe('waiting');
    expect(m.status().services[0]).toMatchObject({
      runs: 2,
      lastReport: { recovered: 1, nextLeaseExpiryFailed: 1 },
      lastError: null,
    });
    expect(errors).toEqual([]);
  });

  it('an expired lease that no sweep can take costs a few early sweeps, backing off to the interval', async () => {
    const fx = t.fx();
    const store = withLeaseExpiry(fx.store, async () => 0);
    const rescuer = new LeaseRescuer({ store, random: createSeededRandom(1), intervalMs: 2000 });
    const m = await t.run([rescuer], undefined, store);
    // Gaps of 100, 200, 400, 800, 1600 ms, then the interval: runs at 0, 100, 300, 700, 1500,
    // 3100, 5100, 7100 and 9100 in ten seconds (a sweep every 100 ms would be a hundred).
    await advance(fx.clock, 10_000, 50);
    expect(m.status().services[0]?.runs).toBe(9);
  });

  it('a lease renewed before it expires is left alone, and the next sweep aims at its new expiry', async () => {
    const fx = t.fx();
    const { store, clock } = fx;
    const [a] = await insert(store, [newJob({ queue: 'a' })], clock.now());
    const [job] = await claim(store, { queue: 'a', now: clock.now(), leaseMs: 1000 });
    const rescuer = new LeaseRescuer({ store, random: createSeededRandom(1), intervalMs: 5000 });
    const m = await t.run([rescuer]);
    await advance(clock, 900);
    await store.extendLeases({ leases: [{ id: a!, token: job!.token }], leaseMs: 1000, now: clock.now() });
    // The sweep aimed at 1001 finds the lease renewed (to 1900) and aims again.
    await advance(clock, 1000);
    expect((await store.getJob({ id: a! }))?.state).toBe('active');
    expect(m.status().services[0]).toMatchObject({ runs: 2, lastReport: { recovered: 0 } });
    await advance(clock, 1);
    expect(await store.getJob({ id: a! })).toMatchObject({ state: 'waiting', attemptsMade: 0 });
    expect(m.status().services[0]).toMatchObject({ runs: 3, lastReport: { recovered: 1 } });
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
  it('holds off after the wall clock steps forward, so live workers keep their jobs and only a lost one is recovered', async () => {
    const fx = t.fx();
    const { store, clock } = fx;
    const [live, lost] = await insert(store, [newJob(), newJob()], clock.now());
    const lease = { now: clock.now(), limit: 1, leaseMs: 5000 };
    const [held] = await claim(store, { ...lease, workerId: 'live' });
    await claim(store, { ...lease, workerId: 'lost' });
    const rescuer = new LeaseRescuer({ store, random: createSeededRandom(3), intervalMs: 1000, clock });
    const m = await t.run([rescuer]);
    const reports: Record<string, number>[] = [];
    m.on('maintenance.ran', (e) => reports.push(e.report));
    const heartbeat = () =>
      store.extendLeases({ leases: [{ id: held!.id, token: held!.token }], leaseMs: 5000, now: clock.now() });
    await advance(clock, 3000, 500);
    await heartbeat();

    // NTP steps the wall clock 8 s forward: every job lease written before looks expired, while the
    // maintainer's own lease (15 s) still holds, so its next sweep runs at once.
    clock.stepWallClock(8000);
    const since = reports.length;
    // The live worker heartbeats every second, from the new time; the lost one is silent.
    let waited = 0;
    for (; waited < 60_000; waited += 1000) {
      await advance(clock, 1000, 500);
      expect((await store.getJob({ id: live! }))?.state).toBe('active');
      await heartbeat();
      if ((await store.getJob({ id: lost! }))?.state === 'waiting') break;
    }
    expect(await store.getJob({ id: lost! })).toMatchObject({ state: 'waiting', attemptsMade: 0 });
    expect(await store.getJob({ id: live! })).toMatchObject({ state: 'active', workerId: 'live' });
    expect(waited).toBeGreaterThanOrEqual(CLOCK_STEP_GRACE_MS - 1000);
    // Every sweep after the step held off until the grace ended; the next took the lost job only.
    const after = reports.slice(since);
    const lastHeld = after.findLastIndex((r) => r.heldForClockStep === 1);
    expect(lastHeld).toBeGreaterThan(0);
    expect(after.slice(0, lastHeld + 1).every((r) => r.heldForClockStep === 1)).toBe(true);
    expect(after[lastHeld + 1]).toEqual({ recovered: 1, deadLettered: 0 });
  });
  it('a process that leads only after a step holds off too: it read the clock when it started', async () => {
    const { store, clock } = t.fx();
    const calm = new LeaseRescuer({ store, random: createSeededRandom(4), clock });
    expect(await calm.run({ now: clock.now(), clock })).toEqual({ recovered: 0, deadLettered: 0 });
    const standby = new LeaseRescuer({ store, random: createSeededRandom(5), clock });
    clock.stepWallClock(60_000);
    expect(await standby.run({ now: clock.now(), clock })).toEqual({
      recovered: 0,
      deadLettered: 0,
      heldForClockStep: 1,
    });
  });
});
