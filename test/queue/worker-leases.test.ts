import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, LeaseLostError, type RedriveEvents } from '../../src/index.js';
import { createHarness, deferred, flush, type Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

type Alert = RedriveEvents['alert'];
type Stalled = RedriveEvents['job.stalled'];

/**
 * Claims a job directly, as a worker that then crashes (never completes, never heartbeats); with
 * `quarantine`, a suspect alone.
 */
async function claimAndCrash(queue: string, leaseMs = 1000, workerId = 'crashed-worker', quarantine = false) {
  const claimed = await h.store.claimJobs({
    queue,
    workerId,
    limit: 1,
    leaseMs,
    now: h.clock.now(),
    claimId: `crash${h.clock.now()}`,
    quarantine,
  });
  expect(claimed).toHaveLength(1);
  return claimed[0]!;
}

describe('heartbeats', () => {
  it('extend the lease of a long handler so no other worker recovers it', async () => {
    const q = h.queue('long');
    const { id } = await q.add('crunch', null);
    const gate = deferred<string>();
    const ranBy: string[] = [];
    const a = h.worker(
      'long',
      async () => {
        ranBy.push('a');
        return gate.promise;
      },
      { leaseMs: 1000, heartbeatMs: 300, recoveryIntervalMs: 100 },
    );
    await h.waitFor(() => ranBy.length === 1);
    const b = h.worker(
      'long',
      async () => {
        ranBy.push('b');
      },
      { leaseMs: 1000, heartbeatMs: 300, recoveryIntervalMs: 100 },
    );
    const stalled: Stalled[] = [];
    b.on('job.stalled', (e) => stalled.push(e));
    a.on('job.stalled', (e) => stalled.push(e));

    // Ten lease lengths pass, in steps shorter than the heartbeat.
    await h.advance(10_000, 100);
    const job = (await q.getJob(id))!;
    expect(job).toMatchObject({ state: 'active', workerId: a.workerId, orphanCount: 0, attemptsMade: 0 });
    expect(job.leaseExpiresAt! - h.clock.now()).toBeGreaterThan(0);
    expect(job.leaseExpiresAt! - h.clock.now()).toBeLessThanOrEqual(1000);
    expect(stalled).toEqual([]);
    expect(ranBy).toEqual(['a']);

    gate.resolve('finally');
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
    expect(await q.getJob(id)).toMatchObject({ result: 'finally', attemptsMade: 1 });
    expect(ranBy).toEqual(['a']);
  });

  it('emits heartbeat_lag when the heartbeat timer fires late (a blocked event loop)', async () => {
    const q = h.queue('lag');
    await q.add('x', null);
    const gate = deferred();
    const w = h.worker('lag', () => gate.promise, { leaseMs: 10_000, heartbeatMs: 1000 });
    const alerts: Alert[] = [];
    w.on('alert', (a) => alerts.push(a));
    await h.waitFor(async () => (await q.getCounts()).active === 1);

    // On time: no alert.
    await h.advance(3000, 100);
    expect(alerts.filter((a) => a.type === 'heartbeat_lag')).toEqual([]);

    // The event loop is blocked for 6 s: time moves, but no timer fires until it is free again.
    h.clock.set(h.clock.now() + 6000);
    h.clock.advance(0);
    await flush();
    const lag = alerts.filter((a) => a.type === 'heartbeat_lag');
    expect(lag).toHaveLength(1);
    expect(lag[0]).toMatchObject({ queue: 'lag', threshold: 1000 });
    expect(lag[0]!.value).toBeGreaterThanOrEqual(5000);
    expect(lag[0]!.message).toMatch(/late/);
    gate.resolve();
  });

  it('emits heartbeat_lag after the FakeClock jumps far past heartbeatMs in one step', async () => {
    const q = h.queue('lag2');
    await q.add('x', null);
    const gate = deferred();
    const w = h.worker('lag2', () => gate.promise, { leaseMs: 30_000, heartbeatMs: 1000 });
    const alerts: Alert[] = [];
    w.on('alert', (a) => alerts.push(a));
    await h.waitFor(async () => (await q.getCounts()).active === 1);
    h.clock.advance(10_000);
    await flush();
    await h.advance(2000, 100);
    expect(alerts.filter((a) => a.type === 'heartbeat_lag').length).toBeGreaterThanOrEqual(1);
    gate.resolve();
  });

  it('a refused heartbeat aborts the handler signal with LeaseLostError', async () => {
    const q = h.queue('stolen');
    const { id } = await q.add('x', null);
    const signals: AbortSignal[] = [];
    const w = h.worker(
      'stolen',
      (job) => {
        signals.push(job.signal);
        return new Promise<never>(() => undefined);
      },
      { leaseMs: 1000, heartbeatMs: 300 },
    );
    const alerts: Alert[] = [];
    w.on('alert', (a) => alerts.push(a));
    await h.waitFor(() => signals.length === 1);
    // Another process takes the job over: the lease expired there and it claimed a new token.
    const other = h.otherProcess();
    const later = h.clock.now() + 5000;
    await other.recoverExpiredLeases({
      now: later,
      maxOrphans: 3,
      limit: 10,
      deadLetterFor: () => {
        throw new Error('not expected');
      },
    });
    const [reclaimed] = await other.claimJobs({
      queue: 'stolen',
      workerId: 'thief',
      limit: 1,
      leaseMs: 60_000,
      now: later,
      claimId: 'thief1',
      quarantine: true,
    });
    expect(reclaimed?.id).toBe(id);
    await h.advance(400, 100);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toBeInstanceOf(LeaseLostError);
    expect(alerts).toMatchObject([{ type: 'lease_lost', queue: 'stolen' }]);
    expect(await q.getJob(id)).toMatchObject({ state: 'active', workerId: 'thief' });
  });
});

describe('crashed workers and recovery', () => {
  it('after the lease expires, recovery returns the job without spending an attempt and it completes', async () => {
    const q = h.queue('crash');
    const { id } = await q.add('fragile', { x: 1 });
    const crashed = await claimAndCrash('crash', 1000);
    expect(crashed.id).toBe(id);

    const ran: number[] = [];
    const w = h.worker(
      'crash',
      async (job) => {
        ran.push(job.attempt);
        return 'recovered';
      },
      { recoveryIntervalMs: 100 },
    );
    const stalled: Stalled[] = [];
    w.on('job.stalled', (e) => stalled.push(e));

    await h.advance(900, 100);
    expect(ran).toEqual([]);
    expect((await q.getJob(id))?.state).toBe('active');

    await h.advance(300, 100);
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
    expect(stalled).toEqual([{ queue: 'crash', jobId: id, action: 'recovered', orphanedWhile: 'running' }]);
    expect(ran).toEqual([1]);
    const job = (await q.getJob(id))!;
    // Orphaned while (maybe) running beside others: a suspect, run alone next, not counted.
    expect(job).toMatchObject({ attemptsMade: 1, orphanCount: 0, suspect: true, result: 'recovered' });
    expect(job.attempts).toMatchObject([
      { attempt: 1, outcome: 'orphaned', orphanedWhile: 'running', workerId: 'crashed-worker' },
    ]);
    expect(w.stats().recovered).toBe(1);
  });

  it('a worker whose handler hangs and whose process stalls is recovered by another worker', async () => {
    const q = h.queue('hung');
    const { id } = await q.add('x', null);
    // Worker A is another process whose clock stops: its heartbeats never run again (frozen).
    const frozen = new FakeClock(h.clock.now());
    h.worker('hung', () => new Promise<never>(() => undefined), {
      store: h.otherProcess(),
      clock: frozen,
      leaseMs: 1000,
      heartbeatMs: 300,
    });
    await h.waitFor(async () => (await q.getJob(id))?.state === 'active');
    const ran: string[] = [];
    h.worker(
      'hung',
      async (job) => {
        ran.push(job.id);
      },
      { recoveryIntervalMs: 200 },
    );
    await h.advance(1500, 100);
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
    expect(ran).toEqual([id]);
    expect(await q.getJob(id)).toMatchObject({ attemptsMade: 1, orphanCount: 0, suspect: true });
  });

  it('dead-letters a poison pill after maxOrphans orphanings in quarantine', async () => {
    const q = h.queue('poison');
    const { id } = await q.add('kills-workers', { evil: true });
    const sweeper = h.worker('poison', async () => undefined, { autorun: false, maxOrphans: 3 });
    const stalled: Stalled[] = [];
    sweeper.on('job.stalled', (e) => stalled.push(e));

    await claimAndCrash('poison', 1000, 'victim-0');
    h.clock.advance(1001);
    expect(await sweeper.recoverOrphans()).toEqual({ recovered: [id], deadLettered: [] });
    expect(await q.getJob(id)).toMatchObject({ state: 'waiting', suspect: true, orphanCount: 0 });
    for (let i = 1; i <= 2; i++) {
      await claimAndCrash('poison', 1000, `victim-${i}`, true);
      h.clock.advance(1001);
      expect(await sweeper.recoverOrphans()).toEqual({ recovered: [id], deadLettered: [] });
      expect(await q.getJob(id)).toMatchObject({ state: 'waiting', orphanCount: i, attemptsMade: 0 });
    }
    await claimAndCrash('poison', 1000, 'victim-3', true);
    h.clock.advance(1001);
    expect(await sweeper.recoverOrphans()).toEqual({ recovered: [], deadLettered: [id] });

    const job = (await q.getJob(id))!;
    expect(job).toMatchObject({ state: 'dead_lettered', orphanCount: 3, attemptsMade: 0 });
    const dl = await h.store.getDeadLetterByJob({ jobId: id });
    expect(dl).toMatchObject({
      id: job.deadLetterId,
      failureType: 'poison_pill',
      errorClass: 'PoisonPillError',
      payload: { evil: true },
    });
    expect(dl!.attempts.map((a) => [a.outcome, a.orphanedWhile, a.workerId])).toEqual([
      ['orphaned', 'running', 'victim-0'],
      ['orphaned', 'quarantine', 'victim-1'],
      ['orphaned', 'quarantine', 'victim-2'],
      ['orphaned', 'quarantine', 'victim-3'],
    ]);
    expect(stalled.map((s) => [s.action, s.orphanedWhile])).toEqual([
      ['recovered', 'running'],
      ['recovered', 'quarantine'],
      ['recovered', 'quarantine'],
      ['dead_lettered', 'quarantine'],
    ]);
    expect(stalled[3]).toMatchObject({ jobId: id, deadLetterId: dl!.id });
  });

  it('a running worker dead-letters a poison pill in its recovery sweep', async () => {
    const q = h.queue('poison2');
    const { id } = await q.add('x', null);
    await claimAndCrash('poison2', 500);
    h.clock.advance(501);
    await h.worker('poison2', async () => undefined, { autorun: false }).recoverOrphans();
    await claimAndCrash('poison2', 500, 'quarantined-worker', true);
    const ran: string[] = [];
    h.worker(
      'poison2',
      async (job) => {
        ran.push(job.id);
      },
      { maxOrphans: 1, recoveryIntervalMs: 100 },
    );
    await h.advance(1000, 100);
    await h.waitFor(async () => (await q.getJob(id))?.state === 'dead_lettered');
    expect(ran).toEqual([]);
    expect((await h.store.getDeadLetterByJob({ jobId: id }))?.failureType).toBe('poison_pill');
  });
});

describe('stale workers (fencing)', () => {
  /**
   * Worker A, in another process, claims the job on a clock that then stops (a paused process: no
   * heartbeats). Worker B, on the live clock, recovers the expired lease and claims the job again.
   */
  async function staleSetup(queueName: string) {
    const q = h.queue<string>(queueName);
    const { id } = await q.add('x', 'payload');
    const frozen = new FakeClock(h.clock.now());
    const aGate = deferred<string>();
    const a = h.worker(queueName, () => aGate.promise, {
      store: h.otherProcess(),
      clock: frozen,
      leaseMs: 1000,
      heartbeatMs: 300,
    });
    const alertsA: Alert[] = [];
    a.on('alert', (e) => alertsA.push(e));
    await h.waitFor(async () => (await q.getJob(id))?.workerId === a.workerId);
    const bGate = deferred<string>();
    let bStarted = false;
    const b = h.worker(
      queueName,
      () => {
        bStarted = true;
        return bGate.promise;
      },
      { recoveryIntervalMs: 100 },
    );
    await h.advance(1200, 100);
    await h.waitFor(() => bStarted, { what: 'B started the recovered job' });
    expect(await q.getJob(id)).toMatchObject({ state: 'active', workerId: b.workerId });
    return { q, id, a, b, aGate, bGate, alertsA };
  }

  it("refuses the stale worker's completion while the new attempt runs, then applies the new one", async () => {
    const { q, id, a, aGate, bGate, alertsA } = await staleSetup('stale1');
    aGate.resolve('from A');
    await h.waitFor(() => alertsA.length > 0, { what: 'lease_lost alert' });
    expect(alertsA).toMatchObject([{ type: 'lease_lost', queue: 'stale1' }]);
    expect(alertsA[0]!.message).toContain(id);
    expect(a.stats()).toMatchObject({ leasesLost: 1, completed: 0 });
    expect(await q.getJob(id)).toMatchObject({ state: 'active', result: null, attemptsMade: 0 });

    bGate.resolve('from B');
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
    expect(await q.getJob(id)).toMatchObject({ result: 'from B', attemptsMade: 1 });
  });

  it("never overwrites the newer attempt's result when the stale worker finishes last", async () => {
    const { q, id, a, aGate, bGate, alertsA } = await staleSetup('stale2');
    bGate.resolve('from B');
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
    const completedAt = (await q.getJob(id))!.finishedAt;
    aGate.resolve('from A');
    await h.waitFor(() => alertsA.length > 0);
    expect(alertsA[0]!.type).toBe('lease_lost');
    expect(await q.getJob(id)).toMatchObject({
      state: 'completed',
      result: 'from B',
      attemptsMade: 1,
      finishedAt: completedAt,
    });
    expect(a.stats().completed).toBe(0);
  });

  it("refuses the stale worker's failure too", async () => {
    const { q, id, aGate, bGate, alertsA } = await staleSetup('stale3');
    aGate.reject(new Error('A failed late'));
    await h.waitFor(() => alertsA.length > 0);
    expect(alertsA[0]!.type).toBe('lease_lost');
    const job = (await q.getJob(id))!;
    expect(job).toMatchObject({ state: 'active', attemptsMade: 0 });
    expect(job.attempts.some((a) => a.message === 'A failed late')).toBe(false);
    bGate.resolve('ok');
    await h.waitFor(async () => (await q.getJob(id))?.state === 'completed');
  });
});
