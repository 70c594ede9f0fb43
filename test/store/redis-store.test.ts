/**
 * Redis-specific behaviour of the Redis store, on a real server (the shared behaviour is in
 * test/conformance/redis.test.ts): key layout and cluster slot, scripts, the server clock,
 * cross-process wake-ups, chunked inserts, the bound on dead-letter scans, URLs, and what callers
 * see while Redis is down (through a local TCP proxy that can cut or blackhole the connection).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PermanentError, StoreUnavailableError, ValidationError } from '../../src/core/errors.js';
import { Queue } from '../../src/queue/queue.js';
import { Worker } from '../../src/queue/worker.js';
import type { NewJob } from '../../src/store/job-store.js';
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis/redis-store.js';
import { redisStoreOptionsFromUrl } from '../../src/store/redis/redis-url.js';
import { SCRIPT_NAMES } from '../../src/store/redis/scripts.js';
import {
  deleteKeysWithPrefix,
  redisService,
  type ScanningClient,
  uniqueKeyPrefix,
} from '../support/services.js';

const redis = await redisService();

const T0 = Date.UTC(2026, 0, 1);

function job(overrides: Partial<NewJob> & { payload?: unknown } = {}): NewJob {
  const { payload, ...rest } = overrides;
  return {
    queue: 'q',
    name: 'job',
    payloadJson: JSON.stringify(payload ?? {}),
    priority: 1,
    runAt: T0,
    maxAttempts: 3,
    timeoutMs: null,
    backoff: null,
    idempotencyKey: null,
    replayOf: null,
    ...rest,
  };
}

/** CRC16/XMODEM, the Redis Cluster key hash: the slot is crc16(tag) % 16384. */
function keySlot(key: string): number {
  const open = key.indexOf('{');
  let tag = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) tag = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** A TCP proxy in front of Redis that can pass, cut (reset every connection and refuse new ones) or blackhole. */
class TcpProxy {
  mode: 'pass' | 'cut' | 'blackhole' = 'pass';
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  async start(target: { host: string; port: number }): Promise<void> {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => {});
      if (this.mode === 'cut') {
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
        if (this.mode === 'pass') upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (this.mode === 'pass') client.write(chunk);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as { port: number }).port;
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

/** Resolves when `promise` settles, or rejects after `ms` (so a hung call fails the test). */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]);
}

