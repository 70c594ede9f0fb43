/**
 * The worker's part of orphan attribution (fake time): claimed is not started, suspects run alone
 * in quarantine, and a worker whose sweep finds suspects drains before it runs them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, type RedriveEvents } from '../../src/index.js';
import { createHarness, deferred, type Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

type Stalled = RedriveEvents['job.stalled'];

/** Makes every waiting job of `queue` a suspect: claimed in a batch by a worker that then dies. */
async function makeSuspects(queue: string): Promise<void> {
  await h.store.claimJobs({
    queue,
    workerId: 'died',
    limit: 100,
    leaseMs: 100,
    now: h.clock.now(),
    claimId: `died${h.clock.now()}`,
  });
  h.clock.advance(101);
  const sweeper = h.worker(queue, async () => undefined, { autorun: false });
  const { recovered } = await sweeper.recoverOrphans();
  expect(recovered.length).toBeGreaterThan(0);
}

/** Adds a job that a worker claims and then dies holding (its lease of 500 ms runs out unswept). */
async function crashedClaim(q: { add(name: string, payload: null): Promise<unknown> }, queue: string) {
  await q.add('crashy', null);
  const crashed = await h.store.claimJobs({
    queue,
    workerId: 'died',
    limit: 1,
    leaseMs: 500,
    now: h.clock.now(),
    claimId: 'died1',
  });
  return crashed[0]!.id;
}

describe('claimed is not started', () => {
  it('after a crash, the running job becomes a suspect and the prefetched ones go back as they were', async () => {
    const q = h.queue('pre');
    const ids = (await q.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'j', payload: i })))).map(
      (r) => r.id,
    );
    // Worker A, another process, whose clock then stops: it dies holding its claim.
    const frozen = new FakeClock(h.clock.now());
    const started: string[] = [];
    h.worker(
      'pre',
      (job) => {
        started.push(job.id);
        return new Promise<never>(() => undefined);
      },
      {
        store: h.otherProcess(),
        clock: frozen,
        concurrency: 1,
        prefetch: 5,
        leaseMs: 1000,
        heartbeatMs: 300,
      },
    );
    await h.waitFor(async () => started.length === 1 && (await q.getCounts()).active === 5);
    const sweeper = h.worker('pre', async () => undefined, { autorun: false });
    const stalled: Stalled[] = [];
    sweeper.on('job.stalled', (e) => stalled.push(e));
    h.clock.advance(1001);
    await sweeper.recoverOrphans();

    expect(started).toEqual([ids[0]]);
    expect(stalled.map((e) => [e.jobId, e.orphanedWhile])).toEqual(
      ids.map((id, i) => [id, i === 0 ? 'running' : 'prefetched']),
    );
    for (const [i, id] of ids.entries()) {
      expect(await q.getJob(id!)).toMatchObject({ state: 'waiting', orphanCount: 0, suspect: i === 0 });
    }
  });
});

describe('quarantine', () => {
  it('runs a suspect alone: nothing else is claimed or runs beside it until it settles', async () => {
    const q = h.queue('alone');
    const { id: suspect } = await q.add('maybe-bad', null);
    await makeSuspects('alone');
    const others = (await q.addBulk(Array.from({ length: 6 }, () => ({ name: 'ok', payload: null })))).map(
      (r) => r.id,
    );
    const gate = deferred();
    let running = 0;
    let besideSuspect = 0;
    let suspectRunning = false;
    const order: string[] = [];
    const w = h.worker(
      'alone',
      async (job) => {
        order.push(job.id);
        running++;
        if (suspectRunning) besideSuspect++;
        if (job.id === suspect) {
          suspectRunning = true;
          await gate.promise;
          suspectRunning = false;
        }
        running--;
      },
      { concurrency: 4 },
    );
    await h.waitFor(() => order.length === 1);
    await h.advance(200, 20);
    expect(order).toEqual([suspect]);
    expect(w.stats()).toMatchObject({ running: 1, buffered: 0 });
    expect((await q.getCounts()).active).toBe(1);

    gate.resolve();
    await h.waitFor(async () => (await q.getCounts()).completed === 7);
    expect(besideSuspect).toBe(0);
    expect(new Set(order.slice(1))).toEqual(new Set(others));
    expect(running).toBe(0);
  });

  it('a busy worker whose sweep finds suspects stops claiming, drains, then runs them alone', async () => {
    const q = h.queue('drain');
    const suspect = await crashedClaim(q, 'drain');
    const busy = (await q.addBulk(Array.from({ length: 2 }, () => ({ name: 'busy', payload: null })))).map(
      (r) => r.id,
    );
    const gates = new Map(busy.map((id) => [id, deferred()]));
    const started: string[] = [];
    const w = h.worker(
      'drain',
      async (job) => {
        started.push(job.id);
        await gates.get(job.id)?.promise;
      },
      { concurrency: 2, recoveryIntervalMs: 100, leaseMs: 2000, heartbeatMs: 500 },
    );
    await h.waitFor(() => started.length === 2);
    // The crashed claim expires; this worker's sweep makes it a suspect while both slots are busy.
    await h.advance(700, 50);
    expect((await q.getJob(suspect))?.suspect).toBe(true);
    // More work arrives: the worker does not claim it while it drains.
    const later = (await q.add('later', null)).id;
    await h.advance(200, 50);
    expect(started).toEqual(busy);
    for (const gate of gates.values()) gate.resolve();
    await h.waitFor(async () => (await q.getCounts()).completed === 4);
    expect(started).toEqual([...busy, suspect, later]);
    expect(w.stats().completed).toBe(4);
  });
});

