import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ActiveJob,
  StateConflictError,
  ValidationError,
  WorkerPool,
  type WorkerPoolEvents,
  type WorkerPoolOptions,
} from '../../src/index.js';
import { createFakeTime, type FakeTime, gate } from './fake-time-harness.js';

let t: FakeTime;
beforeEach(() => {
  t = createFakeTime();
});
afterEach(async () => {
  await t.cleanup();
});

function pool<P = unknown, R = unknown>(
  queue: string,
  handler: (job: ActiveJob<P>) => Promise<R> | R,
  options: Partial<WorkerPoolOptions> = {},
): WorkerPool<P, R> {
  const p = new WorkerPool<P, R>(queue, handler, {
    store: t.store,
    clock: t.clock,
    random: t.random(),
    pollIntervalMs: 10,
    ...options,
  });
  t.onCleanup(() => p.close({ timeoutMs: 0 }));
  return p;
}

const count = async (queue: string, state: 'waiting' | 'active' | 'completed' | 'scheduled') =>
  (await t.store.countJobs({ queue }))[state];

describe('WorkerPool: a fixed pool', () => {
  it('runs jobs on N workers with one handler and sums their stats', async () => {
    const q = t.queue<number>('fixed');
    await q.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'n', payload: i })));
    const byWorker = new Map<string, number>();
    const p = pool<number>('fixed', (job) => job.payload * 2, { size: 3, workerId: 'box', prefetch: 1 });
    p.on('job.active', (e) => byWorker.set(e.workerId, (byWorker.get(e.workerId) ?? 0) + 1));

    await t.advance(50);
    expect(await count('fixed', 'waiting')).toBe(20); // nothing runs before start()
    expect(p.stats()).toMatchObject({ state: 'idle', workers: 3, completed: 0 });

    p.start();
    await t.waitFor(async () => (await count('fixed', 'completed')) === 20, { what: 'all completed' });
    await t.waitFor(() => p.stats().completed === 20);

    const stats = p.stats();
    expect(stats).toMatchObject({ queue: 'fixed', state: 'running', workers: 3, retiring: 0, completed: 20 });
    expect(stats.perWorker.map((w) => w.workerId)).toEqual(['box-1', 'box-2', 'box-3']);
    expect(stats.perWorker.reduce((sum, w) => sum + w.completed, 0)).toBe(20);
    expect([...byWorker.keys()].every((id) => id.startsWith('box-'))).toBe(true);
    expect([...byWorker.values()].reduce((a, b) => a + b, 0)).toBe(20);
  });

  it('forwards events of every worker and stops when the listener is removed', async () => {
    const q = t.queue('events');
    const p = pool('events', () => 'ok', { size: 2 });
    const completed: WorkerPoolEvents['job.completed'][] = [];
    const off = p.on('job.completed', (e) => completed.push(e));
    p.start();
    await q.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'n', payload: i })));
    await t.waitFor(() => completed.length === 6, { what: 'six completed events' });
    expect(new Set(completed.map((e) => e.queue))).toEqual(new Set(['events']));

    off();
    await q.add('n', 99);
    await t.waitFor(async () => (await count('events', 'completed')) === 7);
    await t.advance(20);
    expect(completed).toHaveLength(6);
  });

  it('closes every worker gracefully and releases jobs that outlive the deadline', async () => {
    const q = t.queue('closing');
    const slow = gate<string>();
    const started: string[] = [];
    const p = pool(
      'closing',
      (job) => {
        started.push(job.id);
        return job.name === 'slow' ? slow.promise : 'fast';
      },
      { size: 2, concurrency: 1, prefetch: 1 },
    );
    const { id: slowId } = await q.add('slow', null);
    p.start();
    await t.waitFor(() => started.length === 1);

    let closed = false;
    const closing = p.close({ timeoutMs: 1000 }).then(() => {
      closed = true;
    });
    expect(p.stats().state).toBe('closing');
    await t.advance(500, 50);
    expect(closed).toBe(false);
    await t.advance(600, 50);
    await closing;
    expect(p.stats()).toMatchObject({ state: 'closed', running: 0 });
    expect(p.stats().perWorker.every((w) => w.state === 'closed')).toBe(true);
    // The job that outlived the deadline is back in the queue for another worker, no attempt spent.
    expect(await q.getJob(slowId)).toMatchObject({ state: 'waiting', attemptsMade: 0 });
    expect(() => p.start()).toThrow(StateConflictError);
    await p.close(); // idempotent
  });

  it('waitForIdle resolves true once drained, false on timeout while a job runs', async () => {
    const q = t.queue('idle');
    const held = gate<void>();
    const p = pool('idle', (job) => (job.name === 'hold' ? held.promise : undefined), { size: 2 });
    await q.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'n', payload: i })));
    await q.add('hold', null);
    await q.add('later', null, { delay: 60_000 }); // scheduled for later: does not count
    p.start();

    const timedOut = await t.drive(p.waitForIdle({ timeoutMs: 200 }));
    expect(timedOut).toBe(false);

    held.resolve();
    const idle = await t.drive(p.waitForIdle({ timeoutMs: 5000 }));
    expect(idle).toBe(true);
    expect(await t.store.countJobs({ queue: 'idle' })).toMatchObject({
      completed: 6,
      waiting: 0,
      active: 0,
      scheduled: 1,
    });
  });
});

