import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ActiveJob, CircuitBreaker } from '../../src/index.js';
import { createHarness, deferred, flush, type Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

describe('Worker: processing', () => {
  it('runs jobs and stores their results', async () => {
    const q = h.queue<{ n: number }>('math');
    const a = await q.add('double', { n: 2 });
    const b = await q.add('double', { n: 5 });
    const seen: ActiveJob<{ n: number }>[] = [];
    h.worker<{ n: number }, { doubled: number }>('math', async (job) => {
      seen.push(job);
      return { doubled: job.payload.n * 2 };
    });
    await h.waitFor(async () => (await q.getCounts()).completed === 2, { what: 'both completed' });
    expect(await q.getJob(a.id)).toMatchObject({
      state: 'completed',
      result: { doubled: 4 },
      attemptsMade: 1,
      finishedAt: h.t0,
      leaseExpiresAt: null,
    });
    expect((await q.getJob(b.id))?.result).toEqual({ doubled: 10 });
    expect(seen.map((j) => [j.id, j.name, j.attempt, j.maxAttempts, j.queue])).toEqual([
      [a.id, 'double', 1, 3, 'math'],
      [b.id, 'double', 1, 3, 'math'],
    ]);
  });

  it('wakes at once for jobs added after it started, and accepts sync handlers', async () => {
    const q = h.queue('later');
    const w = h.worker('later', (job) => `sync:${job.name}`);
    await h.advance(0);
    const { id } = await q.add('hello', null);
    // No fake time passes: the store's notify wakes the worker.
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed', { what: 'completed' });
    expect((await q.getJob(id))?.result).toBe('sync:hello');
    expect(w.stats()).toMatchObject({ completed: 1, failed: 0, state: 'running' });
  });

  it('stores null for a handler that returns nothing', async () => {
    const q = h.queue('void');
    const { id } = await q.add('x', 1);
    h.worker('void', async () => undefined);
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
    expect((await q.getJob(id))?.result).toBeNull();
  });

  it('only processes its own queue', async () => {
    const mine = h.queue('mine');
    const theirs = h.queue('theirs');
    await theirs.add('x', 1);
    const { id } = await mine.add('x', 1);
    const ran: string[] = [];
    h.worker('mine', async (job) => {
      ran.push(job.id);
    });
    await h.waitFor(async () => (await mine.getJob(id))?.state === 'completed');
    await h.advance(100);
    expect(ran).toEqual([id]);
    expect((await theirs.getCounts()).waiting).toBe(1);
  });

  it('respects concurrency', async () => {
    const q = h.queue('conc');
    await q.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'n', payload: i })));
    let running = 0;
    let maxRunning = 0;
    const gates: ReturnType<typeof deferred<void>>[] = [];
    h.worker(
      'conc',
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        running--;
      },
      { concurrency: 3 },
    );
    await h.waitFor(() => gates.length === 3, { what: 'three started' });
    await flush(10);
    expect(running).toBe(3);
    for (let i = 0; i < 10; i++) {
      await h.waitFor(() => gates.length > i, { what: `job ${i} started` });
      gates[i]!.resolve();
      await flush(3);
      expect(running).toBeLessThanOrEqual(3);
    }
    await h.waitFor(async () => (await q.getCounts()).completed === 10, { what: 'all completed' });
    expect(maxRunning).toBe(3);
  });
});

describe('Worker: completed-job retention', () => {
  it('removes completed jobs older than completedRetentionMs in its maintenance sweep', async () => {
    const q = h.queue('retain');
    const { id } = await q.add('x', null);
    h.worker('retain', async () => 'ok', { completedRetentionMs: 1000, recoveryIntervalMs: 100 });
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
    await h.advance(900, 100);
    expect((await q.getJob(id))?.state).toBe('completed');
    await h.advance(300, 100);
    expect(await q.getJob(id)).toBeNull();
  });

  it('keeps them with completedRetentionMs: false', async () => {
    const q = h.queue('keep');
    const { id } = await q.add('x', null);
    h.worker('keep', async () => 'ok', { completedRetentionMs: false, recoveryIntervalMs: 100 });
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
    await h.advance(48 * 3600_000, 3600_000);
    expect((await q.getJob(id))?.state).toBe('completed');
  });
});

