/**
 * The executor on its own (fake store, FakeClock): concurrency, the start horizon written before a
 * handler starts, timeouts and the abort signal, the rate limit, circuit-breaker permits, and one
 * outcome per attempt whatever the handler does afterwards.
 */
import { describe, expect, it } from 'vitest';
import type { CircuitPermit } from '../../../src/core/breaker/types.js';
import { JobTimeoutError, PermanentError } from '../../../src/core/errors.js';
import type { ClaimedJob } from '../../../src/core/job.js';
import type { JobHandler } from '../../../src/queue/active-job.js';
import { Completer } from '../../../src/queue/completer.js';
import { Executor } from '../../../src/queue/executor.js';
import { StartHorizon } from '../../../src/queue/start-horizon.js';
import type { WorkerOptions } from '../../../src/queue/worker-options.js';
import { fakeStore, runningJob, settle, workerContext } from './fakes.js';

/** A promise settled from outside. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(handler: JobHandler, options: Partial<WorkerOptions> = {}) {
  const fake = fakeStore();
  const { ctx, clock, events } = workerContext(fake.store, { concurrency: 2, ...options });
  const completer = new Completer(ctx, () => false);
  const starts = new StartHorizon(ctx.store, ctx.workerId, clock, () => {});
  const hooks = { kicks: 0, released: 0 };
  const executor = new Executor(ctx, handler, completer, starts, {
    kick: () => hooks.kicks++,
    releaseBuffered: async () => {
      hooks.released += ctx.buffer.drain().length;
    },
  });
  /** Buffers `n` jobs as a claim would, allowed to start (`allowed: false`: horizon not yet written). */
  const buffer = (n: number, overrides: Partial<ClaimedJob> = {}, allowed = true) => {
    const marks = starts.claimMarks(ctx.buffer.nextSeq(), n);
    if (allowed) starts.claimed(marks, n);
    return Array.from({ length: n }, (_, i) => {
      const job = runningJob(overrides);
      job.seq = marks.firstSeq + i;
      ctx.held.set(job.id, job);
      ctx.buffer.push(job);
      return job;
    });
  };
  return { ...fake, ctx, clock, events, executor, completer, hooks, buffer, starts };
}

