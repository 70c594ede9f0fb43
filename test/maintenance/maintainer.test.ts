/**
 * The maintainer on a FakeClock: one leader among candidates, services on their own intervals on
 * the leader only, the epoch check before each run, handover within one lease when the leader
 * dies, and resignation on close.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSeededRandom, FakeClock } from '../../src/core/clock.js';
import { Maintainer } from '../../src/maintenance/maintainer.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { advance, countingService, cuttable, flush, sqliteFixture } from './helpers.js';

const LEASE = 3000;

describe('Maintainer', () => {
  let fx: ReturnType<typeof sqliteFixture>;
  let store: SqliteStore;
  let clock: FakeClock;
  const open: Maintainer[] = [];

  beforeEach(() => {
    fx = sqliteFixture();
    store = fx.store;
    clock = fx.clock;
  });
  afterEach(async () => {
    for (const m of open.splice(0)) await m.close();
    await fx.cleanup();
  });

  function candidate(name: string, services: ReturnType<typeof countingService>[], on: Store = store) {
    const m = new Maintainer({
      store: on,
      services,
      candidate: name,
      leaseMs: LEASE,
      clock,
      random: createSeededRandom(name.length),
    });
    open.push(m);
    return m;
  }

  it('runs each service at once on election, then on its own interval', async () => {
    const fast = countingService('fast', 1000);
    const slow = countingService('slow', 5000);
    const m = candidate('a', [fast, slow]);
    m.start();
    await flush();
    expect(m.leading).toBe(true);
    const t0 = clock.now();
    await advance(clock, 10_000);
    expect(fast.runs.map((t) => t - t0)).toEqual([
      0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000,
    ]);
    expect(slow.runs.map((t) => t - t0)).toEqual([0, 5000, 10_000]);
    const status = m.status();
    expect(status).toMatchObject({ candidate: 'a', leading: true, leader: { holder: 'a' } });
    expect(status.services.find((s) => s.name === 'slow')).toMatchObject({
      intervalMs: 5000,
      lastRunAt: t0 + 10_000,
      runs: 3,
      lastReport: { n: 3 },
    });
    // Others read when each service last ran from the lease (written at the next renewal).
    await advance(clock, 1000);
    expect((await store.getLeader({ now: clock.now() }))?.serviceRuns).toMatchObject({ slow: t0 + 10_000 });
  });

  it('of several candidates exactly one runs the services', async () => {
    const services = Array.from({ length: 5 }, () => countingService('sweep', 1000));
    const ms = services.map((s, i) => candidate(`c${i}`, [s]));
    for (const m of ms) m.start();
    await flush();
    await advance(clock, 20_000);
    const ran = services.filter((s) => s.runs.length > 0);
    expect(ran).toHaveLength(1);
    expect(ran[0]!.runs.length).toBe(21);
    expect(ms.filter((m) => m.leading)).toHaveLength(1);
  });

  it('a leader that dies is replaced within one lease, and the services move with it', async () => {
    const cut = cuttable(store);
    const aSweep = countingService('sweep', 1000);
    const bSweep = countingService('sweep', 1000);
    const a = candidate('a', [aSweep], cut.store);
    a.start();
    await flush();
    const b = candidate('b', [bSweep]);
    b.start();
    await advance(clock, 5000);
    expect(a.leading).toBe(true);
    expect(bSweep.runs).toEqual([]);

    // 'a' freezes: its store calls fail from now on. Its last renewal was at most a third of a lease ago.
    cut.cut();
    const diedAt = clock.now();
    const aRunsBefore = aSweep.runs.length;
    await advance(clock, LEASE, 50);
    expect(b.leading).toBe(true);
    expect(bSweep.runs.length).toBeGreaterThan(0);
    expect(bSweep.runs[0]! - diedAt).toBeLessThanOrEqual(LEASE);
    // 'a' ran nothing after it lost the store (its epoch check failed first), and stepped down.
    expect(aSweep.runs.length).toBe(aRunsBefore);

    // Back on the network, 'a' is refused: it stays a standby and runs nothing.
    cut.restore();
    await advance(clock, 3000);
    expect(a.leading).toBe(false);
    expect(aSweep.runs.length).toBe(aRunsBefore);
    expect(b.leading).toBe(true);
  });

  it('a leader paused past its lease stops before its next write', async () => {
    const aSweep = countingService('sweep', 1000);
    // 'a' runs on a clock of its own: while that clock stands still, 'a' is paused (a long GC,
    // a stopped VM) and none of its timers fire.
    const aClock = new FakeClock(clock.now());
    const a = new Maintainer({ store, services: [aSweep], candidate: 'a', leaseMs: LEASE, clock: aClock });
    open.push(a);
    a.start();
    await flush();
    const lease = await store.getLeader({ now: clock.now() });
    expect(lease?.holder).toBe('a');
    // Another process takes the lease once it has ended by the world's clock.
    clock.advance(LEASE + 1);
    const taken = await store.acquireLeadership({ candidate: 'other', leaseMs: 60_000, now: clock.now() });
    expect(taken.leader).toBe(true);
    expect(taken.leader && taken.lease.epoch).toBeGreaterThan(lease!.epoch);
    const before = aSweep.runs.length;
    const lost: unknown[] = [];
    a.on('leadership.lost', (e) => lost.push(e));
    // 'a' wakes up: its service timer fires first, and the epoch check before the run refuses it.
    await advance(aClock, 2000);
    expect(aSweep.runs.length).toBe(before);
    expect(lost).toEqual([{ candidate: 'a', epoch: lease!.epoch, reason: 'deposed' }]);
    expect(a.leading).toBe(false);
  });

  it('close() resigns, so a standby takes over at once', async () => {
    const a = candidate('a', [countingService('sweep', 1000)]);
    const bSweep = countingService('sweep', 1000);
    const b = candidate('b', [bSweep]);
    a.start();
    await flush();
    b.start();
    await advance(clock, 2000);
    expect(b.leading).toBe(false);
    await a.close();
    expect(await store.getLeader({ now: clock.now() })).toBeNull();
    await advance(clock, LEASE / 3 + 100);
    expect(b.leading).toBe(true);
    expect(bSweep.runs.length).toBeGreaterThan(0);
  });

  it('survives a failing service and reports its error', async () => {
    const failing = {
      name: 'failing',
      intervalMs: 1000,
      async run(): Promise<Record<string, number>> {
        throw new Error('boom');
      },
    };
    const m = new Maintainer({ store, services: [failing], leaseMs: LEASE, clock });
    open.push(m);
    const errors: string[] = [];
    m.on('error', (e) => errors.push(`${e.service}: ${e.error.message}`));
    m.start();
    await flush();
    await advance(clock, 2000);
    expect(errors).toEqual(['failing: boom', 'failing: boom', 'failing: boom']);
    expect(m.status().services[0]).toMatchObject({ lastError: 'boom', runs: 0, lastRunAt: null });
  });

  it('refuses bad options, naming the field', () => {
    expect(() => new Maintainer({ store, services: [], leaseMs: 0 })).toThrow(/leaseMs/);
    expect(() => new Maintainer({ store, services: [], leaseMs: 1000, renewIntervalMs: 1000 })).toThrow(
      /renewIntervalMs/,
    );
    const s = countingService('x', 1000);
    expect(() => new Maintainer({ store, services: [s, s] })).toThrow(/two services are named x/);
  });
});
