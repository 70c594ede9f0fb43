/**
 * The heartbeater on its own (fake store, FakeClock): leases of unsettled held jobs are extended
 * every interval in one call; a refused lease aborts the handler's signal; a late beat is alerted.
 */
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../src/core/errors.js';
import { LeaseLostError } from '../../../src/queue/active-job.js';
import { Heartbeater } from '../../../src/queue/heartbeater.js';
import { fakeStore, runningJob, settle, workerContext } from './fakes.js';

function setup() {
  const fake = fakeStore();
  const { ctx, clock, events } = workerContext(fake.store, { heartbeatMs: 1000, leaseMs: 5000 });
  const heartbeater = new Heartbeater(ctx);
  const hold = () => {
    const job = runningJob();
    ctx.held.set(job.id, job);
    return job;
  };
  return { ...fake, ctx, clock, events, heartbeater, hold };
}

describe('Heartbeater', () => {
  it('extends the leases of every unsettled held job once per interval, in one call', async () => {
    const { heartbeater, calls, clock, hold } = setup();
    const a = hold();
    const b = hold();
    const done = hold();
    done.settled = true;
    heartbeater.start();
    clock.advance(999);
    await settle();
    expect(calls.extend).toHaveLength(0);
    clock.advance(1);
    await settle();
    expect(calls.extend).toHaveLength(1);
    expect(calls.extend[0]).toEqual({
      leases: [
        { id: a.id, token: a.token },
        { id: b.id, token: b.token },
      ],
      leaseMs: 5000,
      now: clock.now(),
    });
    clock.advance(1000);
    await settle();
    expect(calls.extend).toHaveLength(2);
  });

  it('makes no store call while the worker holds nothing', async () => {
    const { heartbeater, calls, clock } = setup();
    heartbeater.start();
    clock.advance(3000);
    await settle();
    expect(calls.extend).toHaveLength(0);
  });

  it('a refused lease marks the job lost, aborts its signal with LeaseLostError and alerts', async () => {
    const { heartbeater, answers, ctx, clock, events, hold } = setup();
    const kept = hold();
    const lost = hold();
    answers.refused.add(lost.id);
    const signal = lost.signal;
    heartbeater.start();
    clock.advance(1000);
    await settle();
    expect(lost.lost).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(LeaseLostError);
    expect(kept.lost).toBe(false);
    expect(kept.signal.aborted).toBe(false);
    expect(ctx.counters.leasesLost).toBe(1);
    expect(events.find((e) => e.type === 'alert')!.payload).toMatchObject({ type: 'lease_lost' });
  });

  it('alerts when a beat runs more than one interval late (the event loop was blocked)', async () => {
    const { heartbeater, clock, events } = setup();
    heartbeater.start();
    // Time passes without timers firing, as when a handler blocks the event loop.
    clock.set(clock.now() + 3500);
    await heartbeater.beat();
    expect(events.find((e) => e.type === 'alert')!.payload).toMatchObject({
      type: 'heartbeat_lag',
      value: 2500,
      threshold: 1000,
    });
  });

  it('reports a store error and keeps beating', async () => {
    const { heartbeater, answers, calls, clock, events, hold } = setup();
    hold();
    answers.extendError = new StoreUnavailableError('down');
    heartbeater.start();
    clock.advance(1000);
    await settle();
    expect(events.map((e) => e.type)).toEqual(['error', 'alert']);
    answers.extendError = undefined;
    clock.advance(1000);
    await settle();
    expect(calls.extend).toHaveLength(2);
  });

  it('stops: no beat after stop(), and none scheduled once the worker is closed', async () => {
    const { heartbeater, ctx, calls, clock, hold } = setup();
    hold();
    heartbeater.start();
    heartbeater.stop();
    clock.advance(5000);
    await settle();
    expect(calls.extend).toHaveLength(0);
    heartbeater.start();
    ctx.state = 'closed';
    clock.advance(1000);
    await settle();
    clock.advance(5000);
    await settle();
    expect(calls.extend).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });
});