describe('WorkerPool: auto-scaling', () => {
  const autoScale = { min: 1, max: 3, scaleUpAbove: 5, scaleDownBelow: 2, checkIntervalMs: 1000 };

  it('adds workers while the backlog is high, up to max, and retires them gracefully when it falls', async () => {
    const q = t.queue('scale');
    const release = gate<void>();
    const running = new Set<string>();
    const p = pool(
      'scale',
      async (job) => {
        running.add(job.id);
        await release.promise;
        running.delete(job.id);
      },
      { autoScale, concurrency: 1, prefetch: 1 },
    );
    const scaled: WorkerPoolEvents['pool.scaled'][] = [];
    const activeWorkers = new Set<string>();
    // Subscribed before any extra worker exists: later workers must be heard too.
    p.on('job.active', (e) => activeWorkers.add(e.workerId));
    p.on('pool.scaled', (e) => scaled.push(e));
    await q.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'n', payload: i })));
    p.start();
    expect(p.workerCount).toBe(1);

    await t.advance(1000, 50);
    expect(p.workerCount).toBe(2);
    await t.advance(1000, 50);
    expect(p.workerCount).toBe(3);
    await t.advance(3000, 50);
    expect(p.workerCount).toBe(3); // capped at max
    await t.waitFor(() => running.size === 3, { what: 'three jobs running' });
    expect(activeWorkers.size).toBe(3);
    expect(scaled.map((e) => [e.direction, e.from, e.to])).toEqual([
      ['up', 1, 2],
      ['up', 2, 3],
    ]);
    expect(scaled[0]?.backlog).toBeGreaterThan(5);

    // Drain: the backlog falls below scaleDownBelow and the pool shrinks back to min.
    release.resolve();
    await t.waitFor(async () => (await count('scale', 'completed')) === 20, { advanceMs: 10 });
    await t.advance(1000, 50);
    expect(p.workerCount).toBe(2);
    await t.advance(1000, 50);
    expect(p.workerCount).toBe(1);
    await t.advance(3000, 50);
    expect(p.workerCount).toBe(1); // never below min
    await t.waitFor(() => p.stats().retiring === 0);

    const stats = p.stats();
    // Retired workers' counters stay in the totals.
    expect(stats).toMatchObject({ workers: 1, completed: 20, scaledUp: 2, scaledDown: 2, lastBacklog: 0 });
    expect(stats.perWorker).toHaveLength(1);
    expect(scaled.slice(2).map((e) => [e.direction, e.from, e.to])).toEqual([
      ['down', 3, 2],
      ['down', 2, 1],
    ]);
  });

  it('lets a retiring worker finish its running job instead of releasing it', async () => {
    const q = t.queue('retire');
    const gates = new Map<string, ReturnType<typeof gate<void>>>();
    const p = pool(
      'retire',
      (job) => {
        const g = gate<void>();
        gates.set(job.id, g);
        return g.promise;
      },
      { size: 2, autoScale: { ...autoScale, min: 1, max: 2 }, concurrency: 1, prefetch: 1 },
    );
    const [a, b] = await q.addBulk([
      { name: 'a', payload: 1 },
      { name: 'b', payload: 2 },
    ]);
    p.start();
    await t.waitFor(() => gates.size === 2, { what: 'both running' });
    // Backlog 0 < scaleDownBelow: one worker retires while it still runs a job.
    await t.advance(1000, 50);
    expect(p.stats()).toMatchObject({ workers: 1, retiring: 1, running: 2 });
    await t.advance(2000, 50);
    expect(await q.getJob(a!.id)).toMatchObject({ state: 'active' });
    expect(await q.getJob(b!.id)).toMatchObject({ state: 'active' });

    for (const g of gates.values()) g.resolve();
    await t.waitFor(async () => (await count('retire', 'completed')) === 2, { advanceMs: 10 });
    await t.waitFor(() => p.stats().retiring === 0);
    expect(p.stats()).toMatchObject({ workers: 1, completed: 2, leasesLost: 0 });
  });

  it('does not scale up while the queue is paused', async () => {
    const q = t.queue('paused');
    await q.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'n', payload: i })));
    await q.pause();
    const p = pool('paused', () => undefined, { autoScale });
    p.start();
    await t.advance(3000, 100);
    expect(p.workerCount).toBe(1);
    expect(p.stats().lastBacklog).toBe(10);
  });

  it('counts a scheduled job that fell due as backlog', async () => {
    const q = t.queue('due');
    await q.add('n', 1, { delay: 5000 });
    const p = pool('due', () => undefined, {
      autoScale: { ...autoScale, scaleUpAbove: 0, scaleDownBelow: 0 },
    });
    await q.pause(); // nobody promotes the job, so it stays `scheduled`
    p.start();
    expect(await p.checkNow()).toBe(0);
    t.clock.advance(5000);
    expect(await p.checkNow()).toBe(1);
  });

  it('reports a failed backlog check as an error event and keeps checking', async () => {
    const p = pool('flaky', () => undefined, { autoScale });
    const errors: Error[] = [];
    p.on('error', (e) => errors.push(e.error));
    const original = t.store.countJobs.bind(t.store);
    let fail = true;
    t.store.countJobs = async (params) => {
      if (fail) throw new Error('disk on fire');
      return original(params);
    };
    p.start();
    await t.advance(1000, 50);
    expect(errors.map((e) => e.message)).toContain('disk on fire');
    fail = false;
    await t.advance(1000, 50);
    expect(p.stats().lastBacklog).toBe(0);
    t.store.countJobs = original;
  });

  it('validates its options and names the field', () => {
    const base = { store: t.store, clock: t.clock };
    const handler = () => undefined;
    const expectField = (options: Partial<WorkerPoolOptions>, field: string) => {
      let error: unknown;
      try {
        new WorkerPool('v', handler, { ...base, ...options });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    };
    expectField({ autoScale: { ...autoScale, min: 3, max: 2 } }, 'autoScale.max');
    expectField({ autoScale: { ...autoScale, scaleDownBelow: 9 } }, 'autoScale.scaleDownBelow');
    expectField({ autoScale: { ...autoScale, min: 0 } }, 'autoScale.min');
    expectField({ autoScale, size: 5 }, 'size');
    expectField({ size: 0 }, 'size');
    expectField({ concurrency: -1 }, 'concurrency');
    expect(() => new WorkerPool('v', handler, {} as WorkerPoolOptions)).toThrow(/store/);
  });
});
