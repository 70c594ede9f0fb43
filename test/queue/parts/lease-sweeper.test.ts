/**
 * The lease sweeper on its own (fake store, FakeClock): it sweeps at start and every interval,
 * deletes old completed jobs, reports recovered and dead-lettered orphans, and asks for quarantine
 * when a recovered job may have been running.
 */
import { describe, expect, it } from 'vitest';
import { LeaseSweeper } from '../../../src/queue/lease-sweeper.js';
import { fakeStore, settle, workerContext } from './fakes.js';

function setup(options: { completedRetentionMs?: number | false } = {}) {
  const fake = fakeStore();
  const { ctx, clock, events } = workerContext(fake.store, {
    recoveryIntervalMs: 5000,
    maxOrphans: 2,
    ...options,
  });
  let wakes = 0;
  const sweeper = new LeaseSweeper(ctx, () => wakes++);
  return { ...fake, ctx, clock, events, sweeper, wakes: () => wakes };
}

describe('LeaseSweeper', () => {
  it('sweeps at once, then every recoveryIntervalMs, deleting completed jobs past retention', async () => {
    const { sweeper, calls, clock } = setup({ completedRetentionMs: 60_000 });
    const t0 = clock.now();
    sweeper.start();
    clock.advance(0);
    await settle();
    expect(calls.recover).toHaveLength(1);
    expect(calls.recover[0]).toMatchObject({ now: t0, queue: 'q', maxOrphans: 2, limit: 1000 });
    expect(calls.remove[0]).toEqual({ queue: 'q', states: ['completed'], before: t0 - 60_000, limit: 1000 });
    clock.advance(4999);
    await settle();
    expect(calls.recover).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(calls.recover).toHaveLength(2);
    sweeper.stop();
    clock.advance(20_000);
    await settle();
    expect(calls.recover).toHaveLength(2);
  });

  it('keeps completed jobs with completedRetentionMs: false', async () => {
    const { sweeper, calls, clock } = setup({ completedRetentionMs: false });
    sweeper.start();
    clock.advance(0);
    await settle();
    expect(calls.recover).toHaveLength(1);
    expect(calls.remove).toHaveLength(0);
  });

  it('reports recovered and dead-lettered orphans; a job that may have run makes the worker want quarantine', async () => {
    const { sweeper, answers, ctx, events, wakes } = setup();
    answers.recovery = {
      recovered: ['a', 'b'],
      deadLettered: [{ jobId: 'c', deadLetterId: 'dl_c' }],
      orphanedWhile: { a: 'prefetched', b: 'running', c: 'quarantine' },
    };
    const result = await sweeper.recoverOrphans();
    expect(result).toEqual({ recovered: ['a', 'b'], deadLettered: ['c'] });
    expect(ctx.counters.recovered).toBe(2);
    expect(ctx.quarantine.gate.wants(ctx.quarantine.member)).toBe(true);
    expect(wakes()).toBe(1);
    expect(events.map((e) => e.payload)).toEqual([
      { queue: 'q', jobId: 'a', action: 'recovered', orphanedWhile: 'prefetched' },
      { queue: 'q', jobId: 'b', action: 'recovered', orphanedWhile: 'running' },
      { queue: 'q', jobId: 'c', action: 'dead_lettered', deadLetterId: 'dl_c', orphanedWhile: 'quarantine' },
    ]);
  });

  it('jobs recovered while only prefetched need no quarantine', async () => {
    const { sweeper, answers, ctx } = setup();
    answers.recovery = { recovered: ['a'], deadLettered: [], orphanedWhile: { a: 'prefetched' } };
    await sweeper.recoverOrphans();
    expect(ctx.quarantine.gate.wants(ctx.quarantine.member)).toBe(false);
  });

  it('gives the store a poison-pill dead letter for a job that kept killing its worker', async () => {
    const { sweeper, calls, clock } = setup();
    await sweeper.recoverOrphans();
    const record = calls.recover[0]!.deadLetterFor({ id: 'j1', queue: 'q', name: 'task', orphanCount: 2 });
    expect(record).toMatchObject({
      failureType: 'poison_pill',
      errorClass: 'PoisonPillError',
      errorCode: 'POISON_PILL',
      recommendedAction: 'investigate_crash',
      deadLetteredAt: clock.now(),
      workerId: null,
    });
    expect(record.errorMessage).toContain('lost its worker 2 times');
  });
});
