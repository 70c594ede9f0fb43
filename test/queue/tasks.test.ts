import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createTaskRouter,
  defineTask,
  type JobHandler,
  PermanentError,
  type Queue,
  TaskRegistry,
  ValidationError,
  Worker,
} from '../../src/index.js';
import { createFakeTime, type FakeTime } from './fake-time-harness.js';

let t: FakeTime;
beforeEach(() => {
  t = createFakeTime();
});
afterEach(async () => {
  await t.cleanup();
});

function worker(queue: Queue<never> | Queue, handler: JobHandler<unknown, unknown>): Worker {
  const w = new Worker(queue.name, handler, {
    store: t.store,
    clock: t.clock,
    random: t.random(),
    pollIntervalMs: 10,
    backoff: { type: 'fixed', delayMs: 100, jitter: 'none' },
  });
  t.onCleanup(() => w.close({ timeoutMs: 0 }));
  return w;
}

const stateOf = async (queue: Queue<never> | Queue, id: string) => (await queue.getJob(id))?.state;

describe('defineTask: enqueueing', () => {
  it('delay enqueues with the task defaults, which each call may override', async () => {
    const q = t.queue('mail');
    const send = defineTask(q, 'send-email', (p: { to: string }) => `sent:${p.to}`, {
      priority: 'high',
      maxAttempts: 5,
    });
    expect([send.name, send.queue]).toEqual(['send-email', 'mail']);
    const a = await send.delay({ to: 'a@example.com' });
    const b = await send.delay({ to: 'b@example.com' }, { priority: 'low', timeout: 2000 });
    expect(await q.getJob(a.id)).toMatchObject({
      name: 'send-email',
      payload: { to: 'a@example.com' },
      priority: 2,
      maxAttempts: 5,
      state: 'waiting',
    });
    expect(await q.getJob(b.id)).toMatchObject({ priority: 0, maxAttempts: 5, timeoutMs: 2000 });
    expect(send.stats()).toMatchObject({ name: 'send-email', queue: 'mail', enqueued: 2, deduplicated: 0 });
  });

  it('scheduleIn and scheduleAt enqueue delayed jobs', async () => {
    const q = t.queue('later');
    const ping = defineTask(q, 'ping', (n: number) => n);
    const inAMinute = await ping.scheduleIn(60_000, 1);
    const atNoon = await ping.scheduleAt(new Date(t.t0 + 12 * 3600_000), 2);
    const atMs = await ping.scheduleAt(t.t0 + 5000, 3);
    expect(await q.getJob(inAMinute.id)).toMatchObject({ state: 'scheduled', runAt: t.t0 + 60_000 });
    expect(await q.getJob(atNoon.id)).toMatchObject({ state: 'scheduled', runAt: t.t0 + 12 * 3600_000 });
    expect(await q.getJob(atMs.id)).toMatchObject({ state: 'scheduled', runAt: t.t0 + 5000 });
    await expect(ping.scheduleIn(-1, 4)).rejects.toMatchObject({ field: 'options.delay' });
  });

  it('map enqueues one job per payload atomically', async () => {
    const q = t.queue('bulk');
    const resize = defineTask(q, 'resize', (p: { w: number }) => p.w, {
      schema: z.object({ w: z.number().int().positive() }),
    });
    const jobs = await resize.map([{ w: 1 }, { w: 2 }, { w: 3 }], { priority: 'low' });
    expect(jobs.map((j) => j.name)).toEqual(['resize', 'resize', 'resize']);
    expect((await q.getJob(jobs[2]!.id))?.payload).toEqual({ w: 3 });
    expect(resize.stats().enqueued).toBe(3);

    // One bad payload: the error names its index and nothing is enqueued.
    const error = await resize.map([{ w: 4 }, { w: -1 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('payloads[1].w');
    expect((await q.getCounts()).waiting).toBe(3);
  });

  it('counts adds that hit an idempotency key as deduplicated', async () => {
    const q = t.queue('once');
    const task = defineTask(q, 'charge', (p: { order: number }) => p.order);
    const first = await task.delay({ order: 7 }, { idempotencyKey: 'order-7' });
    const second = await task.delay({ order: 7 }, { idempotencyKey: 'order-7' });
    expect(second).toMatchObject({ id: first.id, created: false });
    expect(task.stats()).toMatchObject({ enqueued: 1, deduplicated: 1 });
  });

  it('validates payloads against the schema and names the field', async () => {
    const q = t.queue('typed');
    const task = defineTask(q, 'greet', (p) => `hello ${p.name}`, {
      schema: z.object({ name: z.string().min(1) }),
    });
    const error = await task.delay({ name: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('payload.name');
    await expect(task.run({ name: 42 } as unknown as { name: string })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect((await q.getCounts()).waiting).toBe(0);
    expect(task.stats().enqueued).toBe(0);
  });

  it('accepts a queue typed with any payload', async () => {
    const q = t.queue<{ n: number }>('typed-queue');
    const task = defineTask(q, 'n', (p: { n: number }) => p.n + 1);
    expect((await task.delay({ n: 1 })).created).toBe(true);
  });
});

describe('defineTask: run', () => {
  it('calls the handler at once in this process, without the store', async () => {
    const q = t.queue('direct');
    const seen: unknown[] = [];
    const add = defineTask(
      q,
      'add',
      async (p: { a: number; b: number }, job) => {
        seen.push([job.id, job.name, job.queue, job.attempt, job.maxAttempts, job.signal.aborted]);
        return p.a + p.b;
      },
      { maxAttempts: 4, clock: t.clock },
    );
    await expect(add.run({ a: 2, b: 3 })).resolves.toBe(5);
    await expect(add.run({ a: 1, b: 1 })).resolves.toBe(2);
    expect(seen).toEqual([
      ['local-1', 'add', 'direct', 1, 4, false],
      ['local-2', 'add', 'direct', 1, 4, false],
    ]);
    expect(await q.getCounts()).toMatchObject({ waiting: 0, completed: 0 });
    expect(add.stats()).toMatchObject({ ranDirectly: 2, enqueued: 0 });
  });

  it('lets handler errors through unchanged', async () => {
    const q = t.queue('direct-fail');
    const boom = defineTask(q, 'boom', () => {
      throw new TypeError('nope');
    });
    await expect(boom.run(null)).rejects.toThrow(TypeError);
  });
});

describe('createTaskRouter: one worker, many tasks', () => {
  it('dispatches on the job name', async () => {
    const q = t.queue('router');
    const double = defineTask(q, 'double', (n: number) => n * 2);
    const shout = defineTask(q, 'shout', (s: string) => s.toUpperCase());
    const a = await double.delay(21);
    const b = await shout.delay('hi');
    worker(q, createTaskRouter([double, shout]));
    await t.waitFor(async () => (await q.getCounts()).completed === 2, { what: 'both completed' });
    expect((await q.getJob(a.id))?.result).toBe(42);
    expect((await q.getJob(b.id))?.result).toBe('HI');
    expect(double.stats()).toMatchObject({ succeeded: 1, failed: 0 });
    expect(shout.stats()).toMatchObject({ succeeded: 1 });
  });

  it('dead-letters a job whose name no task has, at once, with a PermanentError', async () => {
    const q = t.queue('unknown');
    const known = defineTask(q, 'known', () => 'ok');
    const { id } = await q.add('mystery', { x: 1 }, { maxAttempts: 5 });
    worker(q, createTaskRouter([known]));
    await t.waitFor(async () => (await stateOf(q, id)) === 'dead_lettered', { what: 'dead-lettered' });
    const job = await q.getJob(id);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.attempts[0]).toMatchObject({ errorClass: 'PermanentError', errorCode: 'PERMANENT_FAILURE' });
    expect(job?.attempts[0]?.message).toMatch(/no task named "mystery".*known: known/);
  });

  it('dead-letters a stored payload that fails the schema', async () => {
    const q = t.queue('bad-payload');
    const task = defineTask(q, 'typed', (p: { n: number }) => p.n, { schema: z.object({ n: z.number() }) });
    const { id } = await q.add('typed', { n: 'not a number' }, { maxAttempts: 5 });
    worker(q, createTaskRouter([task]));
    await t.waitFor(async () => (await stateOf(q, id)) === 'dead_lettered', { what: 'dead-lettered' });
    expect((await q.getJob(id))?.attempts[0]).toMatchObject({ errorClass: 'ValidationError' });
    expect(task.stats().failed).toBe(1);
  });

  it('retries only the errors in retryOn', async () => {
    class Flaky extends Error {}
    const q = t.queue('retry-on');
    let calls = 0;
    const fetchIt = defineTask(
      q,
      'fetch',
      (kind: 'flaky' | 'broken') => {
        calls++;
        if (kind === 'flaky' && calls < 3) throw new Flaky('try again');
        if (kind === 'broken') throw new TypeError('bug');
        return 'fetched';
      },
      { retryOn: [Flaky], maxAttempts: 5 },
    );
    const flaky = await fetchIt.delay('flaky');
    worker(q, fetchIt.handle);
    await t.waitFor(async () => (await stateOf(q, flaky.id)) === 'completed', {
      advanceMs: 50,
      what: 'flaky completed after retries',
    });
    expect(await q.getJob(flaky.id)).toMatchObject({ attemptsMade: 3, result: 'fetched' });

    const broken = await fetchIt.delay('broken');
    await t.waitFor(async () => (await stateOf(q, broken.id)) === 'dead_lettered', {
      advanceMs: 50,
      what: 'broken dead-lettered',
    });
    const job = await q.getJob(broken.id);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.attempts[0]?.message).toMatch(/does not retry this error.*TypeError: bug/);
  });
});

describe('TaskRegistry', () => {
  it('refuses duplicate names and tasks of another queue', () => {
    const a = t.queue('a');
    const b = t.queue('b');
    const registry = new TaskRegistry([defineTask(a, 'x', () => 1)]);
    expect(registry.queue).toBe('a');
    expect(() => registry.register(defineTask(a, 'x', () => 2))).toThrow(/already registered/);
    expect(() => registry.register(defineTask(b, 'y', () => 3))).toThrow(/belongs to queue b/);
    expect(registry.names()).toEqual(['x']);
  });

  it('serves tasks registered after the worker started', async () => {
    const q = t.queue('late');
    const registry = new TaskRegistry();
    worker(q, createTaskRouter(registry));
    const late = defineTask(q, 'late', () => 'finally');
    registry.register(late);
    const { id } = await late.delay(null);
    await t.waitFor(async () => (await stateOf(q, id)) === 'completed');
    expect(registry.get('late')).toBe(late);
  });

  it('throws PermanentError from the router for an unknown name', () => {
    const router = createTaskRouter([]);
    const job = { name: 'ghost', queue: 'q' } as Parameters<typeof router>[0];
    expect(() => router(job)).toThrow(PermanentError);
  });
});
