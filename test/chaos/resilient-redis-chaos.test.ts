/**
 * Chaos tests of ResilientRedis on a real Redis, through a TcpProxy that partitions, resets,
 * delays and flaps the connection. After each scenario: no accepted write lost or reordered, no
 * non-idempotent write applied twice, no promise left pending, breaker closed, buffer empty.
 */

import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createResilientRedisClient } from '../../src/resilient-redis/client.js';
import { isBufferedReply } from '../../src/resilient-redis/events.js';
import type { ResilientRedisOptions } from '../../src/resilient-redis/options.js';
import { ResilientRedis } from '../../src/resilient-redis/resilient-redis.js';
import { deleteKeysWithPrefix, redisService, uniqueKeyPrefix } from '../support/services.js';
import { PromiseTracker, pause, waitFor } from '../support/wait.js';
import { PrivateRedis, redisServerAvailable } from './redis-server.js';
import { TcpProxy } from './tcp-proxy.js';

const redis = await redisService();

type Outcome = 'ok' | 'buffered' | 'ambiguous' | `rejected:${string}`;

interface Step {
  i: number;
  xadd: Outcome;
  set: Outcome;
  rpush: Outcome;
  /** Buffer entry id of the RPUSH when buffered. */
  rpushId?: number;
}

function outcomeOf(settled: PromiseSettledResult<unknown>): Outcome {
  if (settled.status === 'fulfilled') return isBufferedReply(settled.value) ? 'buffered' : 'ok';
  const code = (settled.reason as { code?: string }).code ?? 'unknown';
  return code === 'AMBIGUOUS_OUTCOME' ? 'ambiguous' : `rejected:${code}`;
}

