import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobTimeoutError, PermanentError, RateLimitedError, type RedriveEvents } from '../../src/index.js';
import { createHarness, type Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const NO_JITTER = { type: 'exponential', delayMs: 1000, jitter: 'none' } as const;

describe('Worker: retries and dead letters', () => {
  it('retries with exponential backoff, then dead-letters with every attempt recorded', async () => {
    const q = h.queue<{ order: number }>('retry');
    const { id } = await q.add('charge', { order: 7 }, { maxAttempts: 3, backoff: NO_JITTER });
    const startedAt: number[] = [];
    const w = h.worker<{ order: number }>('retry', async (job) => {
      startedAt.push(h.clock.now() - h.t0);
      throw new Error(`gateway said no on attempt ${job.attempt}`);
    });
    await h.waitFor(async () => (await q.getJob(id))?.state === 'scheduled', { what: 'first retry' });
    expect(await q.getJob(id)).toMatchObject({ attemptsMade: 1, runAt: h.t0 + 1000 });

    await h.advance(999);
    expect(startedAt).toEqual([0]);
    await h.advance(11);
    expect(startedAt).toHaveLength(2);
    expect(await q.getJob(id)).toMatchObject({ state: 'scheduled', attemptsMade: 2 });
    const retryAt = (await q.getJob(id))!.runAt;
    expect(retryAt - (h.t0 + startedAt[1]!)).toBe(2000);

    await h.advance(2100);
    await h.waitFor(async () => (await q.getJob(id))?.state === 'dead_lettered', { what: 'dead-lettered' });
    expect(startedAt).toHaveLength(3);
    expect(startedAt[2]! - startedAt[1]!).toBeGreaterThanOrEqual(2000);

    const job = (await q.getJob(id))!;
    expect(job).toMatchObject({ state: 'dead_lettered', attemptsMade: 3, deadLetterId: expect.any(String) });
    const dl = await h.store.getDeadLetterByJob({ jobId: id });
    expect(dl).not.toBeNull();
    expect(dl).toMatchObject({
      id: job.deadLetterId,
      queue: 'retry',
      jobId: id,
      jobName: 'charge',
      payload: { order: 7 },
      failureType: 'retries_exhausted',
      status: 'pending',
      errorClass: 'Error',
      errorMessage: 'gateway said no on attempt 3',
      workerId: w.workerId,
      firstFailedAt: h.t0,
    });
    expect(dl!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(dl!.attempts).toHaveLength(3);
    expect(dl!.attempts.map((a) => [a.attempt, a.outcome, a.message, a.workerId, a.errorClass])).toEqual([
      [1, 'failed', 'gateway said no on attempt 1', w.workerId, 'Error'],
      [2, 'failed', 'gateway said no on attempt 2', w.workerId, 'Error'],
      [3, 'failed', 'gateway said no on attempt 3', w.workerId, 'Error'],
    ]);
    for (const a of dl!.attempts) expect(a.stack).toMatch(/gateway said no/);
    // The final attempt's stack is stored once, as the dead letter's errorStack: not on the job.
    expect(job.attempts.map((a) => a.stack === undefined)).toEqual([false, false, true]);
    expect(dl!.attempts.at(-1)!.stack).toBe(dl!.errorStack);
    expect(dl!.errorStack).toMatch(/gateway said no on attempt 3/);
    expect(w.stats()).toMatchObject({ failed: 3, retried: 2, deadLettered: 1, completed: 0 });
  });

  it('the same failure in two jobs gets the same fingerprint', async () => {
    const q = h.queue('fp');
    const a = await q.add('x', 1, { maxAttempts: 1 });
    const b = await q.add('x', 2, { maxAttempts: 1 });
    const fail = (n: number) => {
      throw new Error(`user ${n} not found`);
    };
    h.worker<number>('fp', async (job) => fail(job.payload * 1000));
    await h.waitFor(async () => (await q.getCounts()).dead_lettered === 2);
    const [da, db] = await Promise.all([
      h.store.getDeadLetterByJob({ jobId: a.id }),
      h.store.getDeadLetterByJob({ jobId: b.id }),
    ]);
    expect(da!.errorMessage).not.toBe(db!.errorMessage);
    expect(da!.fingerprint).toBe(db!.fingerprint);
  });

  it('a retry that succeeds completes the job', async () => {
    const q = h.queue('flaky');
    const { id } = await q.add('x', null, { backoff: { type: 'fixed', delayMs: 100, jitter: 'none' } });
    h.worker('flaky', async (job) => {
      if (job.attempt === 1) throw new Error('transient');
      return 'second time lucky';
    });
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed', { advanceMs: 10 });
    const job = (await q.getJob(id))!;
    expect(job).toMatchObject({ attemptsMade: 2, result: 'second time lucky', deadLetterId: null });
    expect(job.attempts).toMatchObject([{ attempt: 1, outcome: 'failed', message: 'transient' }]);
    expect(await h.store.getDeadLetterByJob({ jobId: id })).toBeNull();
  });

  it('default backoff is jittered ±20 % around the base delay', async () => {
    const q = h.queue('jitter');
    const ids = (
      await q.addBulk(
        Array.from({ length: 20 }, (_, i) => ({ name: 'x', payload: i, options: { maxAttempts: 2 } })),
      )
    ).map((r) => r.id);
    h.worker('jitter', async () => {
      throw new Error('nope');
    });
    await h.waitFor(async () => (await q.getCounts()).scheduled === 20);
    const delays = (await Promise.all(ids.map((id) => q.getJob(id)))).map((j) => j!.runAt - h.t0);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(800);
      expect(d).toBeLessThanOrEqual(1200);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  it.each([
    ['a PermanentError', () => new PermanentError('invoice is malformed')],
    ['an Error with status 400', () => Object.assign(new Error('Bad Request'), { status: 400 })],
    ['a plain object with status 400', () => ({ status: 400, body: 'bad' })],
    [
      'an error whose response has status 404',
      () => Object.assign(new Error('gone'), { response: { status: 404 } }),
    ],
    ['a PermanentError wrapped as cause', () => new Error('outer', { cause: new PermanentError('inner') })],
  ])('%s dead-letters at once as permanent', async (_what, makeError) => {
    const q = h.queue('perm');
    const { id } = await q.add('x', { a: 1 }, { maxAttempts: 5 });
    let calls = 0;
    const dead: RedriveEvents['job.dead_lettered'][] = [];
    const w = h.worker('perm', async () => {
      calls++;
      throw makeError();
    });
    w.on('job.dead_lettered', (e) => dead.push(e));
    await h.waitFor(async () => (await q.getJob(id))?.state === 'dead_lettered');
    await h.advance(5000, 100);
    expect(calls).toBe(1);
    expect(await q.getJob(id)).toMatchObject({ attemptsMade: 1 });
    const dl = await h.store.getDeadLetterByJob({ jobId: id });
    expect(dl).toMatchObject({ failureType: 'permanent', payload: { a: 1 } });
    expect(dl!.attempts).toHaveLength(1);
    expect(dead).toEqual([
      { queue: 'perm', jobId: id, name: 'x', deadLetterId: dl!.id, failureType: 'permanent' },
    ]);
  });

  it.each([
    ['HTTP 500', { status: 500 }],
    ['HTTP 408', { status: 408 }],
    ['ECONNRESET', { code: 'ECONNRESET' }],
  ])('%s is retried', async (_what, props) => {
    const q = h.queue('retryable');
    const { id } = await q.add('x', null, { maxAttempts: 3 });
    h.worker('retryable', async () => {
      throw Object.assign(new Error('upstream trouble'), props);
    });
    await h.waitFor(async () => (await q.getJob(id))?.state === 'scheduled');
    expect(await q.getJob(id)).toMatchObject({ attemptsMade: 1, deadLetterId: null });
  });
});

describe('Worker: rate-limit responses', () => {
  it('HTTP 429 reschedules after Retry-After without spending an attempt', async () => {
    const q = h.queue('api');
    const { id } = await q.add('call', null, { maxAttempts: 1 });
    const attempts: [number, number][] = [];
    const retried: RedriveEvents['job.retried'][] = [];
    const w = h.worker('api', async (job) => {
      attempts.push([job.attempt, h.clock.now() - h.t0]);
      if (attempts.length === 1) {
        throw Object.assign(new Error('Too Many Requests'), {
          status: 429,
          headers: { 'Retry-After': '30' },
        });
      }
      return 'done';
    });
    w.on('job.retried', (e) => retried.push(e));
    await h.waitFor(async () => (await q.getJob(id))?.state === 'scheduled');
    const job = (await q.getJob(id))!;
    expect(job).toMatchObject({ attemptsMade: 0, rateLimitDelays: 1, runAt: h.t0 + 30_000 });
    expect(job.attempts).toMatchObject([
      { attempt: 1, outcome: 'rate_limited', message: 'Too Many Requests' },
    ]);
    expect(retried).toEqual([
      { queue: 'api', jobId: id, name: 'call', attempt: 1, runAt: h.t0 + 30_000, reason: 'rate_limited' },
    ]);

    await h.advance(29_900, 100);
    expect(attempts).toHaveLength(1);
    await h.advance(200, 20);
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
    // maxAttempts is 1: the 429 did not use it up. The retry is still attempt 1.
    expect(attempts.map(([n]) => n)).toEqual([1, 1]);
    expect(attempts[1]![1]).toBeGreaterThanOrEqual(30_000);
    expect(await q.getJob(id)).toMatchObject({ attemptsMade: 1, rateLimitDelays: 1, result: 'done' });
  });

  it('RateLimitedError reschedules after its retryAfterMs', async () => {
    const q = h.queue('api2');
    const { id } = await q.add('call', null, { maxAttempts: 2 });
    h.worker('api2', async () => {
      throw new RateLimitedError('slow down', 5000);
    });
    await h.waitFor(async () => (await q.getJob(id))?.rateLimitDelays === 1);
    expect(await q.getJob(id)).toMatchObject({ state: 'scheduled', attemptsMade: 0, runAt: h.t0 + 5000 });
    await h.advance(5050, 50);
    await h.waitFor(async () => (await q.getJob(id))?.rateLimitDelays === 2);
    expect(await q.getJob(id)).toMatchObject({ state: 'scheduled', attemptsMade: 0 });
  });

  it('after maxRateLimitDelays, a rate-limit response spends an attempt and can dead-letter the job', async () => {
    const q = h.queue('api3');
    const { id } = await q.add('call', null, { maxAttempts: 1 });
    h.worker(
      'api3',
      async () => {
        throw new RateLimitedError('slow down', 100);
      },
      { maxRateLimitDelays: 2 },
    );
    await h.waitFor(async () => (await q.getJob(id))?.state === 'dead_lettered', { advanceMs: 20 });
    expect(await q.getJob(id)).toMatchObject({ rateLimitDelays: 2, attemptsMade: 1 });
    const dl = await h.store.getDeadLetterByJob({ jobId: id });
    expect(dl?.failureType).toBe('rate_limit_exhausted');
    expect(dl?.attempts.map((a) => a.outcome)).toEqual(['rate_limited', 'rate_limited', 'failed']);
  });
});

describe('Worker: timeouts', () => {
  it('aborts the signal of a handler that never resolves and counts a retryable failure', async () => {
    const q = h.queue('slow');
    const { id } = await q.add('hang', null, { timeout: 1000, maxAttempts: 3, backoff: NO_JITTER });
    const signals: AbortSignal[] = [];
    const failed: RedriveEvents['job.failed'][] = [];
    const w = h.worker('slow', (job) => {
      signals.push(job.signal);
      return new Promise<never>(() => undefined);
    });
    w.on('job.failed', (e) => failed.push(e));
    await h.waitFor(() => signals.length === 1);
    await h.advance(999, 100);
    expect(signals[0]!.aborted).toBe(false);
    expect((await q.getJob(id))?.state).toBe('active');

    await h.advance(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toBeInstanceOf(JobTimeoutError);
    await h.waitFor(async () => (await q.getJob(id))?.state === 'scheduled');
    const job = (await q.getJob(id))!;
    expect(job).toMatchObject({ attemptsMade: 1, runAt: h.t0 + 1000 + 1000 });
    expect(job.attempts).toMatchObject([
      { attempt: 1, outcome: 'timed_out', errorClass: 'JobTimeoutError', errorCode: 'JOB_TIMEOUT' },
    ]);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ jobId: id, attempt: 1, willRetry: true });
    expect(failed[0]!.error).toBeInstanceOf(JobTimeoutError);

    // The retry runs after the backoff, with a fresh signal.
    await h.advance(1100, 50);
    expect(signals).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(false);
  });

  it('a job that times out on its last attempt is dead-lettered as a timeout', async () => {
    const q = h.queue('slow2');
    const { id } = await q.add('hang', null, { timeout: 500, maxAttempts: 1 });
    h.worker('slow2', () => new Promise<never>(() => undefined));
    await h.waitFor(async () => (await q.getJob(id))?.state === 'dead_lettered', { advanceMs: 50 });
    const dl = await h.store.getDeadLetterByJob({ jobId: id });
    expect(dl).toMatchObject({ failureType: 'timeout', errorClass: 'JobTimeoutError' });
    expect(dl!.attempts).toMatchObject([{ outcome: 'timed_out' }]);
  });

  it('a handler that settles after its timeout changes nothing', async () => {
    const q = h.queue('late');
    const { id } = await q.add('x', null, { timeout: 100, maxAttempts: 1 });
    let finish!: (v: string) => void;
    h.worker('late', () => new Promise<string>((resolve) => (finish = resolve)));
    await h.waitFor(async () => (await q.getJob(id))?.state === 'dead_lettered', { advanceMs: 20 });
    finish('too late');
    await h.advance(100);
    expect(await q.getJob(id)).toMatchObject({ state: 'dead_lettered', result: null, attemptsMade: 1 });
  });
});

describe('Worker: failures are written in batches', () => {
  it('settles a storm of failures with a few store calls, one result per job', async () => {
    const q = h.queue('storm');
    const ids = (await q.addBulk(Array.from({ length: 40 }, (_, n) => ({ name: 'charge', payload: n })))).map(
      (j) => j.id,
    );
    const written: number[] = [];
    let singleCalls = 0;
    const store = new Proxy(h.store, {
      get(target, prop) {
        if (prop === 'failJob') {
          singleCalls++;
        }
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop === 'failJobs') {
          return (params: Parameters<typeof target.failJobs>[0]) => {
            written.push(params.failures.length);
            return target.failJobs(params);
          };
        }
        if (prop === 'completeAndClaimJobs' && typeof value === 'function') {
          return (params: Parameters<NonNullable<typeof target.completeAndClaimJobs>>[0]) => {
            if (params.failures && params.failures.length > 0) written.push(params.failures.length);
            return target.completeAndClaimJobs!(params);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const deadLettered: string[] = [];
    const w = h.worker(
      'storm',
      async () => {
        throw new PermanentError('card declined');
      },
      { store, concurrency: 40 },
    );
    w.on('job.dead_lettered', (e) => deadLettered.push(e.jobId));
    await h.waitFor(async () => (await q.getCounts()).dead_lettered === 40, { what: 'all dead-lettered' });
    await h.waitFor(async () => deadLettered.length === 40, { what: 'every event' });
    expect(new Set(deadLettered)).toEqual(new Set(ids));
    expect(written.reduce((a, b) => a + b, 0)).toBe(40);
    // Forty failures settled in the same turn go together, not one store call each.
    expect(written.length).toBeLessThanOrEqual(2);
    expect(singleCalls).toBe(0);
    expect(w.stats()).toMatchObject({ failed: 40, deadLettered: 40, leasesLost: 0 });
  });
});
