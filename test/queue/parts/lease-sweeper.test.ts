/**
 * The lease sweeper on its own (fake store, FakeClock): an on-demand sweep of the worker's queue
 * and the store maintainer's reports both count recovered and dead-lettered orphans, emit them, and
 * ask for quarantine when a recovered job may have been running. (Sweeping on an interval and
 * deleting old completed jobs belong to the maintenance services: test/maintenance/.)
 */
import { describe, expect, it } from 'vitest';
import { LeaseSweeper } from '../../../src/queue/lease-sweeper.js';
import { fakeStore, workerContext } from './fakes.js';

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
  it('reacts to recoveries of its queue reported by the store maintainer, and ignores other queues', () => {
    const { sweeper, ctx, events, wakes } = setup();
    sweeper.stalled({ queue: 'other', jobId: 'x', action: 'recovered', orphanedWhile: 'running' });
    expect(events).toEqual([]);
    expect(ctx.counters.recovered).toBe(0);
    sweeper.stalled({ queue: 'q', jobId: 'a', action: 'recovered', orphanedWhile: 'running' });
    sweeper.stalled({
      queue: 'q',
      jobId: 'b',
      action: 'dead_lettered',
      deadLetterId: 'dl_b',
      orphanedWhile: 'quarantine',
    });
    expect(ctx.counters.recovered).toBe(1);
    expect(ctx.quarantine.gate.wants(ctx.quarantine.member)).toBe(true);
    expect(wakes()).toBe(1);
    expect(events.map((e) => e.payload)).toEqual([
      { queue: 'q', jobId: 'a', action: 'recovered', orphanedWhile: 'running' },
      { queue: 'q', jobId: 'b', action: 'dead_lettered', deadLetterId: 'dl_b', orphanedWhile: 'quarantine' },
    ]);
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