describe('quarantine is per process', () => {
  it("a suspect of one worker runs with no job of the process's other workers beside it", async () => {
    const qa = h.queue('qa');
    const qb = h.queue('qb');
    const { id: suspect } = await qa.add('maybe-bad', null);
    await makeSuspects('qa');
    const gate = deferred();
    let suspectRunning = false;
    let besideSuspect = 0;
    const startedB: string[] = [];
    h.worker(
      'qa',
      async (job) => {
        if (job.id !== suspect) return;
        suspectRunning = true;
        await gate.promise;
        suspectRunning = false;
      },
      { concurrency: 4 },
    );
    await h.waitFor(() => suspectRunning);
    // Work for another worker of the same process arrives while the suspect runs alone.
    await qb.addBulk(Array.from({ length: 3 }, () => ({ name: 'ok', payload: null })));
    h.worker(
      'qb',
      async (job) => {
        startedB.push(job.id);
        if (suspectRunning) besideSuspect++;
      },
      { concurrency: 4 },
    );
    await h.advance(300, 20);
    expect(startedB).toEqual([]);
    expect((await qb.getCounts()).active).toBe(0);

    gate.resolve();
    await h.waitFor(async () => (await qb.getCounts()).completed === 3);
    expect(besideSuspect).toBe(0);
    expect((await qa.getJob(suspect))?.state).toBe('completed');
  });

  it("a worker whose sweep finds suspects holds up the process's other workers until they drain, then runs them alone", async () => {
    const qa = h.queue('pa');
    const qb = h.queue('pb');
    const suspect = await crashedClaim(qa, 'pa');
    const busy = (await qb.add('busy', null)).id;
    const release = deferred();
    const started: string[] = [];
    let running = 0;
    let besideSuspect = 0;
    const handler = async (job: { id: string }) => {
      started.push(job.id);
      running++;
      if (job.id === suspect && running > 1) besideSuspect++;
      if (job.id === busy) await release.promise;
      running--;
    };
    h.worker('pa', handler, { recoveryIntervalMs: 100, leaseMs: 2000, heartbeatMs: 500 });
    h.worker('pb', handler, { concurrency: 2, recoveryIntervalMs: 100_000 });
    await h.waitFor(() => started.length === 1);
    // The crashed claim expires; worker pa's sweep makes it a suspect while pb's job runs.
    await h.advance(700, 50);
    expect((await qa.getJob(suspect))?.suspect).toBe(true);
    // More work for pb arrives: the process drains instead of claiming it.
    const later = (await qb.add('later', null)).id;
    await h.advance(200, 50);
    expect(started).toEqual([busy]);

    release.resolve();
    await h.waitFor(async () => (await qb.getCounts()).completed === 2);
    await h.waitFor(async () => (await qa.getCounts()).completed === 1);
    expect(started).toEqual([busy, suspect, later]);
    expect(besideSuspect).toBe(0);
  });
});
