/**
 * The same enqueue-single, enqueue-bulk and process scenarios run by BullMQ (a dev dependency of the benchmark
 * only) on the same Redis, for the side-by-side comparison of `npm run bench -- --store redis`.
 * BullMQ keeps completed jobs (its default, like redrive), its Worker runs the same no-op async
 * handler, and the clock stops once the worker has closed after the last job. In the failure
 * scenarios the handler throws an `UnrecoverableError` (to BullMQ's failed set, kept like redrive's
 * dead letters) or fails once and succeeds on the retry (`attempts: 2, backoff: 0`).
 */
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { makeBulk, makePayload } from '../payload.js';
import { benchRedisUrl, deleteKeys } from '../redis-db.js';
import { deferred, sleep, yieldToLoop } from '../wait.js';
import { expectCount, QUEUE, type Scenario, secondsSince, serverCpuWindow } from './context.js';

function connection() {
  const url = new URL(benchRedisUrl());
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

function freshPrefix(): string {
  return `bench-bullmq-${process.pid}-${Date.now().toString(36)}`;
}

export const bullmqEnqueueSingle: Scenario = async ({ sizes }) => {
  const prefix = freshPrefix();
  const queue = new Queue(QUEUE, { connection: connection(), prefix });
  try {
    await queue.waitUntilReady();
    const total = sizes.enqueueSingle;
    const start = performance.now();
    for (let i = 0; i < total; i++) await queue.add('email', makePayload(i));
    const seconds = secondsSince(start);
    expectCount('waiting jobs', await queue.getWaitingCount(), total);
    return { jobs: total, seconds, details: { engine: 'bullmq' } };
  } finally {
    await queue.close();
    await deleteKeys(benchRedisUrl(), `${prefix}:*`);
  }
};

export const bullmqEnqueueBulk: Scenario = async (ctx) => {
  const { sizes } = ctx;
  const prefix = freshPrefix();
  const queue = new Queue(QUEUE, { connection: connection(), prefix });
  try {
    await queue.waitUntilReady();
    const total = sizes.enqueueBulk;
    const chunk = sizes.bulkChunk;
    const window = await serverCpuWindow(ctx);
    const start = performance.now();
    for (let seq = 0; seq < total; seq += chunk) {
      await queue.addBulk(
        makeBulk(seq, Math.min(chunk, total - seq)).map((j) => ({ name: j.name, data: j.payload })),
      );
    }
    const seconds = secondsSince(start);
    const server = await window(total);
    expectCount('waiting jobs', await queue.getWaitingCount(), total);
    return { jobs: total, seconds, details: { chunk, engine: 'bullmq', ...server } };
  } finally {
    await queue.close();
    await deleteKeys(benchRedisUrl(), `${prefix}:*`);
  }
};

export function bullmqProcess(concurrency: number): Scenario {
  return async (ctx) => {
    const { sizes } = ctx;
    const prefix = freshPrefix();
    const queue = new Queue(QUEUE, { connection: connection(), prefix });
    try {
      await queue.waitUntilReady();
      const total = sizes.process;
      for (let seq = 0; seq < total; seq += 1000) {
        await queue.addBulk(
          makeBulk(seq, Math.min(1000, total - seq)).map((j) => ({ name: j.name, data: j.payload })),
        );
        await yieldToLoop();
      }
      await sleep(250);
      const handledAll = deferred();
      let handled = 0;
      const window = await serverCpuWindow(ctx);
      const start = performance.now();
      const worker = new Worker(
        QUEUE,
        async () => {
          handled++;
          if (handled === total) handledAll.resolve();
        },
        { connection: connection(), prefix, concurrency },
      );
      await handledAll.promise;
      await worker.close();
      const seconds = secondsSince(start);
      const server = await window(total);
      expectCount('completed jobs', await queue.getCompletedCount(), total);
      return { jobs: total, seconds, details: { concurrency, engine: 'bullmq', ...server } };
    } finally {
      await queue.close();
      await deleteKeys(benchRedisUrl(), `${prefix}:*`);
    }
  };
}

/** BullMQ's fail-permanent-c50 / fail-retry-c50 (see fail.ts for redrive's). */
export function bullmqFail(kind: 'permanent' | 'retry'): Scenario {
  return async (ctx) => {
    const { sizes } = ctx;
    const prefix = freshPrefix();
    const queue = new Queue(QUEUE, { connection: connection(), prefix });
    try {
      await queue.waitUntilReady();
      const total = sizes.fail;
      for (let seq = 0; seq < total; seq += 1000) {
        await queue.addBulk(
          makeBulk(seq, Math.min(1000, total - seq)).map((j) => ({
            name: j.name,
            data: j.payload,
            opts: { attempts: 2, backoff: 0 },
          })),
        );
        await yieldToLoop();
      }
      await sleep(250);
      const calls = kind === 'retry' ? total * 2 : total;
      const handledAll = deferred();
      let handled = 0;
      const window = await serverCpuWindow(ctx);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const worker = new Worker(
        QUEUE,
        async (job) => {
          handled++;
          if (handled === calls) handledAll.resolve();
          if (kind === 'permanent')
            throw new UnrecoverableError('the order was rejected by the payment provider');
          if (job.attemptsMade === 0) {
            throw Object.assign(new Error('upstream returned 503 Service Unavailable'), { status: 503 });
          }
        },
        { connection: connection(), prefix, concurrency: 50 },
      );
      await handledAll.promise;
      await worker.close();
      const seconds = secondsSince(start);
      const cpu = process.cpuUsage(cpuStart);
      const server = await window(total);
      if (kind === 'retry') expectCount('completed jobs', await queue.getCompletedCount(), total);
      else expectCount('failed jobs', await queue.getFailedCount(), total);
      return {
        jobs: total,
        seconds,
        details: {
          concurrency: 50,
          attempts: calls,
          engine: 'bullmq',
          // The worker process's CPU during the drain, as redrive's scenarios report it.
          cpuSeconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
          ...server,
        },
      };
    } finally {
      await queue.close();
      await deleteKeys(benchRedisUrl(), `${prefix}:*`);
    }
  };
}