describe.skipIf(!redis.available)('ResilientRedis under network chaos', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(
    options: ResilientRedisOptions = {},
    clientOptions: RedisOptions = {},
    upstream: { host: string; port: number } = { host: redis.host, port: redis.port },
  ) {
    const proxy = await TcpProxy.start(upstream);
    const client = createResilientRedisClient(proxy.url, {
      retryStrategy: () => 20,
      connectTimeout: 1000,
      ...clientOptions,
    });
    client.on('error', () => {});
    const rr = new ResilientRedis(client, {
      commandTimeoutMs: 200,
      probeTimeoutMs: 200,
      breaker: { failureThreshold: 2, recoveryTimeoutMs: 100 },
      flush: { ratePerSecond: 5000, burst: 200 },
      ...options,
    });
    const direct = new Redis({ host: upstream.host, port: upstream.port, db: clientOptions.db ?? 0 });
    const prefix = uniqueKeyPrefix('rr-chaos');
    const ambiguousIds = new Set<number>();
    const resentIds = new Set<number>();
    const replayErrorIds: number[] = [];
    rr.on('ambiguous', (e) => {
      if (e.id !== undefined) (e.willResend ? resentIds : ambiguousIds).add(e.id);
    });
    rr.on('buffer.flush_error', (e) => replayErrorIds.push(e.id));
    const tracker = new PromiseTracker();
    cleanup.push(async () => {
      await rr.close();
      client.disconnect();
      await proxy.close();
      await deleteKeysWithPrefix(direct, prefix).catch(() => {});
      direct.disconnect();
    });
    await waitFor('client ready', () => client.status === 'ready');
    return { proxy, client, rr, direct, prefix, tracker, ambiguousIds, resentIds, replayErrorIds };
  }

  type Ctx = Awaited<ReturnType<typeof setup>>;

  /** Step i: XADD log i-1 (idempotent, explicit id), SET last i, RPUSH list i (non-idempotent). */
  async function writeStep(ctx: Ctx, i: number): Promise<Step> {
    const { rr, prefix, tracker } = ctx;
    const [xadd, set, rpush] = await Promise.allSettled([
      tracker.track(`xadd ${i}`, rr.call('XADD', `${prefix}log`, `${i}-1`, 'i', String(i))),
      tracker.track(`set ${i}`, rr.set(`${prefix}last`, String(i))),
      tracker.track(`rpush ${i}`, rr.rpush(`${prefix}list`, String(i))),
    ]);
    const step: Step = { i, xadd: outcomeOf(xadd), set: outcomeOf(set), rpush: outcomeOf(rpush) };
    if (rpush.status === 'fulfilled' && isBufferedReply(rpush.value)) step.rpushId = rpush.value.id;
    return step;
  }

  /** Writes steps from..to-1 sequentially, calling `chaos(i)` before each. */
  async function writeSteps(
    ctx: Ctx,
    from: number,
    to: number,
    chaos: (i: number) => void | Promise<void> = () => {},
  ) {
    const steps: Step[] = [];
    for (let i = from; i < to; i++) {
      await chaos(i);
      steps.push(await writeStep(ctx, i));
      await pause(1);
    }
    return steps;
  }

  /** Recovers, then checks every invariant against what Redis holds. */
  async function assertInvariants(ctx: Ctx, steps: Step[]) {
    const { proxy, rr, direct, prefix, tracker, ambiguousIds, resentIds, replayErrorIds } = ctx;
    proxy.setMode('pass');
    await waitFor('recovery (breaker closed, buffer empty)', () => rr.settle(50), { timeoutMs: 5000 });
    await tracker.settledWithin(1000);
    expect(rr.stats().state).toBe('closed');
    expect(rr.stats().buffer.entries).toBe(0);

    const accepted = (o: Outcome) => o === 'ok' || o === 'buffered';
    // The log: every accepted XADD is there, in order; no refused one is. A replay out of order
    // would have been refused by Redis (ids must grow): the only replay errors allowed are the
    // resends of idempotent writes whose first send was ambiguous and had in fact landed.
    const log = (await direct.xrange(`${prefix}log`, '-', '+')).map(([, f]) => Number(f[1]));
    expect(log).toEqual([...log].sort((a, b) => a - b));
    const inLog = new Set(log);
    for (const s of steps) {
      if (accepted(s.xadd)) expect(inLog.has(s.i), `XADD ${s.i} (${s.xadd}) lost`).toBe(true);
      if (s.xadd.startsWith('rejected'))
        expect(inLog.has(s.i), `XADD ${s.i} (${s.xadd}) applied`).toBe(false);
    }
    for (const id of replayErrorIds) expect(resentIds.has(id), `replay error on entry ${id}`).toBe(true);

    // The last SET wins: the run ends with writes made after recovery.
    const lastAccepted = steps.filter((s) => accepted(s.set)).at(-1);
    expect(await direct.get(`${prefix}last`)).toBe(String(lastAccepted?.i));

    // The list: no value twice (no non-idempotent write applied twice), FIFO order, and every
    // write that was acknowledged or buffered (and not reported ambiguous on replay) is there.
    const list = (await direct.lrange(`${prefix}list`, 0, -1)).map(Number);
    expect(new Set(list).size).toBe(list.length);
    expect(list).toEqual([...list].sort((a, b) => a - b));
    const inList = new Set(list);
    for (const s of steps) {
      const droppedAmbiguous = s.rpushId !== undefined && ambiguousIds.has(s.rpushId);
      if (s.rpush === 'ok' || (s.rpush === 'buffered' && !droppedAmbiguous)) {
        expect(inList.has(s.i), `RPUSH ${s.i} (${s.rpush}) lost`).toBe(true);
      }
      if (s.rpush.startsWith('rejected'))
        expect(inList.has(s.i), `RPUSH ${s.i} (${s.rpush}) applied`).toBe(false);
    }
    return { log, list };
  }

  it('partition by connection resets during writes: buffered writes replay in order, nothing lost', async () => {
    const ctx = await setup();
    const steps = await writeSteps(ctx, 1, 120, (i) => {
      if (i === 40) ctx.proxy.setMode('reset');
    });
    const during = steps.filter((s) => s.i >= 45);
    expect(during.some((s) => s.xadd === 'buffered')).toBe(true);
    expect(during.some((s) => s.rpush === 'rejected:NON_IDEMPOTENT_REJECTED')).toBe(true);
    ctx.proxy.setMode('pass');
    await waitFor('closed', () => ctx.rr.settle(50));
    steps.push(...(await writeSteps(ctx, 120, 130)));
    expect(steps.slice(-5).every((s) => s.set === 'ok' && s.rpush === 'ok')).toBe(true);
    await assertInvariants(ctx, steps);
  });

  it('black-holed partition (no FIN, no RST) during writes: ambiguous writes reported, never resent', async () => {
    const ctx = await setup({ bufferNonIdempotent: true });
    const steps = await writeSteps(ctx, 1, 60, (i) => {
      if (i === 20) ctx.proxy.setMode('blackhole');
    });
    expect(steps.some((s) => s.rpush === 'ambiguous' || s.set === 'ambiguous')).toBe(true);
    expect(steps.some((s) => s.rpush === 'buffered')).toBe(true);
    ctx.proxy.setMode('pass');
    await waitFor('closed', () => ctx.rr.settle(50));
    steps.push(...(await writeSteps(ctx, 60, 70)));
    await assertInvariants(ctx, steps);
    expect(ctx.rr.stats().counters.ambiguous).toBeGreaterThan(0);
  });

  it('partition during replay: replay stops, the failed write stays at the front, and it resumes in order', async () => {
    const ctx = await setup({ bufferNonIdempotent: true, flush: { ratePerSecond: 300, burst: 1 } });
    ctx.proxy.setMode('reset');
    await waitFor('open', async () => {
      await ctx.rr.get(`${ctx.prefix}probe`);
      return ctx.rr.stats().state === 'open';
    });
    const steps = await writeSteps(ctx, 1, 121);
    expect(steps.every((s) => s.xadd === 'buffered' && s.rpush === 'buffered')).toBe(true);
    ctx.proxy.setMode('pass');
    await waitFor('replay under way', () => ctx.rr.stats().counters.replayed >= 60);
    ctx.proxy.setMode('reset');
    await waitFor('replay stopped, circuit reopened', () => ctx.rr.stats().counters.replayFailures >= 1);
    const left = ctx.rr.stats().buffer.entries;
    expect(left).toBeGreaterThan(0);
    await pause(30);
    expect(ctx.rr.stats().state).not.toBe('closed');
    steps.push(...(await writeSteps(ctx, 121, 131)));
    ctx.proxy.setMode('pass');
    await waitFor('closed', () => ctx.rr.settle(50), { timeoutMs: 5000 });
    steps.push(...(await writeSteps(ctx, 131, 136)));
    await assertInvariants(ctx, steps);
  });

  it('a stuck connection is reset: its unsent writes never land late, after the replay (no SET overwritten, no INCR twice)', async () => {
    const ctx = await setup({ bufferNonIdempotent: true });
    const { rr, proxy, prefix, direct, tracker, ambiguousIds } = ctx;
    const steps: { i: number; set: Outcome; incr: Outcome; incrId?: number }[] = [];
    const step = async (i: number) => {
      const [set, incr] = await Promise.allSettled([
        tracker.track(`set ${i}`, rr.set(`${prefix}last`, String(i))),
        tracker.track(`incr ${i}`, rr.incr(`${prefix}count`)),
      ]);
      const s: (typeof steps)[number] = { i, set: outcomeOf(set), incr: outcomeOf(incr) };
      if (incr.status === 'fulfilled' && isBufferedReply(incr.value)) s.incrId = incr.value.id;
      steps.push(s);
    };
    for (let i = 1; i <= 10; i++) await step(i);
    // A partition whose kernels keep retransmitting: the writes in flight on the connection are
    // held; the timed-out probe drops that connection, and a graceful close would let them
    // through later.
    proxy.setMode('retransmit');
    for (let i = 11; i <= 30; i++) {
      await step(i);
      await pause(1);
    }
    expect(steps.some((s) => s.set === 'ambiguous')).toBe(true);
    await waitFor('the stuck connection dropped', () => proxy.stats().late + proxy.stats().discarded > 0);
    for (let i = 31; i <= 40; i++) await step(i);
    proxy.setMode('pass');
    await waitFor('recovered and replayed', () => rr.settle(50), { timeoutMs: 5000 });
    for (let i = 41; i <= 50; i++) await step(i);
    // The network delivers what its kernels still retransmit — after the replay and the new writes.
    const late = await proxy.deliverLate();
    await tracker.settledWithin(1000);

    // The last accepted SET (made after the replay) wins; a later ambiguous one may have landed.
    const accepted = (o: Outcome) => o === 'ok' || o === 'buffered';
    const lastAccepted = steps.findLastIndex((s) => accepted(s.set));
    expect(steps[lastAccepted]?.i).toBeGreaterThan(40);
    const allowed = steps.slice(lastAccepted).filter((s, k) => k === 0 || s.set === 'ambiguous');
    expect(allowed.map((s) => String(s.i))).toContain(await direct.get(`${prefix}last`));
    const surely = steps.filter(
      (s) => s.incr === 'ok' || (s.incr === 'buffered' && !ambiguousIds.has(s.incrId ?? -1)),
    ).length;
    const maybe = steps.filter(
      (s) => s.incr === 'ambiguous' || (s.incrId !== undefined && ambiguousIds.has(s.incrId)),
    ).length;
    const count = Number(await direct.get(`${prefix}count`));
    expect(count).toBeGreaterThanOrEqual(surely);
    expect(count).toBeLessThanOrEqual(surely + maybe);
    // The reset discarded the held writes: nothing was left for a late delivery.
    expect(proxy.stats().discarded).toBeGreaterThan(0);
    expect(late).toBe(0);
  });

  it('flapping network: writes keep flowing, and the end state is exact', async () => {
    const ctx = await setup({ bufferNonIdempotent: true });
    let flips = 0;
    const timer = setInterval(() => {
      flips++;
      ctx.proxy.setMode(flips % 2 === 1 ? 'reset' : 'pass');
    }, 35);
    let steps: Step[];
    try {
      steps = await writeSteps(ctx, 1, 200);
    } finally {
      clearInterval(timer);
    }
    expect(flips).toBeGreaterThanOrEqual(4);
    ctx.proxy.setMode('pass');
    await waitFor('closed', () => ctx.rr.settle(50), { timeoutMs: 5000 });
    steps.push(...(await writeSteps(ctx, 200, 206)));
    await assertInvariants(ctx, steps);
    expect(ctx.rr.stats().counters.stateChanges).toBeGreaterThanOrEqual(3);
  });

  it('a network slower than the timeouts: every promise settles in time, then writes resume', async () => {
    const ctx = await setup();
    ctx.proxy.setMode({ delayMs: 400 });
    const t0 = Date.now();
    const steps = await writeSteps(ctx, 1, 15);
    expect(Date.now() - t0).toBeLessThan(15 * 250 + 500);
    expect(steps.some((s) => s.set === 'ambiguous')).toBe(true);
    expect(await ctx.rr.get(`${ctx.prefix}last`)).toBeNull(); // the fallback while open
    ctx.proxy.setMode('pass');
    await waitFor('closed', () => ctx.rr.settle(50), { timeoutMs: 5000 });
    steps.push(...(await writeSteps(ctx, 15, 20)));
    await assertInvariants(ctx, steps);
  });

  it('the selected database survives reconnects and outages (options.db, then select() while open)', async () => {
    const ctx = await setup({}, { db: 7 });
    const db9 = new Redis({ host: redis.host, port: redis.port, db: 9 });
    cleanup.push(async () => {
      await deleteKeysWithPrefix(db9, ctx.prefix);
      db9.disconnect();
    });
    const { rr, proxy, prefix, direct } = ctx;
    expect(await rr.set(`${prefix}a`, 'before')).toBe('OK');
    proxy.setMode('reset');
    await waitFor('open', async () => {
      await rr.set(`${prefix}b`, 'during');
      return rr.stats().state === 'open';
    });
    expect(isBufferedReply(await rr.select(9))).toBe(true);
    expect(isBufferedReply(await rr.set(`${prefix}c`, 'in9'))).toBe(true);
    proxy.setMode('pass');
    await waitFor('closed', () => rr.settle(50), { timeoutMs: 5000 });
    expect(await direct.mget(`${prefix}a`, `${prefix}b`, `${prefix}c`)).toEqual(['before', 'during', null]);
    expect(await db9.get(`${prefix}c`)).toBe('in9');
    proxy.resetConnections(); // ioredis reconnects and must re-select 9
    await waitFor('reconnected', async () => (await rr.set(`${prefix}d`, 'after')) === 'OK', {
      timeoutMs: 5000,
    });
    expect(await db9.get(`${prefix}d`)).toBe('after');
    expect(await direct.get(`${prefix}d`)).toBeNull();
  });

  it.skipIf(!redisServerAvailable())(
    'Redis restarted with its data gone: buffered writes replay into the new server',
    async () => {
      const server = await PrivateRedis.start();
      cleanup.push(() => server.stop());
      const ctx = await setup({}, { db: 2 }, { host: '127.0.0.1', port: server.port });
      const { rr, direct, prefix, tracker } = ctx;
      expect(await rr.set(`${prefix}old`, 'x')).toBe('OK');
      await server.kill();
      const buffered = [];
      for (let i = 0; i < 30; i++) {
        buffered.push(
          await tracker.track(`set ${i}`, rr.set(`${prefix}k${i}`, String(i))).catch((e: unknown) => e),
        );
        await pause(2);
      }
      expect(buffered.filter(isBufferedReply).length).toBeGreaterThanOrEqual(25);
      expect(rr.stats().state).not.toBe('closed');
      await server.restart();
      await waitFor('closed and drained', () => rr.settle(50), { timeoutMs: 5000 });
      await tracker.settledWithin(500);
      // The restart lost what was written before it (no persistence); every buffered write is there, in db 2.
      expect(await direct.get(`${prefix}old`)).toBeNull();
      const values = await direct.mget(...buffered.map((_, i) => `${prefix}k${i}`));
      buffered.forEach((reply, i) => {
        if (isBufferedReply(reply) || reply === 'OK') expect(values[i]).toBe(String(i));
      });
      expect(rr.stats().state).toBe('closed');
    },
  );
});
