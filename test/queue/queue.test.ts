import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClosedError, type Job, ValidationError } from '../../src/index.js';
import { createHarness, flush, type Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

describe('Queue.add and getJob', () => {
  it('stores a job and reads it back with every option', async () => {
    const q = h.queue<{ to: string; n: number }>('emails');
    const added = await q.add(
      'send',
      { to: 'a@example.com', n: 1 },
      { maxAttempts: 5, timeout: 1500, backoff: { type: 'fixed', delayMs: 250 }, priority: 'high' },
    );
    expect(added).toEqual({ id: expect.any(String), queue: 'emails', name: 'send', created: true });

    const job = await q.getJob(added.id);
    expect(job).toMatchObject({
      id: added.id,
      queue: 'emails',
      name: 'send',
      payload: { to: 'a@example.com', n: 1 },
      state: 'waiting',
      priority: 2,
      attemptsMade: 0,
      maxAttempts: 5,
      orphanCount: 0,
      rateLimitDelays: 0,
      runAt: h.t0,
      createdAt: h.t0,
      timeoutMs: 1500,
      backoff: { type: 'fixed', delayMs: 250 },
      idempotencyKey: null,
      result: null,
      attempts: [],
      deadLetterId: null,
    } satisfies Partial<Job>);
  });

  it('applies defaults: normal priority, 3 attempts, no timeout', async () => {
    const q = h.queue('plain');
    const { id } = await q.add('x', null);
    expect(await q.getJob(id)).toMatchObject({ payload: null, priority: 1, maxAttempts: 3, timeoutMs: null });
  });

  it('applies defaultJobOptions unless the job overrides them', async () => {
    const q = h.queue('defaults', { defaultJobOptions: { maxAttempts: 7, priority: 'low' } });
    const a = await q.add('a', 1);
    const b = await q.add('b', 2, { priority: 'high' });
    expect(await q.getJob(a.id)).toMatchObject({ maxAttempts: 7, priority: 0 });
    expect(await q.getJob(b.id)).toMatchObject({ maxAttempts: 7, priority: 2 });
  });

  it('getJob returns null for unknown ids and for jobs of another queue', async () => {
    const q = h.queue('one');
    const other = h.queue('two');
    const { id } = await q.add('x', {});
    expect(await q.getJob('987654')).toBeNull();
    expect(await q.getJob('not-a-number')).toBeNull();
    expect(await other.getJob(id)).toBeNull();
  });

  it('adds made in the same tick each get their own job', async () => {
    const q = h.queue('burst');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => q.add('n', { i })));
    expect(new Set(results.map((r) => r.id)).size).toBe(50);
    for (const [i, r] of results.entries()) expect((await q.getJob(r.id))?.payload).toEqual({ i });
    expect((await q.getCounts()).waiting).toBe(50);
  });
});

describe('idempotency keys', () => {
  it('a second add with the same key returns the first job', async () => {
    const q = h.queue('pay');
    const first = await q.add('charge', { amount: 10 }, { idempotencyKey: 'order-1' });
    const second = await q.add('charge', { amount: 99 }, { idempotencyKey: 'order-1' });
    expect(first.created).toBe(true);
    expect(second).toEqual({ ...first, created: false });
    expect((await q.getJob(first.id))?.payload).toEqual({ amount: 10 });
    expect((await q.getCounts()).waiting).toBe(1);
  });

  it('matches within a single tick and within one addBulk call', async () => {
    const q = h.queue('pay');
    const [a, b] = await Promise.all([
      q.add('charge', 1, { idempotencyKey: 'k' }),
      q.add('charge', 2, { idempotencyKey: 'k' }),
    ]);
    expect(b!.id).toBe(a!.id);
    expect([a!.created, b!.created]).toEqual([true, false]);
    const bulk = await q.addBulk([
      { name: 'charge', payload: 3, options: { idempotencyKey: 'k2' } },
      { name: 'charge', payload: 4, options: { idempotencyKey: 'k2' } },
      { name: 'charge', payload: 5, options: { idempotencyKey: 'k' } },
    ]);
    expect(bulk.map((r) => r.created)).toEqual([true, false, false]);
    expect(bulk[1]!.id).toBe(bulk[0]!.id);
    expect(bulk[2]!.id).toBe(a!.id);
    expect((await q.getCounts()).waiting).toBe(2);
  });

  it('keys are scoped to the queue', async () => {
    const a = await h.queue('a').add('x', 1, { idempotencyKey: 'same' });
    const b = await h.queue('b').add('x', 1, { idempotencyKey: 'same' });
    expect(b.created).toBe(true);
    expect(b.id).not.toBe(a.id);
  });
});

