/**
 * pg-boss 12 (a dev dependency of the benchmark only) doing redrive's PostgreSQL scenarios on the
 * same server, in a fresh schema, with its defaults: enqueue-single (`send` awaited one at a time),
 * enqueue-bulk (`insert` in calls of 1,000) and process-c1/c50 (`work` with `localConcurrency`
 * at that concurrency, batchSize 1, draining a pre-filled queue through a no-op handler). Its
 * default fetch loop polls every 2 s per worker, so the process scenarios drain at most
 * `PGBOSS_PROCESS_CAP` jobs (jobs/s stays comparable).
 */
import { PgBoss } from 'pg-boss';
import { makeBulk, makePayload } from '../payload.js';
import { adminQuery, benchPostgresUrl, freshSchemaName } from '../postgres-db.js';
import { deferred } from '../wait.js';
import { QUEUE, type Scenario, secondsSince } from './context.js';

/** The most jobs a pg-boss process scenario drains (at its default pace, 2,000 already take minutes). */
export const PGBOSS_PROCESS_CAP = 2_000;

async function withBoss<T>(fn: (boss: PgBoss) => Promise<T>): Promise<T> {
  const schema = freshSchemaName('pgboss');
  const boss = new PgBoss({ connectionString: benchPostgresUrl(), schema });
  boss.on('error', () => {});
  await boss.start();
  try {
    await boss.createQueue(QUEUE);
    return await fn(boss);
  } finally {
    await boss.stop({ graceful: false });
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
}

export function pgBossEnqueueSingle(): Scenario {
  return ({ sizes }) =>
    withBoss(async (boss) => {
      const total = sizes.enqueueSingle;
      const start = performance.now();
      for (let i = 0; i < total; i++) await boss.send(QUEUE, makePayload(i) as unknown as object);
      return { jobs: total, seconds: secondsSince(start), details: { engine: 'pg-boss' } };
    });
}

export function pgBossEnqueueBulk(): Scenario {
  return ({ sizes }) =>
    withBoss(async (boss) => {
      const total = sizes.enqueueBulk;
      const chunk = sizes.bulkChunk;
      const start = performance.now();
      for (let seq = 0; seq < total; seq += chunk) {
        await boss.insert(
          QUEUE,
          makeBulk(seq, Math.min(chunk, total - seq)).map((j) => ({ data: j.payload as unknown as object })),
        );
      }
      return { jobs: total, seconds: secondsSince(start), details: { chunk, engine: 'pg-boss' } };
    });
}

export function pgBossProcess(concurrency: number): Scenario {
  return ({ sizes }) =>
    withBoss(async (boss) => {
      const total = Math.min(sizes.process, PGBOSS_PROCESS_CAP);
      for (let seq = 0; seq < total; seq += 1000) {
        await boss.insert(
          QUEUE,
          makeBulk(seq, Math.min(1000, total - seq)).map((j) => ({ data: j.payload as unknown as object })),
        );
      }
      const handledAll = deferred();
      let handled = 0;
      const start = performance.now();
      await boss.work(QUEUE, { localConcurrency: concurrency }, async (jobs) => {
        handled += jobs.length;
        if (handled >= total) handledAll.resolve();
      });
      await handledAll.promise;
      const seconds = secondsSince(start);
      return {
        jobs: total,
        seconds,
        details: { concurrency, engine: 'pg-boss', cappedAt: PGBOSS_PROCESS_CAP },
      };
    });
}
