/**
 * plainjob 0.0.14 (a dev dependency of the benchmark only), a SQLite queue on better-sqlite3,
 * doing redrive's SQLite scenarios on a fresh file with its defaults (WAL, `synchronous = 1`,
 * i.e. NORMAL, set by plainjob itself): enqueue-single (`add`, one job at a time), enqueue-bulk
 * (`addMany` in calls of 1,000) and process-c1/c50 (that many plainjob workers in one process,
 * each running one job at a time, draining a pre-filled queue through a no-op handler).
 */
import Database from 'better-sqlite3';
import { better, defineQueue, defineWorker, JobStatus, type Queue } from 'plainjob';
import { makePayload } from '../payload.js';
import { deferred } from '../wait.js';
import { type BenchDb, QUEUE, type Scenario, secondsSince } from './context.js';

const silent = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

async function withQueue<T>(db: BenchDb, fn: (queue: Queue) => Promise<T>): Promise<T> {
  const connection = better(new Database(db.path));
  const queue = defineQueue({ connection, logger: silent });
  try {
    return await fn(queue);
  } finally {
    queue.close();
  }
}

function expectStored(queue: Queue, status: JobStatus, total: number): void {
  const stored = queue.countJobs({ type: QUEUE, status });
  if (stored !== total)
    throw new Error(`expected ${total} jobs in status ${JobStatus[status]}, found ${stored}`);
}

export function plainjobEnqueueSingle(): Scenario {
  return ({ db, sizes }) =>
    withQueue(db, async (queue) => {
      const total = sizes.enqueueSingle;
      const start = performance.now();
      for (let i = 0; i < total; i++) queue.add(QUEUE, makePayload(i));
      const seconds = secondsSince(start);
      expectStored(queue, JobStatus.Pending, total);
      return { jobs: total, seconds, details: { engine: 'plainjob' } };
    });
}

function addAll(queue: Queue, total: number, chunk: number): void {
  for (let seq = 0; seq < total; seq += chunk) {
    const count = Math.min(chunk, total - seq);
    queue.addMany(
      QUEUE,
      Array.from({ length: count }, (_, i) => makePayload(seq + i)),
    );
  }
}

export function plainjobEnqueueBulk(): Scenario {
  return ({ db, sizes }) =>
    withQueue(db, async (queue) => {
      const total = sizes.enqueueBulk;
      const start = performance.now();
      addAll(queue, total, sizes.bulkChunk);
      const seconds = secondsSince(start);
      expectStored(queue, JobStatus.Pending, total);
      return { jobs: total, seconds, details: { chunk: sizes.bulkChunk, engine: 'plainjob' } };
    });
}

export function plainjobProcess(concurrency: number): Scenario {
  return ({ db, sizes }) =>
    withQueue(db, async (queue) => {
      const total = sizes.process;
      addAll(queue, total, 1000);
      const handledAll = deferred();
      let handled = 0;
      const workers = Array.from({ length: concurrency }, () =>
        defineWorker(
          QUEUE,
          () => {
            handled++;
            if (handled === total) handledAll.resolve();
          },
          { queue, logger: silent },
        ),
      );
      const start = performance.now();
      const running = workers.map((w) => w.start());
      await handledAll.promise;
      const seconds = secondsSince(start);
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(running);
      expectStored(queue, JobStatus.Done, total);
      return { jobs: total, seconds, details: { concurrency, engine: 'plainjob' } };
    });
}
