/**
 * A claim whose reply is lost: the connection to the store drops after the store ran (on
 * PostgreSQL, committed) the claim and before its reply reached the worker (a local TCP proxy holds
 * the reply back, then resets the connection). The worker names that claim in its next one, which
 * returns the jobs it took to waiting and takes them: they run at once, each once, instead of
 * waiting, leased to no one, for their leases (30 s here) to expire.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { Queue } from '../../src/queue/queue.js';
import { Worker } from '../../src/queue/worker.js';
import type { Store } from '../../src/store/store.js';
import { redisStoreHarness } from '../store/redis-store-harness.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService, redisService } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { TcpProxy } from './tcp-proxy.js';

const redis = await redisService();
const postgres = await postgresService();

/**
 * A worker on `store` (whose connections pass through `proxy`) takes a first job, then the proxy
 * holds every byte 2 s: the next claim reaches the store 2 s after it is sent, and its reply would
 * reach the worker 2 s after the store ran it. Once the store has run it (its three jobs active),
 * the proxy resets the connections, the reply still held: the three jobs must run at once, each once.
 */
async function loseAClaimReply(
  store: Store,
  producer: Store,
  proxy: TcpProxy,
  queueName: string,
): Promise<void> {
  const queue = new Queue<{ n: number }>(queueName, { store: producer });
  const seen: number[] = [];
  const worker = new Worker<{ n: number }>(queueName, async (job) => void seen.push(job.payload.n), {
    store,
    leaseMs: 30_000,
    pollIntervalMs: 100,
    maintenance: false,
  });
  const errors: unknown[] = [];
  worker.on('error', ({ error }) => errors.push(error));
  const counts = () => producer.countJobs({ queue: queueName });
  try {
    await queue.add('n', { n: 0 });
    await waitFor('the first job', async () => (await counts()).completed === 1 && seen.length === 1);
    proxy.setMode({ delayMs: 2000 });
    for (const n of [1, 2, 3]) await queue.add('n', { n });
    await waitFor('the store to run the claim of the three jobs', async () => (await counts()).active === 3, {
      timeoutMs: 10_000,
    });
    proxy.resetConnections();
    proxy.setMode('pass');
    // Within 5 s: their leases (30 s) never expired.
    await waitFor('the three jobs to run', () => seen.length === 4, { timeoutMs: 5000 });
    await waitFor('every completion written', async () => {
      const c = await counts();
      return c.completed === 4 && c.active === 0;
    });
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    // The lost reply was reported, not hidden.
    expect(errors.some((e) => e instanceof StoreUnavailableError)).toBe(true);
  } finally {
    await worker.close();
    await queue.close();
  }
}

describe.skipIf(!redis.available)('Redis store: a claim whose reply is lost', () => {
  const { open } = redisStoreHarness(redis);
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  it('the next claim takes back the jobs the lost claim took: each runs once, long before its lease expires', async () => {
    const target = new URL(redis.url);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    proxies.push(proxy);
    const store = open({ url: proxy.url, clock: 'server' });
    const producer = open({ clock: 'server', prefix: store.keys.prefix });
    await loseAClaimReply(store, producer, proxy, 'lost-reply');
  });
});

describe.skipIf(!postgres.available)('PostgreSQL store: a claim whose reply is lost', () => {
  const schema = new PostgresTestSchema(postgres.url, 'lost_reply');
  afterAll(() => schema.drop());

  it('the next claim takes back the jobs the lost claim took: each runs once, long before its lease expires', async () => {
    const producer = await schema.freshStore();
    const { store, proxy } = await schema.storeThroughProxy({ listen: false });
    try {
      await loseAClaimReply(store, producer, proxy, 'lost-reply');
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});
