import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobTimeoutError, PermanentError, ValidationError } from '../../src/core/errors.js';
import { ClaimLostError } from '../../src/streams/errors.js';
import { StreamProcessor } from '../../src/streams/stream-processor.js';
import type { StreamMessage } from '../../src/streams/types.js';
import { redisService } from '../support/services.js';
import { pause, waitFor } from '../support/wait.js';
import { FAST, StreamFixture } from './helpers.js';

const redis = await redisService();

describe.skipIf(!redis.available)('StreamProcessor on Redis', () => {
  let fx: StreamFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });
  const fixture = () => {
    fx = new StreamFixture();
    return fx;
  };

  it('creates the stream and group (MKSTREAM), tolerates an existing group, and consumes and acks everything', async () => {
    const f = fixture();
    expect(await f.redis.exists(f.stream)).toBe(0);
    const seen: StreamMessage[] = [];
    const a = f.processor(async (m) => {
      seen.push(m);
    });
    const b = f.processor(async (m) => {
      seen.push(m);
    });
    await a.start();
    await b.start(); // BUSYGROUP is fine
    expect(await f.redis.exists(f.stream)).toBe(1);
    const xack = vi.spyOn(Redis.prototype, 'xack');
    await f.add(0, 250, { kind: 'order' });
    await waitFor('all acked', () => a.stats().acked + b.stats().acked === 250);
    // Acks are batched: far fewer XACKs than messages.
    expect(xack.mock.calls.length).toBeLessThan(50);
    expect(xack.mock.calls.reduce((n, call) => n + call.length - 2, 0)).toBe(250);
    xack.mockRestore();
    expect(await f.pending()).toBe(0);
    expect(new Set(seen.map((m) => m.fields.n)).size).toBe(250);
    const m = seen[0] as StreamMessage;
    expect(m.stream).toBe(f.stream);
    expect(m.attempt).toBe(1);
    expect(m.fields.kind).toBe('order');
    expect(m.pairs).toEqual([
      ['n', m.fields.n],
      ['kind', 'order'],
    ]);
    expect(a.stats().read + b.stats().read).toBe(250);
  });

  it('a handler past its timeout is aborted (JobTimeoutError) and retried with the next attempt', async () => {
    const f = fixture();
    const attempts: number[] = [];
    let reason: unknown;
    const p = f.processor(async (m, ctx) => {
      attempts.push(m.attempt);
      if (m.attempt === 1) {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        reason = ctx.signal.reason;
        return; // resolving after the timeout does not count as a success
      }
    });
    await p.start();
    await f.add(0, 1);
    await waitFor('retried and acked', () => p.stats().acked === 1);
    expect(reason).toBeInstanceOf(JobTimeoutError);
    expect(attempts).toEqual([1, 2]);
    expect(p.stats()).toMatchObject({ timeouts: 1, failed: 1, retried: 1, reclaimed: 1, processed: 1 });
    expect(await f.pending()).toBe(0);
  });

  it('after maxRetries retries a message goes to {stream}:dlq with its failure, acked in the main stream', async () => {
    const f = fixture();
    const attempts: number[] = [];
    const p = f.processor(
      async (m) => {
        attempts.push(m.attempt);
        throw Object.assign(new Error(`boom ${m.attempt}`), { code: 'E_BOOM' });
      },
      { maxRetries: 2 },
    );
    const dead: unknown[] = [];
    p.on('dead_lettered', (e) => dead.push(e));
    await p.start();
    const [id] = await f.add(0, 1, { payload: 'x' });
    const before = Date.now();
    await waitFor('dead-lettered', () => dead.length === 1, { timeoutMs: 5000 });
    expect(attempts).toEqual([1, 2, 3]);
    expect(await f.pending()).toBe(0);
    const [entry] = await p.listDlq();
    expect(entry).toMatchObject({
      originalStream: f.stream,
      originalId: id,
      failureReason: 'Error [E_BOOM]: boom 3',
      attempts: 3,
      group: f.group,
      consumer: p.consumer,
      fields: { n: '0', payload: 'x' },
    });
    expect(entry?.deadLetteredAt).toBeGreaterThanOrEqual(before - 1000);
    const raw = (await f.redis.xrange(f.dlq, '-', '+'))[0]?.[1] ?? [];
    expect(raw.filter((_, i) => i % 2 === 0)).toEqual([
      'n',
      'payload',
      '@dlq:original_stream',
      '@dlq:original_id',
      '@dlq:failure_reason',
      '@dlq:attempts',
      '@dlq:timestamp',
      '@dlq:group',
      '@dlq:consumer',
    ]);
    expect(p.stats()).toMatchObject({ deadLettered: 1, failed: 3, retried: 2 });
  });

  it('a PermanentError goes to the DLQ at once', async () => {
    const f = fixture();
    let calls = 0;
    const p = f.processor(async () => {
      calls++;
      throw new PermanentError('bad payload');
    });
    await p.start();
    await f.add(0, 1);
    await waitFor('dead-lettered', () => p.stats().deadLettered === 1);
    expect(calls).toBe(1);
    expect((await p.listDlq())[0]).toMatchObject({
      attempts: 1,
      failureReason: 'PermanentError [PERMANENT_FAILURE]: bad payload',
    });
  });

  it('retryDelayMs makes a failed message reclaimable sooner than claimMinIdleMs', async () => {
    const f = fixture();
    const times: number[] = [];
    const p = f.processor(
      async (m) => {
        times.push(Date.now());
        if (m.attempt === 1) throw new Error('transient');
      },
      {
        claimMinIdleMs: 2000,
        handlerTimeoutMs: 200,
        renewIntervalMs: 200,
        retryDelayMs: 100,
        claimIntervalMs: 25,
      },
    );
    await p.start();
    await f.add(0, 1);
    await waitFor('retried', () => p.stats().acked === 1, { timeoutMs: 3000 });
    expect((times[1] as number) - (times[0] as number)).toBeLessThan(1000);
  });

  it('reclaims messages left pending by a crashed consumer (XAUTOCLAIM), with their delivery count as attempt', async () => {
    const f = fixture();
    await f.createGroup();
    await f.add(0, 5);
    expect(await f.readAs('crashed')).toHaveLength(5);
    const attempts: number[] = [];
    const p = f.processor(async (m) => {
      attempts.push(m.attempt);
    });
    const reclaimed: string[] = [];
    p.on('reclaimed', (e) => reclaimed.push(...e.ids));
    await p.start();
    await waitFor('reclaimed and acked', () => p.stats().acked === 5);
    expect(attempts).toEqual([2, 2, 2, 2, 2]);
    expect(reclaimed).toHaveLength(5);
    expect(await f.pending()).toBe(0);
  });

  it('a message delivered more than maxRetries + 1 times without an ack is dead-lettered without running', async () => {
    const f = fixture();
    await f.createGroup();
    const [id] = await f.add(0, 1);
    await f.readAs('crashed1');
    for (const c of ['crashed2', 'crashed3']) await f.redis.xclaim(f.stream, f.group, c, 0, id as string);
    let ran = 0;
    const p = f.processor(
      async () => {
        ran++;
      },
      { maxRetries: 2 },
    );
    await p.start();
    await waitFor('dead-lettered', () => p.stats().deadLettered === 1);
    expect(ran).toBe(0);
    const [entry] = await p.listDlq();
    expect(entry?.attempts).toBe(3);
    expect(entry?.failureReason).toMatch(/exceeded 3 deliveries without an ack/);
    expect(await f.pending()).toBe(0);
  });

  it('pending messages trimmed from the stream are acked and counted, not retried forever', async () => {
    const f = fixture();
    await f.createGroup();
    const ids = await f.add(0, 3);
    await f.readAs('crashed');
    await f.redis.xdel(f.stream, ids[0] as string, ids[1] as string);
    const p = f.processor(async () => {});
    const trimmed: string[] = [];
    p.on('trimmed_while_pending', (e) => trimmed.push(...e.ids));
    await p.start();
    await waitFor('handled', () => p.stats().acked === 1 && p.stats().trimmedWhilePending === 2);
    expect(trimmed.sort()).toEqual([ids[0], ids[1]].sort());
    expect(await f.pending()).toBe(0);
  });

  it('claims of slow handlers and of messages waiting for a slot are renewed: nothing is reclaimed twice', async () => {
    const f = fixture();
    const calls = new Map<string, number>();
    const slow = async (m: StreamMessage) => {
      calls.set(m.id, (calls.get(m.id) ?? 0) + 1);
      await pause(45);
      await pause(45);
      await pause(45);
      await pause(45);
    };
    // Each message is held far longer than claimMinIdleMs (it waits for the single slot), while a
    // second consumer looks for idle messages every 25 ms.
    const opts = {
      concurrency: 1,
      claimMinIdleMs: 250,
      handlerTimeoutMs: 220,
      renewIntervalMs: 60,
      claimIntervalMs: 25,
    };
    const a = f.processor(slow, opts);
    await a.start();
    await f.add(0, 5);
    await waitFor('a holds them all', () => a.stats().held === 5);
    const b = f.processor(slow, opts);
    await b.start();
    await waitFor('all acked', () => a.stats().acked + b.stats().acked === 5, { timeoutMs: 5000 });
    expect([...calls.values()]).toEqual([1, 1, 1, 1, 1]);
    expect(b.stats().reclaimed).toBe(0);
    expect(a.stats().claimsRenewed).toBeGreaterThan(5);
  });

  it('a consumer whose claim was taken aborts its handler (ClaimLostError) and does not ack', async () => {
    const f = fixture();
    let reason: unknown;
    const p = f.processor(
      async (_m, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        reason = ctx.signal.reason;
      },
      { handlerTimeoutMs: 2000, claimMinIdleMs: 3000, renewIntervalMs: 50 },
    );
    await p.start();
    const [id] = await f.add(0, 1);
    await waitFor('running', () => p.stats().active === 1);
    await f.redis.xclaim(f.stream, f.group, 'thief', 0, id as string);
    await waitFor('claim lost', () => p.stats().claimsLost === 1);
    expect(reason).toBeInstanceOf(ClaimLostError);
    await pause(30);
    expect(p.stats().acked).toBe(0);
    const rows = (await f.redis.xpending(f.stream, f.group, '-', '+', 10)) as [string, string][];
    expect(rows.map((r) => r[1])).toEqual(['thief']);
  });

  it('removes idle consumers that have nothing pending, and only those', async () => {
    const f = fixture();
    await f.createGroup();
    await f.add(0, 1);
    await f.redis.xgroup('CREATECONSUMER', f.stream, f.group, 'ghost');
    await f.readAs('busy-ghost');
    const p = f.processor(async () => {}, {
      blockMs: 50,
      handlerTimeoutMs: 100,
      claimMinIdleMs: 150,
      claimIntervalMs: 60_000, // busy-ghost keeps its pending message
      consumerIdleMs: 200,
      consumerCleanupIntervalMs: 40,
    });
    const removed: string[] = [];
    p.on('consumers_removed', (e) => removed.push(...e.names));
    await p.start();
    await waitFor('ghost removed', () => removed.includes('ghost'));
    const names = ((await f.redis.xinfo('CONSUMERS', f.stream, f.group)) as string[][]).map((c) => c[1]);
    expect(names).toContain('busy-ghost');
    expect(names).not.toContain('ghost');
    expect(removed).not.toContain(p.consumer);
    expect(p.stats().consumersRemoved).toBe(1);
  });

  it('replayFromDlq puts entries back without the DLQ metadata and with the @dlq:replayed_from marker', async () => {
    const f = fixture();
    let fail = true;
    const handled: StreamMessage[] = [];
    const p = f.processor(async (m) => {
      if (fail) throw new PermanentError(`no ${m.fields.n}`);
      handled.push(m);
    });
    await p.start();
    await f.add(0, 4, { kind: 'k' });
    await waitFor('all dead-lettered', () => p.stats().deadLettered === 4);
    const dlq = await p.listDlq();
    fail = false;
    const one = await p.replayFromDlq(dlq[0]?.id as string);
    expect(one.replayed).toHaveLength(1);
    expect(one.notFound).toEqual([]);
    const byReason = await p.replayFromDlq({ reason: /no [12]$/ });
    expect(byReason.replayed.map((r) => r.originalId)).toEqual([dlq[1]?.originalId, dlq[2]?.originalId]);
    expect(await p.replayFromDlq(['0-1', dlq[0]?.id as string])).toEqual({
      replayed: [],
      notFound: ['0-1', dlq[0]?.id],
      refused: [],
    });
    await waitFor('replayed handled', () => handled.length === 3);
    const replayed = handled.find((m) => m.fields.n === '0') as StreamMessage;
    expect(replayed.fields).toEqual({ n: '0', kind: 'k', '@dlq:replayed_from': dlq[0]?.id });
    expect(await f.redis.xlen(f.dlq)).toBe(1);
    expect(p.stats().replayedFromDlq).toBe(3);
    const byWhere = await p.replayFromDlq({ where: (e) => e.fields.n === '3', limit: 1 });
    expect(byWhere.replayed).toHaveLength(1);
    await waitFor('last handled', () => handled.length === 4);
  });

  it('trims the stream and the DLQ with approximate MAXLEN and counts what it removed', async () => {
    const f = fixture();
    const p = f.processor(async () => {}, { maxLen: 100, dlqMaxLen: 10, trimIntervalMs: 60_000 });
    await p.start();
    await f.add(0, 2000);
    await waitFor('consumed', () => p.stats().acked === 2000, { timeoutMs: 5000 });
    const dlqPipe = f.redis.pipeline();
    for (let i = 0; i < 500; i++) dlqPipe.xadd(f.dlq, '*', 'x', String(i));
    await dlqPipe.exec();
    const trimmed: { stream: string; count: number }[] = [];
    p.on('trimmed', (e) => trimmed.push(e));
    const { main, dlq } = await p.trim();
    expect(main).toBeGreaterThan(1500);
    expect(dlq).toBeGreaterThan(300);
    expect(await f.redis.xlen(f.stream)).toBe(2000 - main);
    expect(await f.redis.xlen(f.stream)).toBeLessThan(300);
    expect(p.stats()).toMatchObject({ trimmedMain: main, trimmedDlq: dlq });
    expect(trimmed.map((t) => t.stream)).toEqual([f.stream, f.dlq]);
  });

  it('health() reports length, pending, consumers, DLQ length, last delivered id and oldest pending age', async () => {
    const f = fixture();
    const p = f.processor(
      async (_m, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      },
      { handlerTimeoutMs: 5000, claimMinIdleMs: 10_000, stopTimeoutMs: 100 },
    );
    expect(await p.health()).toMatchObject({
      streamLength: 0,
      pending: 0,
      consumers: 0,
      lastDeliveredId: null,
    });
    await p.start();
    const ids = await f.add(0, 3);
    await f.redis.xadd(f.dlq, '*', 'x', '1');
    await waitFor('running', () => p.stats().held === 3);
    await pause(40);
    const h = await p.health();
    expect(h).toMatchObject({
      stream: f.stream,
      group: f.group,
      dlqStream: f.dlq,
      streamLength: 3,
      pending: 3,
      consumers: 1,
      dlqLength: 1,
      lastDeliveredId: ids[2],
      lastGeneratedId: ids[2],
      lag: 0,
      oldestPendingId: ids[0],
      connected: true,
    });
    expect(h.oldestPendingAgeMs).toBeGreaterThanOrEqual(30);
    expect(h.oldestPendingIdleMs).toBeGreaterThanOrEqual(0);
  });

  it('stop() interrupts the blocking read, finishes running handlers, hands queued messages back, leaves the group', async () => {
    const f = fixture();
    const done: string[] = [];
    const p = f.processor(
      async (m) => {
        await pause(40);
        done.push(m.id);
      },
      { blockMs: 5000, concurrency: 1, claimMinIdleMs: 10_000, handlerTimeoutMs: 1000 },
    );
    await p.start();
    await pause(20); // blocked in XREADGROUP
    const t0 = Date.now();
    const idle = f.processor(async () => {}, { blockMs: 5000 });
    await idle.start();
    await pause(20);
    await idle.stop();
    expect(Date.now() - t0).toBeLessThan(1500); // not the 5 s BLOCK
    await f.add(0, 5);
    await waitFor('first running', () => p.stats().active === 1);
    await p.stop();
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(p.stats().acked).toBe(done.length);
    // The rest are pending and idle enough for anyone to reclaim at once.
    const rows = (await f.redis.xpending(f.stream, f.group, 'IDLE', 9000, '-', '+', 10)) as unknown[];
    expect(rows).toHaveLength(5 - done.length);
    const consumers = ((await f.redis.xinfo('CONSUMERS', f.stream, f.group)) as string[][]).map((c) => c[1]);
    expect(consumers).not.toContain(idle.consumer);
    const next = f.processor(async () => {}, { claimMinIdleMs: 10_000, handlerTimeoutMs: 1000 });
    await next.start();
    await waitFor('taken over', () => next.stats().acked === 5 - done.length);
  });

  it('stop() gives up on a handler that ignores its signal after stopTimeoutMs and hands its message back', async () => {
    const f = fixture();
    const p = f.processor(() => new Promise<void>(() => {}), {
      stopTimeoutMs: 150,
      handlerTimeoutMs: 5000,
      claimMinIdleMs: 10_000,
    });
    await p.start();
    await f.add(0, 1);
    await waitFor('running', () => p.stats().active === 1);
    const t0 = Date.now();
    await p.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(p.stats()).toMatchObject({ failed: 0, acked: 0, running: false });
    const rows = (await f.redis.xpending(f.stream, f.group, 'IDLE', 9000, '-', '+', 10)) as unknown[];
    expect(rows).toHaveLength(1);
  });

  it('validates its options, naming the field', () => {
    const base = { stream: 's', group: 'g', handler: async () => {} };
    expect(() => new StreamProcessor({ ...base, handlerTimeoutMs: 1000, claimMinIdleMs: 1000 })).toThrow(
      /claimMinIdleMs: must be longer than handlerTimeoutMs/,
    );
    expect(
      () =>
        new StreamProcessor({ ...base, claimMinIdleMs: 1000, handlerTimeoutMs: 10, renewIntervalMs: 600 }),
    ).toThrow(/renewIntervalMs/);
    expect(() => new StreamProcessor({ ...base, blockMs: 5000, consumerIdleMs: 8000 })).toThrow(
      /consumerIdleMs/,
    );
    expect(() => new StreamProcessor({ ...base, batchSize: 0 })).toThrow(ValidationError);
    expect(() => new StreamProcessor({ ...base, stream: '' })).toThrow(/stream/);
    expect(() => new StreamProcessor({ ...base, dlqStream: 's' })).toThrow(/dlqStream/);
    expect(() => new StreamProcessor({ ...base, retryDelayMs: 10 ** 9 })).toThrow(/retryDelayMs/);
    expect(() => new StreamProcessor({ ...base, handler: undefined as never })).toThrow(/handler/);
    expect(new StreamProcessor({ ...base, ...FAST }).consumer).toMatch(/:\d+:[0-9a-f]{6}$/);
  });
});
