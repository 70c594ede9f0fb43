/**
 * The fetcher on its own (fake store, FakeClock): how much it claims, single-flight claims, the
 * idle poll backoff, wake-ups by notify, quarantine of a suspect, and handing buffered jobs back.
 */
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../src/core/errors.js';
import { Completer } from '../../../src/queue/completer.js';
import { Fetcher } from '../../../src/queue/fetcher.js';
import { StartHorizon } from '../../../src/queue/start-horizon.js';
import type { WorkerOptions } from '../../../src/queue/worker-options.js';
import { claimedJob, fakeStore, settle, workerContext } from './fakes.js';

function setup(options: Partial<WorkerOptions> = {}, store = fakeStore()) {
  const { ctx, clock, events } = workerContext(store.store, {
    concurrency: 2,
    pollIntervalMs: 40,
    ...options,
  });
  const load = { running: 0, avg: Number.NaN, dispatches: 0 };
  let fetcher!: Fetcher;
  const completer = new Completer(ctx, () => fetcher.claimPending);
  const starts = new StartHorizon(ctx.store, ctx.workerId, clock, () => {});
  fetcher = new Fetcher(ctx, completer.settlements, starts, {
    dispatch: () => load.dispatches++,
    running: () => load.running,
    avgDurationMs: () => load.avg,
  });
  /** Claim times, relative to the start. */
  const t0 = clock.now();
  const claimTimes = () => store.calls.claim.map((c) => c.now - t0);
  return { ...store, ctx, clock, events, fetcher, load, claimTimes, starts, completer };
}

/** A fetcher after one claim of one job, from a store answering in a later turn or in the same one. */
async function claimedOnce(later: boolean) {
  const s = setup();
  s.answers.claimLater = later;
  s.answers.waiting.push(claimedJob());
  s.fetcher.kick();
  await settle();
  return s;
}

