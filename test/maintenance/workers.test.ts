/**
 * Maintenance with many workers on one store (FakeClock): every worker is a candidate, exactly one
 * runs the sweeps, and when that one dies another takes them over within one leadership lease.
 * Each worker reaches the store through its own counting wrapper, standing in for its own process.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../src/core/clock.js';
import { Queue } from '../../src/queue/queue.js';
import { Worker } from '../../src/queue/worker.js';
import type { Store } from '../../src/store/store.js';
import { advance, cuttable, flush, sqliteFixture } from './helpers.js';

const RECOVERY = 1000;
/** The workers' job lease; the leadership lease is min(job lease, 3 × recovery interval, heartbeat / 2). */
const LEASE = 3000;
const HEARTBEAT = 1000;

/** A store wrapper counting the sweeps made through it. */
function counting(store: Store) {
  const counts = { recover: 0, clean: 0 };
  const cut = cuttable(store);
  const wrapped: Store = new Proxy(cut.store, {
    get(target, prop, receiver) {
      if (prop === 'recoverExpiredLeases') counts.recover++;
      if (prop === 'removeJobs') counts.clean++;
      return Reflect.get(target, prop, receiver);
    },
  });
  return { store: wrapped, counts, kill: cut.cut };
}

describe('maintenance across workers', () => {
  let fx: ReturnType<typeof sqliteFixture>;
  const workers: Worker[] = [];
  beforeEach(() => {
    fx = sqliteFixture();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.close({ timeoutMs: 0 });
    await fx.cleanup();
  });

  function start(n: number) {
    return Array.from({ length: n }, (_, i) => {
      const proc = counting(fx.store);
      const worker = new Worker('q', async () => 'ok', {
        store: proc.store,
        clock: fx.clock,
        random: createSeededRandom(i + 1),
        workerId: `w${i}`,
        leaseMs: LEASE,
        heartbeatMs: HEARTBEAT,
        recoveryIntervalMs: RECOVERY,
        pollIntervalMs: 50,
      });
      workers.push(worker);
      return { ...proc, worker };
    });
  }

  it('with 20 workers on one store, exactly one runs the sweeps', async () => {
    const procs = start(20);
    await flush();
    await advance(fx.clock, 30_000, 250);
    const sweeping = procs.filter((p) => p.counts.recover > 0);
    expect(sweeping).toHaveLength(1);
    // One sweep at election, then one per recovery interval: 31 in 30 s, from that worker alone.
    expect(sweeping[0]!.counts.recover).toBe(31);
    expect(procs.filter((p) => p.counts.clean > 0)).toEqual(sweeping);
    expect(procs.filter((p) => p.worker.maintainer?.leading)).toHaveLength(1);
    expect(sweeping[0]!.worker.maintainer?.leading).toBe(true);
  });

  it('when the leader dies, another worker takes the sweeps over within one lease', async () => {
    const procs = start(5);
    await flush();
    await advance(fx.clock, 5000, 250);
    const leader = procs.find((p) => p.worker.maintainer?.leading)!;
    expect(procs.filter((p) => p.counts.recover > 0)).toEqual([leader]);

    // The leader's process dies: nothing it does reaches the store any more.
    leader.kill();
    const diedAt = fx.clock.now();
    const before = new Map(procs.map((p) => [p, p.counts.recover]));
    let tookOverAt: number | null = null;
    for (let t = 0; t < 2 * LEASE && tookOverAt === null; t += 50) {
      await advance(fx.clock, 50, 50);
      if (procs.some((p) => p !== leader && p.counts.recover > before.get(p)!)) tookOverAt = fx.clock.now();
    }
    expect(tookOverAt).not.toBeNull();
    expect(tookOverAt! - diedAt).toBeLessThanOrEqual(LEASE);
    const next = procs.filter((p) => p !== leader && p.counts.recover > before.get(p)!);
    expect(next).toHaveLength(1);
    expect(next[0]!.worker.maintainer?.leading).toBe(true);
  });

  it('a worker dies, then the leader just before its orphan expires: the orphan is back within lease + heartbeat', async () => {
    const procs = start(3);
    // The victim runs its job on a queue of its own and never leads, so the leader cannot be it.
    const victim = cuttable(fx.store);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hung = new Worker('v', () => held, {
      store: victim.store,
      clock: fx.clock,
      random: createSeededRandom(50),
      workerId: 'victim',
      leaseMs: LEASE,
      heartbeatMs: HEARTBEAT,
      maintenance: false,
    });
    workers.push(hung);
    const job = await new Queue('v', { store: fx.store, clock: fx.clock }).add('v', {});
    await advance(fx.clock, 2000, 50);
    const running = await fx.store.getJob({ id: job.id });
    expect(running?.state).toBe('active');

    try {
      victim.cut();
      const diedAt = fx.clock.now();
      const expiresAt = (await fx.store.getJob({ id: job.id }))!.leaseExpiresAt!;
      expect(expiresAt).toBeLessThanOrEqual(diedAt + LEASE);
      // The leader dies a moment before the orphan's lease runs out, having just swept and renewed.
      await advance(fx.clock, expiresAt - 10 - fx.clock.now(), 10);
      const leader = procs.find((p) => p.worker.maintainer?.leading)!;
      leader.kill();

      let backAt: number | null = null;
      while (backAt === null && fx.clock.now() < diedAt + 3 * LEASE) {
        await advance(fx.clock, 10, 10);
        if ((await fx.store.getJob({ id: job.id }))?.state === 'waiting') backAt = fx.clock.now();
      }
      expect(backAt).not.toBeNull();
      expect(backAt! - diedAt).toBeLessThanOrEqual(LEASE + HEARTBEAT);
      expect(procs.filter((p) => p !== leader && p.worker.maintainer?.leading)).toHaveLength(1);
    } finally {
      // The victim comes back only to be closed: its handler ends, its stale settlement is refused.
      victim.restore();
      release();
    }
  });

  it('a tiny heartbeat still gives a lease that one worker holds: no leadership changes hands', async () => {
    const gains: string[] = [];
    for (let i = 0; i < 2; i++) {
      const worker = new Worker('q', async () => 'ok', {
        store: fx.store,
        clock: fx.clock,
        random: createSeededRandom(70 + i),
        workerId: `tiny${i}`,
        heartbeatMs: 10,
        recoveryIntervalMs: RECOVERY,
      });
      workers.push(worker);
      worker.maintainer?.on('leadership.gained', ({ candidate }) => gains.push(candidate));
    }
    await flush();
    await advance(fx.clock, 2000, 10);
    expect(gains).toHaveLength(1);
    expect(workers.filter((w) => w.maintainer?.leading)).toHaveLength(1);
  });

  it('renewIntervalMs set alone lengthens the leadership lease to three renewals instead of being refused', async () => {
    const worker = new Worker('q', async () => 'ok', {
      store: fx.store,
      clock: fx.clock,
      random: createSeededRandom(80),
      heartbeatMs: HEARTBEAT,
      maintenance: { renewIntervalMs: 5000 },
    });
    workers.push(worker);
    await flush();
    const leader = await fx.store.getLeader({ now: fx.clock.now() });
    expect(leader?.holder).toBe(worker.maintainer?.candidate);
    expect(leader!.expiresAt - leader!.acquiredAt).toBe(15_000);
  });

  it('a worker with maintenance: false never campaigns or sweeps', async () => {
    const proc = counting(fx.store);
    const worker = new Worker('q', async () => 'ok', {
      store: proc.store,
      clock: fx.clock,
      random: createSeededRandom(99),
      maintenance: false,
    });
    workers.push(worker);
    await advance(fx.clock, 20_000, 1000);
    expect(worker.maintainer).toBeUndefined();
    expect(proc.counts).toEqual({ recover: 0, clean: 0 });
    expect(await fx.store.getLeader({ now: fx.clock.now() })).toBeNull();
  });
});