describe('addBulk', () => {
  it('adds every entry in order', async () => {
    const q = h.queue('bulk');
    const results = await q.addBulk([
      { name: 'a', payload: { i: 0 } },
      { name: 'b', payload: { i: 1 }, options: { priority: 'high' } },
      { name: 'c', payload: { i: 2 }, options: { delay: 1000 } },
    ]);
    expect(results.map((r) => r.name)).toEqual(['a', 'b', 'c']);
    const jobs = await Promise.all(results.map((r) => q.getJob(r.id)));
    expect(jobs.map((j) => [j?.name, j?.payload, j?.state])).toEqual([
      ['a', { i: 0 }, 'waiting'],
      ['b', { i: 1 }, 'waiting'],
      ['c', { i: 2 }, 'scheduled'],
    ]);
  });

  it('is atomic: one bad entry is a ValidationError naming jobs[i] and nothing is inserted', async () => {
    const q = h.queue('bulk');
    const entries = [
      { name: 'ok', payload: 1 },
      { name: 'ok', payload: 2 },
      { name: 'bad', payload: 3, options: { priority: 'urgent' as never } },
      { name: 'ok', payload: 4 },
    ];
    const error = await q.addBulk(entries).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('jobs[2].options.priority');
    expect((error as ValidationError).message).toMatch(/^jobs\[2\]\.options\.priority: /);
    expect(await q.getCounts()).toMatchObject({ waiting: 0, scheduled: 0 });
    expect(await h.store.listJobs({ limit: 10 })).toEqual([]);
  });

  it('names nested payload fields and missing names by index', async () => {
    const q = h.queue('bulk');
    await expect(
      q.addBulk([
        { name: 'ok', payload: 1 },
        { name: 'x', payload: { big: 10n } },
      ]),
    ).rejects.toMatchObject({ field: 'jobs[1].payload.big' });
    await expect(q.addBulk([{ name: '', payload: 1 }])).rejects.toMatchObject({ field: 'jobs[0].name' });
    await expect(q.addBulk('nope' as never)).rejects.toMatchObject({ field: 'jobs' });
    expect((await q.getCounts()).waiting).toBe(0);
  });

  it('adds 100 000 jobs in one call', async () => {
    const q = h.queue('big');
    const entries = Array.from({ length: 100_000 }, (_, i) => ({ name: 'n', payload: { i } }));
    const started = performance.now();
    const results = await q.addBulk(entries);
    const elapsed = performance.now() - started;
    expect(results).toHaveLength(100_000);
    expect(new Set(results.map((r) => r.id)).size).toBe(100_000);
    expect((await q.getCounts()).waiting).toBe(100_000);
    const last = await q.getJob(results[99_999]!.id);
    expect(last?.payload).toEqual({ i: 99_999 });
    expect(elapsed).toBeLessThan(15_000);
  });
});

describe('getCounts', () => {
  it('counts jobs per state, for this queue only', async () => {
    const q = h.queue('counted');
    await q.addBulk([
      { name: 'a', payload: 1 },
      { name: 'a', payload: 2 },
      { name: 'later', payload: 3, options: { delay: 60_000 } },
    ]);
    await h.queue('elsewhere').add('x', 1);
    const [claimed] = await h.store.claimJobs({
      queue: 'counted',
      workerId: 'w',
      limit: 1,
      leaseMs: 30_000,
      now: h.clock.now(),
      claimId: 'c1',
    });
    expect(await q.getCounts()).toEqual({
      scheduled: 1,
      waiting: 1,
      active: 1,
      completed: 0,
      dead_lettered: 0,
    });
    await h.store.completeJobs({
      completions: [{ id: claimed!.id, token: claimed!.token, resultJson: null }],
      now: h.clock.now(),
    });
    expect(await q.getCounts()).toMatchObject({ waiting: 1, active: 0, completed: 1 });
  });
});

