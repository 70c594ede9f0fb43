/**
 * Redis store on a real server: what callers see while Redis is down (through a local TCP proxy
 * that can cut or blackhole the connection).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { Queue } from '../../src/queue/queue.js';
import { Worker } from '../../src/queue/worker.js';
import type { RedisStore, RedisStoreOptions } from '../../src/store/redis/redis-store.js';
import { redisService } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { job, redisStoreHarness, T0, within } from './redis-store-harness.js';

const redis = await redisService();

/**
 * A TCP proxy in front of Redis that can pass, cut (reset every connection and refuse new ones),
 * refuse new connections only (the open ones still pass) or blackhole.
 */
class TcpProxy {
  mode: 'pass' | 'cut' | 'refuse' | 'blackhole' = 'pass';
  /** Connections refused while cut or refusing: a client trying to reconnect shows up here. */
  refused = 0;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  async start(target: { host: string; port: number }): Promise<void> {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => {});
      if (this.mode === 'cut' || this.mode === 'refuse') {
        this.refused++;
        client.destroy();
        return;
      }
      if (this.mode === 'blackhole') return;
      const upstream = connect(target);
      this.sockets.add(upstream);
      upstream.on('close', () => {
        this.sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.on('data', (chunk) => {
        if (this.passes()) upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (this.passes()) client.write(chunk);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as { port: number }).port;
  }

  /** Whether open connections carry data. */
  private passes(): boolean {
    return this.mode === 'pass' || this.mode === 'refuse';
  }

  cut(): void {
    this.mode = 'cut';
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

describe.skipIf(!redis.available)('RedisStore', () => {
  const { open } = redisStoreHarness(redis);
  const target = new URL(redis.url);

  describe('while Redis is down', () => {
    const proxies: TcpProxy[] = [];
    afterEach(async () => {
      await Promise.all(proxies.splice(0).map((p) => p.stop()));
    });

    async function proxied(options: RedisStoreOptions = {}): Promise<{ store: RedisStore; proxy: TcpProxy }> {
      const proxy = new TcpProxy();
      proxies.push(proxy);
      await proxy.start({ host: target.hostname, port: Number(target.port || 6379) });
      const store = open({ ...options, url: `redis://127.0.0.1:${proxy.port}` });
      return { store, proxy };
    }

    it('fails calls with StoreUnavailableError (503) when nothing listens, and every call settles', async () => {
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      await new Promise<void>((r) => server.close(() => r()));
      const store = open({ url: `redis://127.0.0.1:${port}` });
      const error = await within(
        5000,
        store
          .claimJobs({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000, now: T0, claimId: 'c' })
          .catch((e) => e),
        'a claim against a closed port',
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).status).toBe(503);
      expect((error as Error).message).toMatch(
        /Redis store at redis:\/\/127\.0\.0\.1:\d+: claim-jobs failed/,
      );
    });

    it('fails calls during a partition and works again once Redis is back, by itself', async () => {
      const { store, proxy } = await proxied();
      await store.insertJobs({ jobs: [job({ payload: 1 })], now: T0 });
      proxy.cut();
      const error = await within(
        5000,
        store.insertJobs({ jobs: [job({ payload: 2 })], now: T0 }).catch((e) => e),
        'insert',
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      proxy.mode = 'pass';
      const deadline = Date.now() + 10_000;
      let counts: Awaited<ReturnType<RedisStore['countJobs']>> | undefined;
      while (!counts) {
        try {
          counts = await store.countJobs({ queue: 'q' });
        } catch (e) {
          expect(e).toBeInstanceOf(StoreUnavailableError);
          if (Date.now() > deadline) throw e;
        }
      }
      // The insert refused during the partition was not applied.
      expect(counts.waiting).toBe(1);
    });

    it('a Worker whose connections were reset resumes consuming by itself once Redis is back, woken without a poll', async () => {
      const { store, proxy } = await proxied({ clock: 'server' });
      const producer = open({ clock: 'server', prefix: store.keys.prefix });
      const queue = new Queue<{ n: number }>('resume', { store: producer });
      const seen: number[] = [];
      // A 10 s poll: a job taken within the 5 s bounds below was taken on a notification.
      const worker = new Worker<{ n: number }>('resume', async (job) => void seen.push(job.payload.n), {
        store,
        pollIntervalMs: 10_000,
        maintenance: false,
      });
      const errors: unknown[] = [];
      worker.on('error', (e) => errors.push(e));
      try {
        await queue.add('n', { n: 1 });
        await waitFor('the first job', () => seen.includes(1));
        // The cut comes once the worker's completion (and the claim it carries) has run on Redis:
        // a claim cut off after Redis ran it but before its reply arrived is another case
        // (test/chaos/lost-claim-reply.test.ts).
        await waitFor('the first completion written', async () => {
          const counts = await producer.countJobs({ queue: 'resume' });
          return counts.completed === 1 && counts.active === 0;
        });
        proxy.cut();
        // Added while the worker's connections (commands and subscription) are down: its
        // notification is lost with them.
        await queue.add('n', { n: 2 });
        await waitFor('both worker connections to try again', () => proxy.refused >= 2);
        proxy.mode = 'pass';
        await waitFor('the job added during the cut', () => seen.includes(2), { timeoutMs: 5000 });
        await queue.add('n', { n: 3 });
        await waitFor('a job added after the cut', () => seen.includes(3), { timeoutMs: 5000 });
        expect(seen).toEqual([1, 2, 3]);
        // Completions are written in batches after the handlers return: wait for the last one.
        await waitFor('every completion written', async () => {
          const counts = await producer.countJobs({ queue: 'resume' });
          return counts.completed === 3 && counts.active === 0;
        });
      } finally {
        await worker.close();
        await queue.close();
      }
    });

    it('closes at once while its pub/sub connection cannot reach Redis, with (un)subscriptions queued', async () => {
      const { store, proxy } = await proxied();
      // The command connection is up and stays up; every new connection is refused, so the
      // subscriber that the first watch opens keeps trying, its SUBSCRIBE and UNSUBSCRIBE queued.
      await store.countJobs({});
      proxy.mode = 'refuse';
      const unwatch = store.watchQueue('q', () => {});
      await waitFor('the subscriber to try to connect', () => proxy.refused >= 1);
      unwatch();
      store.watchQueue('other', () => {});
      await within(5000, store.close(), 'close() while the subscriber is disconnected');
    });

    it('fails a call that gets no reply (blackhole) after the command timeout instead of hanging', async () => {
      const { store, proxy } = await proxied({ redisOptions: { commandTimeout: 300 } });
      await store.countJobs({});
      proxy.mode = 'blackhole';
      const error = await within(
        5000,
        store.countJobs({}).catch((e) => e),
        'a call into a blackhole',
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/timed out/i);
    });
  });
});
