/**
 * The completer on its own (fake store, FakeClock): each outcome is written fenced by its token,
 * and each answer becomes exactly one counter change and one event.
 */
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/core/errors.js';
import { Completer } from '../../../src/queue/completer.js';
import { fakeStore, runningJob, settle, workerContext } from './fakes.js';

function setup() {
  const fake = fakeStore();
  const { ctx, clock, events } = workerContext(fake.store, {
    backoff: { type: 'fixed', delayMs: 1000, jitter: 'none' },
  });
  const completer = new Completer(ctx, () => false);
  const hold = (job = runningJob()) => {
    ctx.held.set(job.id, job);
    job.startedAt = clock.now();
    return job;
  };
  return { ...fake, ctx, clock, events, completer, hold };
}

describe('Completer', () => {
  it('writes completions of one turn in one call, with their results, and reports each one', async () => {
    const { completer, calls, ctx, clock, events, hold } = setup();
    const a = hold();
    const b = hold();
    clock.advance(25);
    completer.succeeded(a, { sent: true }, clock.now());
    completer.succeeded(b, undefined, clock.now());
    await settle();
    expect(calls.complete).toHaveLength(1);
    expect(calls.complete[0]!.completions).toEqual([
      { id: a.id, token: a.token, resultJson: '{"sent":true}' },
      { id: b.id, token: b.token, resultJson: null },
    ]);
    expect(ctx.counters.completed).toBe(2);
    expect(ctx.held.size).toBe(0);
    const completed = events.filter((e) => e.type === 'job.completed').map((e) => e.payload);
    expect(completed).toEqual([
      { queue: 'q', jobId: a.id, name: 'task', attempt: 1, durationMs: 25 },
      { queue: 'q', jobId: b.id, name: 'task', attempt: 1, durationMs: 25 },
    ]);
  });

  it('stores a result that cannot be serialized as null instead of failing the job', async () => {
    const { completer, calls, hold } = setup();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    completer.succeeded(hold(), circular, 0);
    await settle();
    expect(calls.complete[0]!.completions[0]!.resultJson).toBeNull();
  });

  it('a refused completion is a lost lease: counted and alerted, never reported as completed', async () => {
    const { completer, answers, ctx, events, hold } = setup();
    const job = hold();
    answers.refused.add(job.id);
    completer.succeeded(job, 1, 0);
    await settle();
    expect(ctx.counters).toMatchObject({ completed: 0, leasesLost: 1 });
    expect(events.some((e) => e.type === 'job.completed')).toBe(false);
    expect(events.find((e) => e.type === 'alert')!.payload).toMatchObject({ type: 'lease_lost' });
    expect(ctx.held.has(job.id)).toBe(false);
  });

  it('keeps holding a job claimed again before the answer to its retried attempt arrives', async () => {
    const { completer, answers, ctx, hold } = setup();
    const first = hold(runningJob({ id: 'again' }));
    let open!: () => void;
    answers.failGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const error = new Error('503');
    completer.failed(first, error, completer.decide(first, error, 0), 0);
    await settle();
    // A claim sent beside the write took the retried job again.
    const second = hold(runningJob({ id: 'again', token: '2:again' }));
    open();
    await settle();
    expect(ctx.counters).toMatchObject({ failed: 1, retried: 1 });
    expect(ctx.held.get('again')).toBe(second);
  });

  it('a retryable failure is written as a retry after the backoff, and reported as retried', async () => {
    const { completer, calls, ctx, clock, events, hold } = setup();
    const job = hold();
    const now = clock.now();
    const error = new Error('downstream 503');
    const decision = completer.decide(job, error, now);
    expect(decision.kind).toBe('retry');
    completer.failed(job, error, decision, now);
    await settle();
    expect(calls.fail).toHaveLength(1);
    const failure = calls.fail[0]!.failures[0]!;
    expect(failure.outcome).toEqual({ kind: 'retry', runAt: now + 1000 });
    expect(failure.attempt).toMatchObject({
      attempt: 1,
      outcome: 'failed',
      message: 'downstream 503',
      workerId: 'w1',
    });
    expect(ctx.counters).toMatchObject({ failed: 1, retried: 1, deadLettered: 0 });
    expect(events.filter((e) => e.type === 'job.failed')[0]!.payload).toMatchObject({ willRetry: true });
    expect(events.find((e) => e.type === 'job.retried')!.payload).toMatchObject({
      runAt: now + 1000,
      reason: 'error',
    });
  });

  it('a permanent failure is written with its dead letter, and reported with the dead letter id', async () => {
    const { completer, calls, ctx, clock, events, hold } = setup();
    const job = hold();
    const now = clock.now();
    const error = new PermanentError('bad input');
    completer.failed(job, error, completer.decide(job, error, now), now);
    await settle();
    const outcome = calls.fail[0]!.failures[0]!.outcome;
    expect(outcome.kind).toBe('dead_letter');
    const deadLetterId = outcome.kind === 'dead_letter' ? outcome.deadLetter.id : '';
    expect(deadLetterId).toMatch(/^dl_/);
    expect(ctx.counters).toMatchObject({ failed: 1, deadLettered: 1, retried: 0 });
    expect(events.find((e) => e.type === 'job.dead_lettered')!.payload).toMatchObject({
      jobId: job.id,
      deadLetterId,
      failureType: 'permanent',
    });
  });

  it('a refused failure changes no counter but the lost leases', async () => {
    const { completer, answers, ctx, clock, hold } = setup();
    const job = hold();
    answers.refused.add(job.id);
    const error = new Error('x');
    completer.failed(job, error, completer.decide(job, error, clock.now()), clock.now());
    await settle();
    expect(ctx.counters).toMatchObject({ failed: 0, retried: 0, leasesLost: 1 });
  });
});
