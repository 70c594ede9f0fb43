import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimedJob, ClaimJobsParams, Store } from '../../src/index.js';
import { createHarness, deferred, flush, type Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const claimAll = (queue: string, workerId = 'other') =>
  h.store.claimJobs({
    queue,
    workerId,
    limit: 100,
    leaseMs: 30_000,
    now: h.clock.now(),
    claimId: `${workerId}1`,
  });

describe('Worker.close: graceful', () => {
  it('stops claiming, releases prefetched jobs at once and waits for the running job', async () => {
    const q = h.queue('grace');
    const ids = (await q.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'n', payload: i })))).map(
      (r) => r.id,
    );
    const gate = deferred<string>();
    const started: string[] = [];
    const w = h.worker(
      'grace',
      (job) => {
        started.push(job.id);
        return gate.promise;
      },
      { concurrency: 1, prefetch: 5 },
    );
    await h.waitFor(() => started.length === 1);
    expect(await q.getCounts()).toMatchObject({ active: 5, waiting: 0 });

    let closed = false;
    const closing = w.close().then(() => {
      closed = true;
    });
    await flush();
    expect(closed).toBe(false);
    expect(w.stats().state).toBe('closing');

    // The four prefetched jobs are back in the queue right away, attempts untouched.
    const taken = await claimAll('grace');
    expect(taken.map((j) => j.id).sort()).toEqual(ids.filter((id) => id !== started[0]).sort());
    for (const job of taken) expect(job).toMatchObject({ attemptsMade: 0, orphanCount: 0 });

    // A job added while closing is not claimed by the closing worker.
    const late = await q.add('late', null);
    await h.advance(200);
    expect(started).toHaveLength(1);
    expect((await q.getJob(late.id))?.state).toBe('waiting');
    expect(closed).toBe(false);

    gate.resolve('done');
    await closing;
    expect(closed).toBe(true);
    expect(await q.getJob(started[0]!)).toMatchObject({
      state: 'completed',
      result: 'done',
      attemptsMade: 1,
    });
    expect(w.stats()).toMatchObject({ state: 'closed', running: 0, buffered: 0 });
    await h.advance(200);
    expect((await q.getJob(late.id))?.state).toBe('waiting');
  });

  it('resolves at once when idle, and a second close is a no-op', async () => {
    const w = h.worker('idle', async () => undefined);
    await h.advance(50);
    await w.close();
    await w.close();
    expect(w.stats().state).toBe('closed');
  });

  it('past the deadline, aborts the handler signal and releases the lease so another worker starts at once', async () => {
    const q = h.queue('deadline');
    const { id } = await q.add('slow', { big: true });
    const signals: AbortSignal[] = [];
    const w = h.worker(
      'deadline',
      (job) => {
        signals.push(job.signal);
        // A handler that never finishes by itself, but honours its signal.
        return new Promise<never>((_, reject) =>
          job.signal.addEventListener('abort', () => reject(job.signal.reason)),
        );
      },
      { shutdownTimeoutMs: 10_000 },
    );
    await h.waitFor(() => signals.length === 1);

    let closed = false;
    const closing = w.close({ timeoutMs: 1000 }).then(() => {
      closed = true;
    });
    await flush();
    await h.advance(999, 111);
    expect(closed).toBe(false);
    expect(signals[0]!.aborted).toBe(false);

    await h.advance(1);
    await closing;
    expect(signals[0]!.aborted).toBe(true);
    expect(String(signals[0]!.reason)).toMatch(/shut down/);
    // Released: waiting again, no attempt spent, not an orphan, and no lease to wait out.
    expect(await q.getJob(id)).toMatchObject({
      state: 'waiting',
      attemptsMade: 0,
      orphanCount: 0,
      leaseExpiresAt: null,
    });
    const ran: number[] = [];
    h.worker('deadline', async (job) => {
      ran.push(job.attempt);
      return 'second worker';
    });
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed', {
      what: 'completed without time passing',
    });
    expect(ran).toEqual([1]);
    expect(await q.getJob(id)).toMatchObject({ result: 'second worker', attemptsMade: 1 });
  });

  it('a handler that ignores the abort and finishes later changes nothing', async () => {
    const q = h.queue('ignorant');
    const { id } = await q.add('x', null);
    const gate = deferred<string>();
    const w = h.worker('ignorant', () => gate.promise);
    await h.waitFor(async () => (await q.getCounts()).active === 1);
    const closing = w.close({ timeoutMs: 100 });
    await flush();
    await h.advance(100, 50);
    await closing;
    const [again] = await claimAll('ignorant');
    expect(again?.id).toBe(id);
    gate.resolve('stale result');
    await h.advance(100);
    expect(await q.getJob(id)).toMatchObject({ state: 'active', result: null, workerId: 'other' });
  });

  it('uses shutdownTimeoutMs when no timeout is given', async () => {
    const q = h.queue('default-deadline');
    await q.add('x', null);
    const w = h.worker('default-deadline', () => new Promise<never>(() => undefined), {
      shutdownTimeoutMs: 2000,
    });
    await h.waitFor(async () => (await q.getCounts()).active === 1);
    let closed = false;
    const closing = w.close().then(() => {
      closed = true;
    });
    await flush();
    await h.advance(1900, 100);
    expect(closed).toBe(false);
    await h.advance(100, 50);
    await closing;
    expect(await q.getCounts()).toMatchObject({ active: 0, waiting: 1 });
  });

  it('jobs claimed while close() begins are handed back, not left holding a lease', async () => {
    const q = h.queue('race');
    // A store whose claim replies arrive late (a network store, or a slow disk), once armed.
    const gate = deferred();
    let armed = false;
    const slowStore = new Proxy(h.store, {
      get(target, prop) {
        if (prop === 'claimJobs') {
          return async (params: ClaimJobsParams): Promise<ClaimedJob[]> => {
            const claimed = await target.claimJobs(params);
            if (armed) await gate.promise;
            return claimed;
          };
        }
        if (prop === 'completeAndClaimJobs') return undefined;
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const w = h.worker('race', async () => 'ran', { store: slowStore });
    await h.advance(0);
    armed = true;
    // The insert wakes the worker; its claim takes the jobs in the store, the reply is delayed.
    await q.addBulk([
      { name: 'a', payload: 1 },
      { name: 'b', payload: 2 },
    ]);
    await h.waitFor(async () => (await q.getCounts()).active === 1, { what: 'claimed, reply pending' });

    const closing = w.close();
    await flush();
    gate.resolve();
    await closing;
    await flush();
    expect(await q.getCounts()).toMatchObject({ active: 0, waiting: 2, completed: 0 });
  });
});

describe('events', () => {
  it('emits the lifecycle of completed, retried and dead-lettered jobs', async () => {
    const q = h.queue('ev');
    const log: string[] = [];
    q.on('job.enqueued', (e) => log.push(`enqueued ${e.name}`));
    const ok = await q.add('ok', null);
    const flaky = await q.add('flaky', null, {
      maxAttempts: 2,
      backoff: { type: 'fixed', delayMs: 100, jitter: 'none' },
    });
    const bad = await q.add('bad', null, { maxAttempts: 1 });
    // The retry is due 100 ms after the attempt failed (events come once the failure is written).
    let flakyFailedAt = Number.NaN;
    const w = h.worker('ev', async (job) => {
      if (job.name === 'flaky' && job.attempt === 1) {
        flakyFailedAt = h.clock.now();
        throw new Error('first try fails');
      }
      if (job.name === 'bad') throw new Error('always fails');
      return job.name;
    });
    w.on('job.active', (e) => log.push(`active ${e.name} #${e.attempt} by ${e.workerId === w.workerId}`));
    w.on('job.completed', (e) => log.push(`completed ${e.name} #${e.attempt}`));
    w.on('job.failed', (e) =>
      log.push(`failed ${e.name} #${e.attempt} retry=${e.willRetry} ${e.error.message}`),
    );
    w.on('job.retried', (e) =>
      log.push(`retried ${e.name} #${e.attempt} in ${e.runAt - flakyFailedAt} (${e.reason})`),
    );
    w.on('job.dead_lettered', (e) => log.push(`dead_lettered ${e.name} ${e.failureType}`));

    await h.waitFor(async () => (await q.getJob(flaky.id))?.state === 'completed', { advanceMs: 10 });
    await h.waitFor(async () => (await q.getJob(ok.id))?.state === 'completed');
    await h.waitFor(async () => (await q.getJob(bad.id))?.state === 'dead_lettered');

    expect(log.slice(0, 3)).toEqual(['enqueued ok', 'enqueued flaky', 'enqueued bad']);
    const rest = log.slice(3);
    const at = (line: string) => {
      const i = rest.indexOf(line);
      expect(i, `missing: ${line}\n${rest.join('\n')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('active ok #1 by true')).toBeLessThan(at('completed ok #1'));
    expect(at('active flaky #1 by true')).toBeLessThan(at('failed flaky #1 retry=true first try fails'));
    expect(at('failed flaky #1 retry=true first try fails')).toBeLessThan(
      at('retried flaky #1 in 100 (error)'),
    );
    expect(at('retried flaky #1 in 100 (error)')).toBeLessThan(at('active flaky #2 by true'));
    expect(at('active flaky #2 by true')).toBeLessThan(at('completed flaky #2'));
    expect(at('failed bad #1 retry=false always fails')).toBeLessThan(
      at('dead_lettered bad retries_exhausted'),
    );
    expect(rest).toHaveLength(10);
  });

  it('a throwing listener does not break processing', async () => {
    const q = h.queue('ev2');
    const { id } = await q.add('x', null);
    const w = h.worker('ev2', async () => 'fine');
    w.on('job.active', () => {
      throw new Error('listener bug');
    });
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
  });
});