describe.skipIf(!redis.available)('RedisStore', () => {
  const admin = redis.available ? new Redis(redis.url) : undefined;
  const stores: RedisStore[] = [];
  const prefixes = new Set<string>();
  const target = new URL(redis.url);

  function open(options: RedisStoreOptions = {}): RedisStore {
    const prefix = options.prefix ?? uniqueKeyPrefix('redis-store').slice(0, -1);
    const store = new RedisStore({ url: redis.url, clock: 'caller', ...options, prefix });
    stores.push(store);
    prefixes.add(store.keys.base);
    return store;
  }

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const base of prefixes) await deleteKeysWithPrefix(admin as unknown as ScanningClient, base);
    prefixes.clear();
  });
  afterAll(async () => {
    await admin?.quit();
  });

  describe('keys and scripts', () => {
    it('keeps every key of a store under its one hash tag, so a store is one cluster slot', async () => {
      const store = open();
      await store.insertJobs({
        jobs: [job({ queue: 'emails', idempotencyKey: 'k' }), job({ queue: 'sms', runAt: T0 + 9999 })],
        now: T0,
      });
      const [claimed] = await store.claimJobs({
        queue: 'emails',
        workerId: 'w',
        limit: 1,
        leaseMs: 1000,
        now: T0,
        claimId: 'c1',
      });
      await store.failJob({
        id: claimed!.id,
        token: claimed!.token,
        attempt: { attempt: 1, outcome: 'failed', startedAt: T0, endedAt: T0, workerId: 'w' },
        outcome: {
          kind: 'dead_letter',
          deadLetter: {
            id: 'dl-1',
            domain: 'mail',
            failureType: 'permanent',
            entityType: null,
            entityId: null,
            userId: null,
            errorClass: 'Error',
            errorCode: null,
            errorMessage: 'boom',
            errorStack: null,
            fingerprint: 'fp',
            fingerprintVersion: 1,
            snapshot: null,
            requestData: null,
            responseData: null,
            metadata: {},
            nextActionHint: null,
            recommendedAction: null,
            workerId: 'w',
            handlerVersion: null,
            maxReplays: 1,
            firstFailedAt: T0,
            deadLetteredAt: T0,
            expiresAt: T0 + 1000,
          },
        },
        now: T0,
      });
      await store.resolveDeadLetters({ ids: ['dl-1'], now: T0, actor: 'ops' });
      await store.pauseQueue({ queue: 'sms' });

      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await admin!.scan(cursor, 'MATCH', `*${store.keys.prefix}*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      expect(keys.length).toBeGreaterThan(10);
      for (const key of keys) expect(key.startsWith(store.keys.base)).toBe(true);
      expect(new Set(keys.map(keySlot)).size).toBe(1);
      // A queue name with braces cannot move its keys to another slot.
      expect(keySlot(store.keys.queue('{evil}', 'wait'))).toBe(keySlot(store.keys.queues));
    });

    it('never uses the KEYS command', () => {
      const dir = fileURLToPath(new URL('../../src/store/redis/', import.meta.url));
      const files = [
        ...readdirSync(dir).map((f) => `${dir}${f}`),
        ...readdirSync(`${dir}lua`).map((f) => `${dir}lua/${f}`),
        ...readdirSync(`${dir}lua/lib`).map((f) => `${dir}lua/lib/${f}`),
      ].filter((f) => f.endsWith('.ts') || f.endsWith('.lua'));
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        expect(text, file).not.toMatch(/redis\.call\(\s*['"]KEYS['"]/i);
        expect(text, file).not.toMatch(/\b(client|redis|admin|pipeline|multi)\.keys\(/);
        expect(text, file).not.toMatch(/call\(\s*['"]KEYS['"]/i);
      }
    });

    it('has one .lua file per script, each with a header giving KEYS, ARGV and the return shape', () => {
      const dir = fileURLToPath(new URL('../../src/store/redis/lua/', import.meta.url));
      const files = readdirSync(dir).filter((f) => f.endsWith('.lua'));
      expect(files.sort()).toEqual(SCRIPT_NAMES.map((n) => `${n}.lua`).sort());
      for (const file of files) {
        const header = readFileSync(`${dir}${file}`, 'utf8').split('\n--!include')[0]!;
        expect(header, file).toMatch(new RegExp(`^-- ${file.replace('.', '\\.')}: `));
        expect(header, file).toMatch(/^-- KEYS\[1\]/m);
        expect(header, file).toMatch(/^-- ARGV\[1\]/m);
        expect(header, file).toMatch(/^-- Returns /m);
      }
    });

    it('works on an application client and leaves it open, without its listeners, when closed', async () => {
      const client = new Redis(redis.url);
      const before = client.listenerCount('error');
      const store = open({ client });
      await store.insertJobs({ jobs: [job()], now: T0 });
      expect((await store.countJobs({ queue: 'q' })).waiting).toBe(1);
      await store.close();
      expect(client.listenerCount('error')).toBe(before);
      expect(await client.ping()).toBe('PONG');
      await client.quit();
    });

    it('refuses a prefix with braces and a client with a keyPrefix', () => {
      expect(() => new RedisStore({ url: redis.url, prefix: 'a{b}' })).toThrow(ValidationError);
      const client = new Redis(redis.url, { keyPrefix: 'x:', lazyConnect: true });
      expect(() => new RedisStore({ client })).toThrow(ValidationError);
      client.disconnect();
    });
  });

  describe('inserts', () => {
    it('inserts a batch larger than a chunk in one transaction, idempotency keys across chunks', async () => {
      const store = open({ insertChunk: 100 });
      const jobs = Array.from({ length: 350 }, (_, i) =>
        job({ payload: { i }, idempotencyKey: i % 50 === 0 ? `k${i % 100}` : null }),
      );
      const results = await store.insertJobs({ jobs, now: T0 });
      expect(results).toHaveLength(350);
      // k0 appears at 0, 100, 200, 300; k50 at 50, 150, 250: only the first of each is created.
      for (const i of [100, 200, 300]) expect(results[i]).toEqual({ id: results[0]!.id, created: false });
      for (const i of [150, 250]) expect(results[i]).toEqual({ id: results[50]!.id, created: false });
      expect((await store.countJobs({ queue: 'q' })).waiting).toBe(345);
      const listed = await store.listJobs({ queue: 'q', limit: 1000 });
      expect(listed.map((j) => j.payload)).toEqual(
        jobs.map((_, i) => ({ i })).filter(({ i }) => !(i % 50 === 0 && i >= 100)),
      );
    });
  });

  describe('server clock', () => {
    it('decides due times and leases by the Redis server time, re-basing the caller times', async () => {
      const store = open({ clock: 'server' });
      const ahead = Date.now() + 86_400_000; // the caller's clock runs a day ahead
      const [due, later] = await store.insertJobs({
        jobs: [job({ runAt: ahead }), job({ runAt: ahead + 60_000 })],
        now: ahead,
      });
      const before = Date.now();
      const dueJob = await store.getJob({ id: due!.id });
      expect(dueJob!.state).toBe('waiting');
      expect(Math.abs(dueJob!.runAt - before)).toBeLessThan(5_000);
      const laterJob = await store.getJob({ id: later!.id });
      expect(laterJob!.state).toBe('scheduled');
      expect(Math.abs(laterJob!.runAt - (before + 60_000))).toBeLessThan(5_000);
      expect(Math.abs((await store.nextScheduledAt({ queue: 'q' }))! - (before + 60_000))).toBeLessThan(
        5_000,
      );

      // A claim by a caller a year ahead gets only the due job, with a lease from the server's now.
      const claimed = await store.claimJobs({
        queue: 'q',
        workerId: 'w',
        limit: 10,
        leaseMs: 30_000,
        now: ahead + 365 * 86_400_000,
        claimId: 'c',
      });
      expect(claimed.map((j) => j.id)).toEqual([due!.id]);
      expect(Math.abs(claimed[0]!.leaseExpiresAt! - (Date.now() + 30_000))).toBeLessThan(5_000);
      // A sweep by a caller whose clock jumped ten years ahead expires nothing.
      const sweep = await store.recoverExpiredLeases({
        now: ahead + 3650 * 86_400_000,
        maxOrphans: 3,
        limit: 10,
        deadLetterFor: () => {
          throw new Error('no poison pill');
        },
      });
      expect(sweep).toEqual({ recovered: [], deadLettered: [], orphanedWhile: {} });
    });

    it('expires a lease once the server time passes it, whatever the caller clock says', async () => {
      const store = open({ clock: 'server' });
      await store.insertJobs({ jobs: [job({ runAt: 0 })], now: 0 });
      const [claimed] = await store.claimJobs({
        queue: 'q',
        workerId: 'w',
        limit: 1,
        leaseMs: 5,
        now: 0,
        claimId: 'c',
      });
      const deadline = Date.now() + 2000;
      let recovered: string[] = [];
      while (recovered.length === 0 && Date.now() < deadline) {
        recovered = (
          await store.recoverExpiredLeases({
            now: 0,
            maxOrphans: 3,
            limit: 10,
            deadLetterFor: () => ({}) as never,
          })
        ).recovered;
      }
      expect(recovered).toEqual([claimed!.id]);
    });
  });

  describe('notify', () => {
    async function subscribed(store: RedisStore, queue: string): Promise<void> {
      const channel = store.keys.notifyChannel(queue);
      const deadline = Date.now() + 3000;
      for (;;) {
        const [, n] = (await admin!.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
        if (Number(n) > 0) return;
        if (Date.now() > deadline) throw new Error('the notifier did not subscribe');
      }
    }

    it('wakes a watcher in another process when jobs arrive or a queue resumes', async () => {
      const watching = open();
      const other = open({ prefix: watching.keys.prefix });
      let calls = 0;
      let wake: () => void = () => {};
      const unwatch = watching.watchQueue('q', () => {
        calls++;
        wake();
      });
      await subscribed(watching, 'q');
      const inserted = new Promise<void>((resolve) => {
        wake = resolve;
      });
      await other.insertJobs({ jobs: [job()], now: T0 });
      await within(2000, inserted, 'the wake-up after an insert');
      const resumed = new Promise<void>((resolve) => {
        wake = resolve;
      });
      await other.pauseQueue({ queue: 'q' });
      await other.resumeQueue({ queue: 'q' });
      await within(2000, resumed, 'the wake-up after a resume');
      unwatch();
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(watching.capabilities.notify).toBe(true);
    });

    it('wakes a watcher in the same process at once', async () => {
      const store = open();
      let calls = 0;
      store.watchQueue('q', () => calls++);
      await store.insertJobs({ jobs: [job()], now: T0 });
      // At once (the pub/sub echo of the same insert may add a second, harmless call later).
      expect(calls).toBeGreaterThanOrEqual(1);
    });
  });

  describe('Queue and Worker on the Redis store', () => {
    it('runs jobs, retries, dead-letters a permanent failure, and wakes an idle worker from another process', async () => {
      const producerStore = open({ clock: 'server' });
      const workerStore = open({ clock: 'server', prefix: producerStore.keys.prefix });
      const queue = new Queue<{ n: number; fail?: 'once' | 'always' }>('work', { store: producerStore });
      const seen = new Map<number, number>();
      const done = new Set<number>();
      let finish: () => void = () => {};
      const allDone = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const deadLettered: string[] = [];
      const worker = new Worker<{ n: number; fail?: 'once' | 'always' }>(
        'work',
        async (active) => {
          const { n, fail } = active.payload;
          const attempt = (seen.get(n) ?? 0) + 1;
          seen.set(n, attempt);
          if (fail === 'always') throw new PermanentError('never works');
          if (fail === 'once' && attempt === 1) throw new Error('flaky');
          done.add(n);
          if (done.size === 20) finish();
        },
        {
          store: workerStore,
          concurrency: 5,
          backoff: { type: 'fixed', delayMs: 1, jitter: 'none' },
          pollIntervalMs: 10_000,
        },
      );
      worker.on('job.dead_lettered', (e) => deadLettered.push(e.deadLetterId));
      try {
        // The worker is idle with a 10 s poll: only a notification gets these jobs started quickly.
        const started = performance.now();
        await queue.addBulk(
          Array.from({ length: 20 }, (_, n) => ({
            name: 'w',
            payload: { n, ...(n % 5 === 0 ? { fail: 'once' as const } : {}) },
          })),
        );
        await queue.add('bad', { n: 99, fail: 'always' });
        await within(5000, allDone, 'the 20 jobs');
        expect(performance.now() - started).toBeLessThan(5000);
        for (const n of [0, 5, 10, 15]) expect(seen.get(n)).toBe(2);
        const deadline = Date.now() + 5000;
        while (deadLettered.length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
        expect(deadLettered).toHaveLength(1);
        const dl = await producerStore.getDeadLetter({ id: deadLettered[0]! });
        expect(dl).toMatchObject({
          queue: 'work',
          jobName: 'bad',
          payload: { n: 99, fail: 'always' },
          status: 'pending',
        });
      } finally {
        await worker.close();
        await queue.close();
      }
      expect(await producerStore.countJobs({ queue: 'work' })).toMatchObject({
        completed: 20,
        dead_lettered: 1,
        active: 0,
      });
    });
  });

  describe('dead-letter scans', () => {
    it('refuses a query that would examine more than maxScan entries, and counts status/domain totals without scanning', async () => {
      const store = open({ maxScan: 1000 });
      const deadLetters = Array.from({ length: 2500 }, (_, i) => ({
        id: `dl-${i}`,
        queue: 'q',
        jobId: null,
        jobName: 'job',
        domain: i % 2 ? 'a' : 'b',
        failureType: 'permanent',
        entityType: null,
        entityId: null,
        userId: null,
        errorClass: null,
        errorCode: null,
        errorMessage: `error ${i}`,
        errorStack: null,
        fingerprint: 'fp',
        fingerprintVersion: 1,
        payload: { i },
        attempts: [],
        snapshot: null,
        requestData: null,
        responseData: null,
        metadata: {},
        nextActionHint: null,
        recommendedAction: null,
        workerId: null,
        handlerVersion: null,
        maxReplays: 1,
        firstFailedAt: T0 + i,
        deadLetteredAt: T0 + i,
        expiresAt: null,
      }));
      expect((await store.insertDeadLetters({ deadLetters, now: T0 })).inserted).toBe(2500);
      await expect(store.listDeadLetters({ limit: 10, errorText: 'no such text' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      const page = await store.listDeadLetters({ limit: 5, statuses: ['pending'], domain: 'a' });
      expect(page.total).toBe(1250);
      expect(page.items.map((d) => d.id)).toEqual(['dl-2499', 'dl-2497', 'dl-2495', 'dl-2493', 'dl-2491']);
      // A selective filter finds its matches early and stops: no refusal.
      const found = await store.listDeadLetters({ limit: 1, errorText: 'error 2498', withTotal: false });
      expect(found.items.map((d) => d.id)).toEqual(['dl-2498']);
      expect((await store.listDeadLetters({ limit: 3, from: T0 + 100, to: T0 + 200 })).total).toBe(100);
    });
  });

  describe('URLs', () => {
    it('reads the prefix and clock from the query and leaves the rest to ioredis', () => {
      expect(redisStoreOptionsFromUrl('redis://:pw@cache:6380/2?prefix=app&clock=caller')).toEqual({
        url: 'redis://:pw@cache:6380/2',
        prefix: 'app',
        clock: 'caller',
        durability: 'async',
      });
      expect(redisStoreOptionsFromUrl('rediss://cache')).toMatchObject({
        prefix: 'redrive',
        clock: 'server',
      });
      expect(() => redisStoreOptionsFromUrl('redis://cache/jobs')).toThrow(/database number/);
      expect(() => redisStoreOptionsFromUrl('redis://cache?clock=wall')).toThrow(/clock/);
      expect(() => redisStoreOptionsFromUrl('redis://cache?prefix={x}')).toThrow(/prefix/);
      expect(() => redisStoreOptionsFromUrl('redis://cache?durability=sync')).toThrow(/durability/);
    });

    it('names a Redis Cluster by redis+cluster:// with several nodes, or by ?cluster=true', () => {
      expect(
        redisStoreOptionsFromUrl(
          'redis+cluster://u:p%40w@a:7000,b:7001,[::1]:7002?prefix=app&durability=replicated',
        ),
      ).toEqual({
        prefix: 'app',
        clock: 'server',
        durability: 'replicated',
        cluster: {
          nodes: [
            { host: 'a', port: 7000 },
            { host: 'b', port: 7001 },
            { host: '::1', port: 7002 },
          ],
        },
        redisOptions: { username: 'u', password: 'p@w' },
      });
      expect(redisStoreOptionsFromUrl('rediss://cache:7000?cluster=true')).toMatchObject({
        cluster: { nodes: [{ host: 'cache', port: 7000 }] },
        redisOptions: { tls: {} },
      });
      expect(redisStoreOptionsFromUrl('redis://cache:7000?cluster=false')).toMatchObject({
        url: 'redis://cache:7000',
      });
      expect(() => redisStoreOptionsFromUrl('redis+cluster://a:7000/3')).toThrow(/only database 0/);
      expect(() => redisStoreOptionsFromUrl('redis+cluster://a:x')).toThrow(/host:port/);
      expect(() => redisStoreOptionsFromUrl('redis://a?cluster=maybe')).toThrow(/cluster must be/);
    });
  });

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
