/**
 * Chaos tests of the StreamProcessor: its connections go through a TcpProxy (the producer and the
 * checks talk to Redis directly). Consumption must resume by itself after resets, a black-holed
 * connection, flapping, and a Redis restart that lost every key; nothing is left pending.
 */

import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamProcessorOptions } from '../../src/streams/options.js';
import { StreamProcessor } from '../../src/streams/stream-processor.js';
import { deleteKeysWithPrefix, redisService, uniqueKeyPrefix } from '../support/services.js';
import { pause, waitFor } from '../support/wait.js';
import { PrivateRedis, redisServerAvailable } from './redis-server.js';
import { TcpProxy } from './tcp-proxy.js';

const redis = await redisService();

describe.skipIf(!redis.available)('StreamProcessor under network chaos', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(
    upstream = { host: redis.host, port: redis.port },
    options: Partial<StreamProcessorOptions> = {},
  ) {
    const proxy = await TcpProxy.start(upstream);
    const direct = new Redis({ host: upstream.host, port: upstream.port, maxRetriesPerRequest: 1 });
    direct.on('error', () => {});
    const prefix = uniqueKeyPrefix('streams-chaos');
    const stream = `${prefix}s`;
    const handled = new Map<string, number>();
    const processor = new StreamProcessor({
      connection: proxy.url,
      stream,
      group: 'g',
      blockMs: 100,
      handlerTimeoutMs: 300,
      claimMinIdleMs: 400,
      claimIntervalMs: 50,
      renewIntervalMs: 100,
      maxRetries: 1000, // connection trouble must never dead-letter a message
      consumerIdleMs: false,
      operationTimeoutMs: 500,
      stopTimeoutMs: 500,
      handler: async (m) => {
        handled.set(m.fields.n as string, (handled.get(m.fields.n as string) ?? 0) + 1);
      },
      ...options,
    });
    cleanup.push(async () => {
      await processor.stop().catch(() => {});
      await proxy.close();
      await deleteKeysWithPrefix(direct, prefix).catch(() => {});
      direct.disconnect();
    });
    let next = 0;
    const produce = async (count: number) => {
      const p = direct.pipeline();
      for (let i = 0; i < count; i++) p.xadd(stream, '*', 'n', String(next++));
      await p.exec();
    };
    const produced = () => next;
    /** Every produced message handled at least once, and nothing pending in the group. */
    const allDone = async () => {
      if (handled.size !== next) return false;
      const [pending] = (await direct.xpending(stream, 'g')) as [number];
      return Number(pending) === 0;
    };
    return { proxy, direct, stream, processor, handled, produce, produced, allDone };
  }

  it('resumes consuming by itself after the proxy resets every connection', async () => {
    const ctx = await setup();
    await ctx.processor.start();
    await ctx.produce(50);
    await waitFor('first batch', ctx.allDone);
    ctx.proxy.setMode('reset');
    await ctx.produce(50);
    await pause(50);
    await pause(50);
    await pause(50);
    expect(ctx.handled.size).toBe(50);
    ctx.proxy.setMode('pass');
    await ctx.produce(50);
    await waitFor('everything after the outage', ctx.allDone, { timeoutMs: 8000 });
    expect(ctx.processor.stats().readErrors).toBeGreaterThan(0);
    expect(ctx.processor.stats().deadLettered).toBe(0);
  });

  it('a black-holed connection (no FIN, no RST) is detected and consumption resumes when it heals', async () => {
    const ctx = await setup();
    await ctx.processor.start();
    await ctx.produce(20);
    await waitFor('first batch', ctx.allDone);
    ctx.proxy.setMode('blackhole');
    await ctx.produce(20);
    await waitFor('the stuck read is dropped', () => ctx.processor.stats().stuckReads >= 1, {
      timeoutMs: 4000,
    });
    ctx.proxy.setMode('pass');
    await ctx.produce(20);
    await waitFor('everything after the partition', ctx.allDone, { timeoutMs: 8000 });
  });

  it('keeps consuming through a flapping network, and ends with nothing pending', async () => {
    const ctx = await setup();
    await ctx.processor.start();
    let flips = 0;
    const timer = setInterval(() => {
      flips++;
      ctx.proxy.setMode(flips % 2 === 1 ? 'reset' : 'pass');
    }, 60);
    try {
      for (let i = 0; i < 20; i++) {
        await ctx.produce(10);
        await pause(40);
      }
    } finally {
      clearInterval(timer);
    }
    ctx.proxy.setMode('pass');
    await waitFor('everything', ctx.allDone, { timeoutMs: 8000 });
    expect(flips).toBeGreaterThanOrEqual(6);
    expect(ctx.processor.stats().deadLettered).toBe(0);
  });

  it.skipIf(!redisServerAvailable())(
    'after Redis restarts with its data gone, the group is recreated and consumption resumes',
    async () => {
      const server = await PrivateRedis.start();
      cleanup.push(() => server.stop());
      const ctx = await setup({ host: '127.0.0.1', port: server.port });
      await ctx.processor.start();
      await ctx.produce(10);
      await waitFor('before the restart', ctx.allDone);
      await server.kill();
      await pause(50);
      await server.restart();
      // The stream and the group are gone; new messages arrive on a fresh stream.
      await waitFor('direct client back', async () => (await ctx.direct.ping().catch(() => '')) === 'PONG', {
        timeoutMs: 3000,
      });
      await waitFor(
        'group recreated',
        async () => {
          const groups = (await ctx.direct.xinfo('GROUPS', ctx.stream).catch(() => [])) as unknown[];
          return groups.length === 1;
        },
        { timeoutMs: 5000 },
      );
      await ctx.produce(10);
      await waitFor('after the restart', ctx.allDone, { timeoutMs: 5000 });
      expect(ctx.produced()).toBe(20);
    },
  );
});
