/**
 * The same enqueue-bulk and process scenarios run by BullMQ (a dev dependency of the benchmark
 * only) on the same Redis, for the side-by-side comparison of `npm run bench -- --store redis`.
 * BullMQ keeps completed jobs (its default, like redrive), its Worker runs the same no-op async
 * handler, and the clock stops once the worker has closed after the last job.
 */
import { Queue, Worker } from 'bullmq';
import { makeBulk } from '../payload.js';
import { benchRedisUrl, deleteKeys } from '../redis-db.js';
import { deferred, sleep, yieldToLoop } from '../wait.js';
import { expectCount, QUEUE, type Scenario, secondsSince } from './context.js';

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

export const bullmqEnqueueBulk: Scenario = async ({ sizes }) => {
  const prefix = freshPrefix();
  const queue = new Queue(QUEUE, { connection: connection(), prefix });
  try {
    await queue.waitUntilReady();
    const total = sizes.enqueueBulk;
    const chunk = sizes.bulkChunk;
    const start = performance.now();
    for (let seq = 0; seq < total; seq += chunk) {
      await queue.addBulk(
        makeBulk(seq, Math.min(chunk, total - seq)).map((j) => ({ name: j.name, data: j.payload })),
      );
    }
    const seconds = secondsSince(start);
    expectCount('waiting jobs', await queue.getWaitingCount(), total);
    return { jobs: total, seconds, details: { chunk, engine: 'bullmq' } };
  } finally {
    await queue.close();
    await deleteKeys(benchRedisUrl(), `${prefix}:*`);
  }
};

export function bullmqProcess(concurrency: number): Scenario {
  return async ({ sizes }) => {
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
      expectCount('completed jobs', await queue.getCompletedCount(), total);
      return { jobs: total, seconds, details: { concurrency, engine: 'bullmq' } };
    } finally {
      await queue.close();
      await deleteKeys(benchRedisUrl(), `${prefix}:*`);
    }
  };
}