describe('Worker: ordering', () => {
  it('runs high before normal before low, FIFO within a priority', async () => {
    const q = h.queue('prio');
    await q.add('low-1', null, { priority: 'low' });
    await q.add('normal-1', null);
    await q.add('high-1', null, { priority: 'high' });
    await q.add('low-2', null, { priority: 0 });
    await q.add('high-2', null, { priority: 2 });
    await q.add('normal-2', null, { priority: 'normal' });
    const order: string[] = [];
    h.worker('prio', async (job) => {
      order.push(job.name);
    });
    await h.waitFor(() => order.length === 6, { what: 'six ran' });
    expect(order).toEqual(['high-1', 'high-2', 'normal-1', 'normal-2', 'low-1', 'low-2']);
  });

  it('does not run delayed jobs before they are due, then runs them in due order', async () => {
    const q = h.queue('delayed');
    await q.add('in-5s', null, { delay: 5000 });
    await q.add('at-2s', null, { runAt: new Date(h.t0 + 2000) });
    await q.add('at-3s', null, { runAt: h.t0 + 3000 });
    await q.add('now', null);
    await q.add('past-runAt', null, { runAt: h.t0 - 60_000 });
    const ran: [string, number][] = [];
    h.worker('delayed', async (job) => {
      ran.push([job.name, h.clock.now() - h.t0]);
    });
    await h.waitFor(() => ran.length === 2, { what: 'due jobs ran' });
    expect(ran).toEqual([
      ['now', 0],
      ['past-runAt', 0],
    ]);
    expect(await q.getCounts()).toMatchObject({ scheduled: 3, waiting: 0 });

    await h.advance(1999);
    expect(ran).toHaveLength(2);
    await h.advance(6000);
    expect(ran.map(([name]) => name)).toEqual(['now', 'past-runAt', 'at-2s', 'at-3s', 'in-5s']);
    for (const [name, at] of ran.slice(2)) {
      const due = { 'at-2s': 2000, 'at-3s': 3000, 'in-5s': 5000 }[name]!;
      expect(at).toBeGreaterThanOrEqual(due);
      expect(at).toBeLessThanOrEqual(due + 50);
    }
  });

  it('runs delayed jobs whose time passed while no worker ran, in due order', async () => {
    const q = h.queue('backlog');
    await q.add('third', null, { delay: 3000 });
    await q.add('first', null, { delay: 1000 });
    await q.add('second', null, { delay: 2000 });
    h.clock.advance(60_000);
    const order: string[] = [];
    h.worker('backlog', async (job) => {
      order.push(job.name);
    });
    await h.waitFor(() => order.length === 3);
    expect(order).toEqual(['first', 'second', 'third']);
  });

  it('does not treat a job that waited longer than the lease as stalled', async () => {
    const q = h.queue('old');
    const { id } = await q.add('x', null);
    h.clock.advance(10 * 30_000);
    const stalled: string[] = [];
    const w = h.worker('old', async () => 'ok', { recoveryIntervalMs: 10 });
    w.on('job.stalled', (e) => stalled.push(e.jobId));
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
    await h.advance(100);
    expect(stalled).toEqual([]);
    expect(await q.getJob(id)).toMatchObject({ orphanCount: 0, attemptsMade: 1 });
  });
});

describe('Queue: pause, resume, waitUntilEmpty', () => {
  it('a paused queue is not processed; resume lets workers claim again', async () => {
    const q = h.queue('p');
    await q.pause();
    expect(await q.isPaused()).toBe(true);
    await q.addBulk([
      { name: 'a', payload: 1 },
      { name: 'b', payload: 2 },
    ]);
    const ran: string[] = [];
    h.worker('p', async (job) => {
      ran.push(job.name);
    });
    await h.advance(500);
    expect(ran).toEqual([]);
    expect((await q.getCounts()).waiting).toBe(2);

    await q.resume();
    expect(await q.isPaused()).toBe(false);
    await h.waitFor(() => ran.length === 2, { what: 'ran after resume' });
    expect(ran).toEqual(['a', 'b']);
  });

  it('pausing while a worker runs stops further claims; jobs already claimed still finish', async () => {
    const q = h.queue('p2');
    await q.addBulk([
      { name: 'a', payload: 1 },
      { name: 'b', payload: 2 },
      { name: 'c', payload: 3 },
    ]);
    const gate = deferred();
    const ran: string[] = [];
    h.worker(
      'p2',
      async (job) => {
        ran.push(job.name);
        if (job.name === 'a') await gate.promise;
      },
      { concurrency: 1 },
    );
    await h.waitFor(() => ran.length === 1);
    await flush(5);
    await q.pause();
    // Whatever the worker holds now (the running job, and any it claimed ahead) may still run.
    const held = (await h.store.listJobs({ queue: 'p2', states: ['active'], limit: 10 })).map((j) => j.name);
    expect(held).toContain('a');
    expect(held).not.toContain('c');
    gate.resolve();
    await h.advance(500);
    expect(ran.sort()).toEqual([...held].sort());
    expect(await q.getCounts()).toMatchObject({
      completed: held.length,
      waiting: 3 - held.length,
      active: 0,
    });
    await q.resume();
    await h.waitFor(() => ran.length === 3);
    expect(ran).toContain('c');
  });

  it('waitUntilEmpty resolves once nothing is waiting, scheduled or active', async () => {
    const q = h.queue('drain');
    await q.addBulk([
      { name: 'a', payload: 1 },
      { name: 'b', payload: 2, options: { delay: 1000 } },
    ]);
    let empty = false;
    const waiting = q.waitUntilEmpty({ pollMs: 20 }).then(() => {
      empty = true;
    });
    h.worker('drain', async () => undefined);
    await h.advance(500, 20);
    expect(empty).toBe(false);
    await h.advance(1000, 20);
    await waiting;
    expect(empty).toBe(true);
    expect((await q.getCounts()).completed).toBe(2);
  });

  it('waitUntilEmpty rejects after timeoutMs', async () => {
    const q = h.queue('stuck');
    await q.add('x', 1);
    let error: unknown;
    const waiting = q.waitUntilEmpty({ timeoutMs: 100, pollMs: 20 }).catch((e: unknown) => {
      error = e;
    });
    await h.advance(80, 20);
    expect(error).toBeUndefined();
    await h.advance(40, 20);
    await waiting;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/not empty after 100 ms/);
  });
});