describe('backlog alert', () => {
  type Alert = { type: string; value?: number; threshold?: number };

  it('emits an alert when waiting jobs exceed the threshold, counting at most once a second', async () => {
    const q = h.queue('busy', { backlogAlertThreshold: 2 });
    const alerts: Alert[] = [];
    q.on('alert', (a) => alerts.push(a));
    await q.add('x', 1);
    expect(alerts).toEqual([]);
    h.clock.advance(1000);
    await q.addBulk([
      { name: 'x', payload: 2 },
      { name: 'x', payload: 3 },
    ]);
    await flush();
    expect(alerts).toMatchObject([{ type: 'backlog', value: 3, threshold: 2 }]);
    await q.add('x', 4);
    await flush();
    expect(alerts).toHaveLength(1); // inside the second: counted at its end
    h.clock.advance(1000);
    await flush();
    expect(alerts).toMatchObject([{ value: 3 }, { type: 'backlog', value: 4 }]);
  });

  it('checks after a burst: quick adds that cross the threshold alert without a later add', async () => {
    const q = h.queue('burst', { backlogAlertThreshold: 5 });
    const alerts: Alert[] = [];
    q.on('alert', (a) => alerts.push(a));
    for (let i = 0; i < 10; i++) await q.add('x', i);
    await flush();
    expect(alerts).toEqual([]); // the first add was counted alone
    h.clock.advance(1000);
    await flush();
    expect(alerts).toMatchObject([{ type: 'backlog', value: 10, threshold: 5 }]);
    h.clock.advance(5000);
    await flush();
    expect(alerts).toHaveLength(1); // no add, no count
    await q.close();
    expect(h.clock.pendingTimers).toBe(0);
  });
});

describe('job.enqueued event', () => {
  it('is emitted for add, addBulk and idempotent matches', async () => {
    const q = h.queue('ev');
    const events: { jobId: string; name: string; created: boolean; queue: string }[] = [];
    q.on('job.enqueued', (e) => events.push(e));
    const a = await q.add('one', 1, { idempotencyKey: 'k' });
    const b = await q.add('again', 1, { idempotencyKey: 'k' });
    const bulk = await q.addBulk([{ name: 'two', payload: 2 }]);
    expect(events).toEqual([
      { queue: 'ev', jobId: a.id, name: 'one', created: true },
      { queue: 'ev', jobId: b.id, name: 'again', created: false },
      { queue: 'ev', jobId: bulk[0]!.id, name: 'two', created: true },
    ]);
  });
});

describe('Queue.clean, drain and close', () => {
  it('drain removes jobs that have not started', async () => {
    const q = h.queue('d');
    await q.addBulk([
      { name: 'a', payload: 1 },
      { name: 'b', payload: 2, options: { delay: 1000 } },
      { name: 'c', payload: 3 },
    ]);
    await h.store.claimJobs({
      queue: 'd',
      workerId: 'w',
      limit: 1,
      leaseMs: 30_000,
      now: h.clock.now(),
      claimId: 'c',
    });
    expect(await q.drain()).toBe(2);
    expect(await q.getCounts()).toMatchObject({ waiting: 0, scheduled: 0, active: 1 });
  });

  it('clean removes finished jobs older than olderThanMs only', async () => {
    const q = h.queue('c');
    await q.addBulk([
      { name: 'a', payload: 1 },
      { name: 'b', payload: 2 },
    ]);
    const claimed = await h.store.claimJobs({
      queue: 'c',
      workerId: 'w',
      limit: 1,
      leaseMs: 30_000,
      now: h.clock.now(),
      claimId: 'c',
    });
    await h.store.completeJobs({
      completions: claimed.map((j) => ({ id: j.id, token: j.token, resultJson: null })),
      now: h.clock.now(),
    });
    h.clock.advance(5000);
    expect(await q.clean({ olderThanMs: 10_000 })).toBe(0);
    expect(await q.clean({ olderThanMs: 1000 })).toBe(1);
    expect(await q.getCounts()).toMatchObject({ completed: 0, waiting: 1 });
  });

  it('close lets pending adds finish and refuses new ones', async () => {
    const q = h.queue('closing');
    const pending = q.add('x', 1);
    await q.close();
    await expect(pending).resolves.toMatchObject({ created: true });
    // A closed queue is not bad input: ClosedError (503, retryable), naming the queue.
    await expect(q.add('y', 2)).rejects.toBeInstanceOf(ClosedError);
    await expect(q.add('y', 2)).rejects.toMatchObject({ code: 'CLOSED', details: { queue: 'closing' } });
    await expect(q.addBulk([{ name: 'z', payload: 3 }])).rejects.toMatchObject({
      code: 'CLOSED',
      details: { queue: 'closing' },
    });
    expect((await q.getCounts()).waiting).toBe(1);
  });
});
