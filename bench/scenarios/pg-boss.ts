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
import { cpuSecondsSince, QUEUE, type Scenario, secondsSince, serverCpuWindow } from './context.js';

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
  return (ctx) =>
    withBoss(async (boss) => {
      const total = ctx.sizes.enqueueSingle;
      const window = await serverCpuWindow(ctx);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      for (let i = 0; i < total; i++) await boss.send(QUEUE, makePayload(i) as unknown as object);
      const seconds = secondsSince(start);
      const cpuSeconds = cpuSecondsSince(cpuStart);
      return { jobs: total, seconds, details: { engine: 'pg-boss', cpuSeconds, ...(await window(total)) } };
    });
}

export function pgBossEnqueueBulk(): Scenario {
  return (ctx) =>
    withBoss(async (boss) => {
      const total = ctx.sizes.enqueueBulk;
      const chunk = ctx.sizes.bulkChunk;
      const window = await serverCpuWindow(ctx);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      for (let seq = 0; seq < total; seq += chunk) {
        await boss.insert(
          QUEUE,
          makeBulk(seq, Math.min(chunk, total - seq)).map((j) => ({ data: j.payload as unknown as object })),
        );
      }
      const seconds = secondsSince(start);
      const cpuSeconds = cpuSecondsSince(cpuStart);
      return {
        jobs: total,
        seconds,
        details: { chunk, engine: 'pg-boss', cpuSeconds, ...(await window(total)) },
      };
    });
}

export function pgBossProcess(concurrency: number): Scenario {
  return (ctx) =>
    withBoss(async (boss) => {
      const total = Math.min(ctx.sizes.process, PGBOSS_PROCESS_CAP);
      for (let seq = 0; seq < total; seq += 1000) {
        await boss.insert(
          QUEUE,
          makeBulk(seq, Math.min(1000, total - seq)).map((j) => ({ data: j.payload as unknown as object })),
        );
      }
      const handledAll = deferred();
      let handled = 0;
      const window = await serverCpuWindow(ctx);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      await boss.work(QUEUE, { localConcurrency: concurrency }, async (jobs) => {
        handled += jobs.length;
        if (handled >= total) handledAll.resolve();
      });
      await handledAll.promise;
      const seconds = secondsSince(start);
      const cpuSeconds = cpuSecondsSince(cpuStart);
      const server = await window(total);
      return {
        jobs: total,
        seconds,
        details: { concurrency, engine: 'pg-boss', cappedAt: PGBOSS_PROCESS_CAP, cpuSeconds, ...server },
      };
    });
}