describe('Fetcher', () => {
  it('claims `concurrency` jobs before any handler time is known, and buffers and holds them', async () => {
    const s = setup();
    s.answers.waiting.push(claimedJob(), claimedJob(), claimedJob());
    s.fetcher.kick();
    await settle();
    expect(s.calls.claim[0]).toMatchObject({ queue: 'q', workerId: 'w1', limit: 2, quarantine: true });
    expect(s.ctx.buffer.size).toBe(2);
    expect(s.ctx.held.size).toBe(2);
    expect(s.load.dispatches).toBe(1);
  });

  it('prefetches about 20 ms of work per slot once handlers are known to be fast', async () => {
    const s = setup();
    s.load.avg = 0.5;
    s.fetcher.kick();
    await settle();
    expect(s.calls.claim[0]!.limit).toBe(80);
  });

  it('with slow handlers, claims no more than the free slots (no hoarding)', async () => {
    const s = setup({ concurrency: 4 });
    s.load.avg = 10_000;
    s.load.running = 3;
    s.fetcher.kick();
    await settle();
    expect(s.calls.claim[0]!.limit).toBe(1);
  });

  it('runs one claim at a time; a kick during a claim claims again right after it', async () => {
    const s = setup();
    let open!: () => void;
    s.answers.claimGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    s.answers.waiting.push(claimedJob());
    s.fetcher.kick();
    await settle();
    s.fetcher.kick();
    s.fetcher.kick();
    await settle();
    expect(s.calls.claim).toHaveLength(1);
    expect(s.fetcher.claimPending).toBe(true);
    s.answers.claimGate = undefined;
    open();
    await settle();
    expect(s.calls.claim).toHaveLength(2);
  });

  it('sends a claim at once when the store answered the last one in a later turn, else yields first', async () => {
    const microtasks = async () => {
      for (let i = 0; i < 20; i++) await Promise.resolve();
    };
    for (const later of [false, true]) {
      const s = await claimedOnce(later);
      expect(s.calls.claim).toHaveLength(1);
      s.ctx.buffer.shift();
      s.fetcher.kick();
      await microtasks();
      // Same-turn answers (SQLite) chain as microtasks: the worker lets timers and I/O run first.
      expect(s.calls.claim).toHaveLength(later ? 2 : 1);
      await settle();
      expect(s.calls.claim).toHaveLength(2);
    }
  });

  it('sends a claim beside a failure write in flight when the store answers later, else after it', async () => {
    for (const later of [false, true]) {
      const s = await claimedOnce(later);
      const job = s.ctx.buffer.shift()!;
      let open!: () => void;
      s.answers.failGate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const error = new Error('boom');
      s.completer.failed(job, error, s.completer.decide(job, error, 0), 0);
      void s.completer.flush();
      await settle();
      expect(s.calls.fail).toHaveLength(1);
      s.answers.waiting.push(claimedJob());
      s.fetcher.kick();
      await settle();
      // Across a network the store works through the write and the claim in order while this
      // worker runs jobs; a store answering in the same turn gets the claim after the write.
      expect(s.calls.claim).toHaveLength(later ? 2 : 1);
      open();
      await settle();
      expect(s.calls.claim).toHaveLength(2);
    }
  });

  it('writes outcomes settled during a claim that finds nothing at once, not at the next poll', async () => {
    const s = setup({ pollIntervalMs: 10_000 });
    let open!: () => void;
    s.answers.claimGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    s.fetcher.kick();
    await settle();
    s.completer.settlements.addCompletion({ id: 'j1', token: 't1', resultJson: null });
    await settle();
    // Left for the claim in flight to carry.
    expect(s.calls.complete).toHaveLength(0);
    open();
    await settle();
    expect(s.calls.claim).toHaveLength(1);
    expect(s.calls.complete.map((c) => c.completions.map((x) => x.id))).toEqual([['j1']]);
  });

  it('after a failed claim, writes outcomes settled during it and honours a wake that came during it', async () => {
    const s = setup({ pollIntervalMs: 10_000 });
    let open!: () => void;
    s.answers.claimGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    s.answers.claimError = new Error('connection reset');
    s.fetcher.kick();
    await settle();
    s.completer.settlements.addCompletion({ id: 'j1', token: 't1', resultJson: null });
    // The store's notification arrives while the claim is still in flight.
    s.fetcher.wake();
    await settle();
    expect(s.calls.complete).toHaveLength(0);
    open();
    await settle();
    expect(s.calls.claim).toHaveLength(1);
    expect(s.calls.complete.map((c) => c.completions.map((x) => x.id))).toEqual([['j1']]);
    // The store is back.
    s.answers.claimGate = undefined;
    s.answers.claimError = undefined;
    s.answers.waiting.push(claimedJob());
    // The wake is not lost: the next claim comes after a short backoff, not the 10 s poll.
    await s.clock.advance(10);
    await settle();
    expect(s.calls.claim).toHaveLength(2);
    expect(s.ctx.buffer.size).toBe(1);
  });

  it('keeps trying a wake whose claims fail, backing off from 10 ms, until one gets through', async () => {
    const s = setup({ pollIntervalMs: 10_000 }, fakeStore({ notify: true }));
    s.answers.claimError = new Error('connection not ready');
    s.fetcher.start();
    await settle();
    const before = s.calls.claim.length;
    s.notify();
    await settle();
    expect(s.calls.claim).toHaveLength(before + 1);
    for (const wait of [10, 20, 40]) {
      await s.clock.advance(wait - 1);
      await settle();
      expect(s.calls.claim).toHaveLength(before + 1 + [10, 20, 40].indexOf(wait));
      await s.clock.advance(1);
      await settle();
    }
    expect(s.calls.claim).toHaveLength(before + 4);
    s.answers.claimError = undefined;
    await s.clock.advance(80);
    await settle();
    expect(s.calls.claim).toHaveLength(before + 5);
    // Through: back to sleeping until notified or the poll interval.
    await s.clock.advance(5_000);
    await settle();
    expect(s.calls.claim).toHaveLength(before + 5);
  });

  it('after a failed claim without a wake, waits the poll interval before claiming again', async () => {
    const s = setup({ pollIntervalMs: 1_000 });
    s.answers.claimError = new Error('connection reset');
    s.fetcher.kick();
    await settle();
    expect(s.calls.claim).toHaveLength(1);
    await s.clock.advance(999);
    await settle();
    expect(s.calls.claim).toHaveLength(1);
    await s.clock.advance(1);
    await settle();
    expect(s.calls.claim).toHaveLength(2);
  });

  it('names each failed claim in the next claims until one gets through, then no more', async () => {
    const s = setup({ pollIntervalMs: 100 });
    // The store may have run these claims: their replies were lost with the connection.
    s.answers.claimError = new Error('connection lost before the reply');
    s.fetcher.kick();
    await settle();
    await s.clock.advance(100);
    await settle();
    expect(s.calls.claim).toHaveLength(2);
    const [first, second] = s.calls.claim;
    expect(first!.lostClaims).toBeUndefined();
    expect(second!.lostClaims).toEqual([first!.claimId]);
    s.answers.claimError = undefined;
    await s.clock.advance(100);
    await settle();
    expect(s.calls.claim).toHaveLength(3);
    expect(s.calls.claim[2]!.lostClaims).toEqual([first!.claimId, second!.claimId]);
    // That claim got through: the store released what they took; they are not named again.
    s.answers.waiting.push(claimedJob());
    s.fetcher.kick();
    await settle();
    expect(s.calls.claim).toHaveLength(4);
    expect(s.calls.claim[3]!.lostClaims).toBeUndefined();
  });

  it('names with them when the earliest was sent, and not a claim that surely never reached the store', async () => {
    const s = setup({ pollIntervalMs: 100 });
    s.answers.claimError = new Error('connection lost before the reply');
    s.fetcher.kick();
    await settle();
    s.answers.claimError = new StoreUnavailableError('Redis did not answer; the call was not sent', {
      details: { outcome: 'not_sent' },
    });
    await s.clock.advance(100);
    await settle();
    s.answers.claimError = undefined;
    await s.clock.advance(100);
    await settle();
    expect(s.calls.claim).toHaveLength(3);
    const [first, , third] = s.calls.claim;
    expect(third).toMatchObject({ lostClaims: [first!.claimId], lostClaimsSince: first!.now });
  });

  it('on shutdown, names the claims still unnamed in a claim of nothing, so their jobs wait for others', async () => {
    const s = setup({ pollIntervalMs: 10_000 });
    s.answers.claimError = new Error('connection lost before the reply');
    s.fetcher.kick();
    await settle();
    s.answers.claimError = undefined;
    await s.fetcher.releaseLostClaims();
    expect(s.calls.claim).toHaveLength(2);
    expect(s.calls.claim[1]).toMatchObject({ limit: 0, lostClaims: [s.calls.claim[0]!.claimId] });
    // Named once: nothing is left to name.
    await s.fetcher.releaseLostClaims();
    expect(s.calls.claim).toHaveLength(2);
  });

  it('polls an empty queue with a backoff doubling from 1 ms up to pollIntervalMs', async () => {
    const s = setup({ pollIntervalMs: 40 });
    s.fetcher.kick();
    await settle();
    for (let i = 0; i < 200; i++) {
      s.clock.advance(1);
      await settle(2);
    }
    expect(s.claimTimes()).toEqual([0, 1, 3, 7, 15, 31, 63, 103, 143, 183]);
  });

  it('wake() claims at once and resets the backoff', async () => {
    const s = setup({ pollIntervalMs: 40 });
    s.fetcher.kick();
    await settle();
    s.clock.advance(100);
    await settle();
    const before = s.calls.claim.length;
    s.answers.waiting.push(claimedJob());
    s.fetcher.wake();
    await settle();
    expect(s.calls.claim.length).toBe(before + 1);
    expect(s.ctx.buffer.size).toBe(1);
  });

  it('with notify, sleeps until the next scheduled job (at most pollIntervalMs) and wakes on notify', async () => {
    const store = fakeStore({ notify: true });
    const s = setup({ pollIntervalMs: 1000 }, store);
    s.fetcher.start();
    s.answers.nextScheduledAt = s.clock.now() + 300;
    s.fetcher.kick();
    await settle();
    s.clock.advance(299);
    await settle();
    expect(s.calls.claim).toHaveLength(1);
    s.clock.advance(1);
    await settle();
    expect(s.calls.claim).toHaveLength(2);
    store.notify();
    await settle();
    expect(s.calls.claim).toHaveLength(3);
    s.fetcher.stop();
    store.notify();
    s.clock.advance(5000);
    await settle();
    expect(s.calls.claim).toHaveLength(3);
  });

  it('a suspect is claimed alone and nothing else is claimed while it is held', async () => {
    const s = setup();
    const suspect = claimedJob({ suspect: true });
    s.answers.waiting.push(suspect);
    s.fetcher.kick();
    await settle();
    expect(s.ctx.quarantine.job?.id).toBe(suspect.id);
    expect(s.ctx.buffer.peek()?.quarantined).toBe(true);
    s.answers.waiting.push(claimedJob());
    s.fetcher.wake();
    s.clock.advance(500);
    await settle();
    expect(s.calls.claim).toHaveLength(1);
  });

  it('a worker that wants quarantine claims nothing until it holds nothing, then asks for a suspect', async () => {
    const s = setup();
    s.ctx.quarantine.gate.want(s.ctx.quarantine.member);
    s.load.running = 1;
    s.fetcher.kick();
    await settle();
    expect(s.calls.claim).toHaveLength(0);
    s.load.running = 0;
    s.fetcher.kick();
    await settle();
    expect(s.calls.claim[0]!.quarantine).toBe(true);
    expect(s.ctx.quarantine.gate.wants(s.ctx.quarantine.member)).toBe(false);
  });

  it('releaseBuffered hands the waiting jobs back to the store and forgets them', async () => {
    const s = setup();
    s.answers.waiting.push(claimedJob(), claimedJob());
    s.fetcher.kick();
    await settle();
    const ids = [...s.ctx.held.keys()];
    await s.fetcher.releaseBuffered();
    expect(s.calls.release[0]!.leases.map((l) => l.id)).toEqual(ids);
    expect(s.ctx.buffer.size).toBe(0);
    expect(s.ctx.held.size).toBe(0);
  });

  it('numbers claimed jobs in claim order and sends a start horizon with the claim', async () => {
    const s = setup();
    s.answers.waiting.push(claimedJob(), claimedJob());
    s.fetcher.kick();
    await settle();
    const { starts } = s.calls.claim[0]!;
    const [a, b] = [s.ctx.buffer.shift(), s.ctx.buffer.shift()];
    expect(a.seq).toBe(starts!.firstSeq);
    expect(b.seq).toBe(starts!.firstSeq + 1);
    expect(starts!.horizon).toBe(starts!.firstSeq + 2);
    expect(s.starts.mayStart(b.seq)).toBe(true);
  });
});