describe('Executor', () => {
  it('runs at most `concurrency` handlers; a finished one frees its slot for the next job', async () => {
    const gates = [deferred(), deferred(), deferred()];
    let i = 0;
    const s = setup(() => gates[i++]!.promise);
    s.buffer(3);
    s.executor.dispatch();
    expect(s.executor.running).toBe(2);
    expect(s.ctx.buffer.size).toBe(1);
    expect(s.hooks.kicks).toBe(1);
    gates[0]!.resolve();
    await settle();
    expect(s.executor.running).toBe(2);
    expect(s.ctx.buffer.size).toBe(0);
    gates[1]!.resolve();
    gates[2]!.resolve();
    await settle();
    expect(s.executor.running).toBe(0);
    expect(s.calls.complete.flatMap((c) => c.completions)).toHaveLength(3);
  });

  it('starts no job before the store holds a start horizon above it', async () => {
    const started: string[] = [];
    const s = setup((job) => {
      started.push(job.id);
    });
    const [job] = s.buffer(1, {}, false);
    s.executor.dispatch();
    expect(started).toEqual([]);
    expect(s.calls.horizon).toHaveLength(1);
    expect(s.calls.horizon[0]!).toBeGreaterThan(job!.seq);
    await settle();
    expect(started).toEqual([job!.id]);
  });

  it('a suspect in quarantine starts without a horizon (it is known to be running)', async () => {
    const started: string[] = [];
    const s = setup((job) => {
      started.push(job.id);
    });
    const [job] = s.buffer(1, {}, false);
    job!.quarantined = true;
    s.ctx.quarantine.job = job;
    s.executor.dispatch();
    await settle();
    expect(started).toEqual([job!.id]);
    expect(s.calls.horizon).toHaveLength(0);
    expect(s.ctx.quarantine.job).toBeUndefined();
  });

  it('runs handlers from a microtask of their own: an error thrown there carries no frames of the dispatch', async () => {
    const stacks: string[] = [];
    const s = setup(function throwingHandler() {
      const error = new Error('upstream returned 503');
      stacks.push(error.stack ?? '');
      throw error;
    });
    s.buffer(2);
    s.executor.dispatch();
    expect(s.executor.running).toBe(2);
    expect(stacks).toEqual([]);
    await settle();
    expect(stacks).toHaveLength(2);
    for (const stack of stacks) {
      // Node's own frames (the loop that drains microtasks) may sit at the bottom; of the rest, one
      // frame of the worker under the handler (the microtask that started it), nothing else.
      const frames = stack
        .split('\n')
        .slice(1)
        .filter((frame) => !frame.includes('(node:') && !frame.includes(' node:'));
      expect(frames).toHaveLength(2);
      expect(frames[0]).toContain('throwingHandler');
      expect(frames[1]).toContain('runStarting');
    }
    expect(s.calls.fail.flatMap((c) => c.failures)).toHaveLength(2);
  });

  it('records the failure of a handler that throws a value String() cannot convert, and starts the others', async () => {
    const started: string[] = [];
    const s = setup(
      (job) => {
        started.push(job.id);
        if (started.length === 1) throw Object.create(null);
        // An Error is fine, but its code is not text either.
        if (started.length === 2) throw Object.assign(new Error('bad code'), { code: Object.create(null) });
      },
      { concurrency: 4 },
    );
    const jobs = s.buffer(4);
    s.executor.dispatch();
    await settle();
    expect(started).toEqual(jobs.map((job) => job.id));
    expect(s.executor.running).toBe(0);
    const failures = s.calls.fail.flatMap((c) => c.failures);
    expect(failures.map((f) => f.id)).toEqual([jobs[0]!.id, jobs[1]!.id]);
    expect(failures[0]?.attempt.message).toBe('[object Object]');
    expect(failures[1]?.attempt).toMatchObject({ message: 'bad code', errorCode: '[object Object]' });
    expect(s.calls.complete.flatMap((c) => c.completions)).toHaveLength(2);
  });

  it('records the failure of a handler that throws a value which throws when read, and starts the others', async () => {
    const hostile = (): unknown[] => {
      const throwingStatus = new Error('upstream refused');
      Object.defineProperty(throwingStatus, 'status', {
        get() {
          throw new Error('status is not available');
        },
      });
      const permanentWithoutStack = new PermanentError('card declined');
      Object.defineProperty(permanentWithoutStack, 'stack', {
        get() {
          throw new Error('stack is not available');
        },
      });
      const everyTrapThrows = new Proxy(new Error('proxied'), {
        get() {
          throw new Error('no reads');
        },
        getPrototypeOf() {
          throw new Error('no prototype');
        },
      });
      const revoked = Proxy.revocable({}, {});
      revoked.revoke();
      return [throwingStatus, permanentWithoutStack, everyTrapThrows, revoked.proxy];
    };
    const thrown = hostile();
    let started = 0;
    const s = setup(
      () => {
        const value = thrown[started++];
        if (value !== undefined) throw value;
      },
      { concurrency: 5 },
    );
    const jobs = s.buffer(5, { maxAttempts: 3 });
    s.executor.dispatch();
    await settle();
    expect(started).toBe(5);
    expect(s.executor.running).toBe(0);
    const failures = s.calls.fail.flatMap((c) => c.failures);
    expect(failures.map((f) => f.id)).toEqual(jobs.slice(0, 4).map((job) => job.id));
    const [status, permanent, proxied, revoked] = failures;
    expect(status).toMatchObject({
      outcome: { kind: 'retry' },
      attempt: { errorClass: 'Error', message: 'upstream refused (unreadable: status)' },
    });
    // Still a PermanentError (its prototype was readable): dead-lettered at once, not retried.
    expect(permanent?.outcome.kind).toBe('dead_letter');
    expect(permanent?.attempt.message).toBe('card declined (unreadable: stack)');
    for (const failure of [proxied, revoked]) {
      expect(failure?.outcome.kind).toBe('retry');
      expect(failure?.attempt.message).toMatch(/^\(unreadable: name, message, stack/);
    }
    expect(s.calls.complete.flatMap((c) => c.completions).map((c) => c.id)).toEqual([jobs[4]!.id]);
    expect(s.events.filter((e) => e.type === 'error')).toEqual([]);
  });

  it('lets a job go (reported, no longer heartbeated) when its failure cannot be recorded, and runs the others', async () => {
    let started = 0;
    const permits: string[] = [];
    const breaker = {
      tryAcquire: () =>
        ({
          success: () => permits.push('success'),
          failure: () => permits.push('failure'),
          release: () => permits.push('release'),
        }) as unknown as CircuitPermit,
    };
    const s = setup(
      () => {
        if (started++ === 0) throw new Error('first');
      },
      { concurrency: 3, circuitBreaker: breaker as unknown as WorkerOptions['circuitBreaker'] },
    );
    const failed = s.completer.failed.bind(s.completer);
    let calls = 0;
    s.completer.failed = (...args) => {
      if (calls++ < 2) throw new Error('bookkeeping broke');
      failed(...args);
    };
    const jobs = s.buffer(3);
    s.executor.dispatch();
    await settle();
    expect(started).toBe(3);
    expect(s.executor.running).toBe(0);
    expect(s.ctx.held.has(jobs[0]!.id)).toBe(false);
    // No outcome was recorded, so none is told to the breaker: the permit is given back.
    expect(permits).toEqual(['release', 'success', 'success']);
    expect(s.calls.fail).toEqual([]);
    expect(s.calls.complete.flatMap((c) => c.completions).map((c) => c.id)).toEqual([
      jobs[1]!.id,
      jobs[2]!.id,
    ]);
    const errors = s.events
      .filter((e) => e.type === 'error')
      .map((e) => (e.payload as { error: Error }).error.message);
    expect(errors).toEqual(['bookkeeping broke']);
  });

  it('times out an attempt: aborts its signal, records a timed-out failure, ignores the late result', async () => {
    const late = deferred<string>();
    let signal: AbortSignal | undefined;
    const s = setup((job) => {
      signal = job.signal;
      return late.promise;
    });
    s.buffer(1, { timeoutMs: 100 });
    s.executor.dispatch();
    s.clock.advance(99);
    await settle();
    expect(signal!.aborted).toBe(false);
    s.clock.advance(1);
    await settle();
    expect(signal!.aborted).toBe(true);
    expect(signal!.reason).toBeInstanceOf(JobTimeoutError);
    expect(s.executor.running).toBe(0);
    expect(s.calls.fail[0]!.failures[0]!.attempt.outcome).toBe('timed_out');
    late.resolve('too late');
    await settle();
    expect(s.calls.complete).toHaveLength(0);
    expect(s.ctx.counters).toMatchObject({ failed: 1, completed: 0 });
  });

  it('a handler that throws synchronously fails its attempt', async () => {
    const s = setup(() => {
      throw new PermanentError('no');
    });
    s.buffer(1);
    s.executor.dispatch();
    await settle();
    expect(s.calls.fail[0]!.failures[0]!.outcome.kind).toBe('dead_letter');
  });

  it('starts jobs no faster than the rate limit allows', async () => {
    const startedAt: number[] = [];
    const s = setup(
      () => {
        startedAt.push(s.clock.now() - t0);
      },
      { concurrency: 10, rateLimit: { limit: 2, intervalMs: 1000 } },
    );
    const t0 = s.clock.now();
    s.buffer(5);
    s.executor.dispatch();
    await settle();
    for (let i = 0; i < 200; i++) {
      s.clock.advance(10);
      await settle(1);
    }
    expect(startedAt).toHaveLength(5);
    expect(startedAt.slice(0, 2)).toEqual([0, 0]);
    for (const [i, at] of startedAt.slice(2).entries()) {
      expect(at).toBeGreaterThanOrEqual(500 * (i + 1));
      expect(at).toBeLessThan(500 * (i + 1) + 20);
    }
  });

  it('settles each circuit-breaker permit by outcome; a refused permit hands the buffer back', async () => {
    const log: string[] = [];
    let allow = 3;
    const permit = (): CircuitPermit =>
      ({
        success: () => log.push('success'),
        failure: () => log.push('failure'),
      }) as unknown as CircuitPermit;
    const breaker = { tryAcquire: () => (allow-- > 0 ? permit() : false) };
    const outcomes = [undefined, new Error('503'), new PermanentError('bad')];
    let i = 0;
    const s = setup(
      () => {
        const outcome = outcomes[i++];
        if (outcome) throw outcome;
      },
      { concurrency: 10, circuitBreaker: breaker as unknown as WorkerOptions['circuitBreaker'] },
    );
    s.buffer(5);
    s.executor.dispatch();
    await settle();
    // A permanent error says nothing about the downstream's health.
    expect(log).toEqual(['success', 'failure', 'success']);
    expect(s.hooks.released).toBe(2);
  });

  it('on shutdown, abandons running handlers: aborts their signals and drops their outcomes', async () => {
    const gate = deferred();
    const signals: AbortSignal[] = [];
    const s = setup((job) => {
      signals.push(job.signal);
      return gate.promise;
    });
    s.buffer(2);
    s.executor.dispatch();
    const waited = s.executor.waitForRunning(1000);
    s.clock.advance(1000);
    await waited;
    const abandoned = s.executor.abandonRunning(() => new Error('shutting down'));
    expect(abandoned).toHaveLength(2);
    expect(signals.every((sig) => sig.aborted)).toBe(true);
    expect(s.executor.running).toBe(0);
    gate.resolve();
    await settle();
    expect(s.calls.complete).toHaveLength(0);
  });

  it('waitForRunning resolves as soon as the last handler finishes', async () => {
    const gate = deferred();
    const s = setup(() => gate.promise);
    s.buffer(1);
    s.executor.dispatch();
    let done = false;
    const waited = s.executor.waitForRunning(60_000).then(() => {
      done = true;
    });
    await settle();
    expect(done).toBe(false);
    gate.resolve();
    await waited;
    expect(s.clock.pendingTimers).toBe(0);
  });
});