describe('Worker: rateLimit option', () => {
  it('dispatches at most `limit` jobs per interval', async () => {
    const q = h.queue('limited');
    await q.addBulk(Array.from({ length: 8 }, (_, i) => ({ name: 'n', payload: i })));
    const startedAt: number[] = [];
    h.worker(
      'limited',
      async () => {
        startedAt.push(h.clock.now() - h.t0);
      },
      { concurrency: 10, rateLimit: { limit: 2, intervalMs: 1000 } },
    );
    await h.advance(0);
    await flush(10);
    expect(startedAt).toEqual([0, 0]);
    await h.advance(499);
    expect(startedAt).toHaveLength(2);
    await h.advance(1);
    expect(startedAt).toHaveLength(3);
    await h.advance(2500);
    expect(startedAt).toHaveLength(8);
    // Over any window of 1000 ms at most limit + (burst refill) jobs started: 2 per second sustained.
    for (let i = 2; i < startedAt.length; i++)
      expect(startedAt[i]! - startedAt[i - 2]!).toBeGreaterThanOrEqual(500);
    expect(startedAt[7]).toBeGreaterThanOrEqual(3000);
  });
});

describe('Worker: circuitBreaker option', () => {
  it('stops claiming after the failure threshold until the recovery timeout, then probes', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, recoveryTimeoutMs: 10_000, clock: h.clock });
    const q = h.queue('cb');
    await q.addBulk(
      Array.from({ length: 10 }, (_, i) => ({ name: 'n', payload: i, options: { maxAttempts: 1 } })),
    );
    let healthy = false;
    const calls: number[] = [];
    h.worker(
      'cb',
      async () => {
        calls.push(h.clock.now() - h.t0);
        if (!healthy) throw new Error('downstream is down');
      },
      { circuitBreaker: breaker },
    );
    await h.waitFor(() => calls.length >= 3, { what: 'three failures' });
    await h.advance(100);
    expect(calls).toHaveLength(3);
    expect(breaker.state.name).toBe('open');
    // Prefetched jobs were handed back rather than held while the circuit is open.
    expect(await q.getCounts()).toMatchObject({ dead_lettered: 3, active: 0, waiting: 7 });

    await h.advance(9800, 100);
    expect(calls).toHaveLength(3);
    healthy = true;
    await h.advance(200, 50);
    await h.waitFor(async () => (await q.getCounts()).completed === 7, { advanceMs: 10, what: 'rest done' });
    expect(calls[3]).toBeGreaterThanOrEqual(10_000);
    expect(breaker.state.name).toBe('closed');
  });

  it('a failed half-open probe reopens the circuit for another recovery timeout', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, recoveryTimeoutMs: 1000, clock: h.clock });
    const q = h.queue('cb2');
    await q.addBulk(
      Array.from({ length: 5 }, (_, i) => ({ name: 'n', payload: i, options: { maxAttempts: 1 } })),
    );
    const calls: number[] = [];
    h.worker(
      'cb2',
      async () => {
        calls.push(h.clock.now() - h.t0);
        throw new Error('still down');
      },
      { circuitBreaker: breaker },
    );
    await h.waitFor(() => calls.length === 2);
    await h.advance(1100, 50);
    expect(calls).toHaveLength(3);
    expect(calls[2]).toBeGreaterThanOrEqual(1000);
    expect(breaker.state.name).toBe('open');
    await h.advance(800, 50);
    expect(calls).toHaveLength(3);
    await h.advance(400, 50);
    expect(calls).toHaveLength(4);
  });
});
