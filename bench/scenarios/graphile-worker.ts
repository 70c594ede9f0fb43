/**
 * graphile-worker 0.18 (a dev dependency of the benchmark only) doing redrive's PostgreSQL
 * scenarios on the same server, in a fresh schema: enqueue-single (`addJob` awaited one at a
 * time), enqueue-bulk (`addJobs` in calls of 1,000) and process-c1/c50 (a runner at that
 * concurrency draining a pre-filled queue through a no-op task). Two configurations: its defaults,
 * and its documented batching (`localQueue.size` = concurrency + 1, `completeJobBatchDelay: 0`).
 */
import { makeWorkerUtils, run, type WorkerUtils } from 'graphile-worker';
import { makeBulk, makePayload } from '../payload.js';
import { adminQuery, benchPostgresUrl, freshSchemaName } from '../postgres-db.js';
import { deferred, sleep } from '../wait.js';
import { cpuSecondsSince, QUEUE, type Scenario, secondsSince, serverCpuWindow } from './context.js';

type Mode = 'defaults' | 'batched';

async function withUtils<T>(fn: (utils: WorkerUtils, schema: string) => Promise<T>): Promise<T> {
  const schema = freshSchemaName('graphile');
  const utils = await makeWorkerUtils({ connectionString: benchPostgresUrl(), schema });
  try {
    await utils.migrate();
    return await fn(utils, schema);
  } finally {
    await utils.release();
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
}

async function countJobs(utils: WorkerUtils, schema: string): Promise<number> {
  return utils.withPgClient(async (client) => {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${schema}"._private_jobs`);
    return rows[0].n as number;
  });
}

export function graphileEnqueueSingle(): Scenario {
  return (ctx) =>
    withUtils(async (utils, schema) => {
      const total = ctx.sizes.enqueueSingle;
      const window = await serverCpuWindow(ctx);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      for (let i = 0; i < total; i++) await utils.addJob(QUEUE, makePayload(i));
      const seconds = secondsSince(start);
      const cpuSeconds = cpuSecondsSince(cpuStart);
      const server = await window(total);
      const stored = await countJobs(utils, schema);
      if (stored !== total) throw new Error(`expected ${total} jobs, found ${stored}`);
      return { jobs: total, seconds, details: { engine: 'graphile-worker', cpuSeconds, ...server } };
    });
}

export function graphileEnqueueBulk(): Scenario {
  return (ctx) =>
    withUtils(async (utils, schema) => {
      const total = ctx.sizes.enqueueBulk;
      const chunk = ctx.sizes.bulkChunk;
      const window = await serverCpuWindow(ctx);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      for (let seq = 0; seq < total; seq += chunk) {
        await utils.addJobs(
          makeBulk(seq, Math.min(chunk, total - seq)).map((j) => ({ identifier: QUEUE, payload: j.payload })),
        );
      }
      const seconds = secondsSince(start);
      const cpuSeconds = cpuSecondsSince(cpuStart);
      const server = await window(total);
      const stored = await countJobs(utils, schema);
      if (stored !== total) throw new Error(`expected ${total} jobs, found ${stored}`);
      return { jobs: total, seconds, details: { chunk, engine: 'graphile-worker', cpuSeconds, ...server } };
    });
}

export function graphileProcess(concurrency: number, mode: Mode): Scenario {
  return (ctx) =>
    withUtils(async (utils, schema) => {
      const total = ctx.sizes.process;
      for (let seq = 0; seq < total; seq += 1000) {
        await utils.addJobs(
          makeBulk(seq, Math.min(1000, total - seq)).map((j) => ({ identifier: QUEUE, payload: j.payload })),
        );
      }
      await adminQuery(`VACUUM ANALYZE "${schema}"._private_jobs`);
      await sleep(250);
      const handledAll = deferred();
      let handled = 0;
      const window = await serverCpuWindow(ctx);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const runner = await run({
        connectionString: benchPostgresUrl(),
        schema,
        concurrency,
        noHandleSignals: true,
        pollInterval: 2000,
        taskList: {
          [QUEUE]: async () => {
            handled++;
            if (handled === total) handledAll.resolve();
          },
        },
        ...(mode === 'batched'
          ? { preset: { worker: { localQueue: { size: concurrency + 1 }, completeJobBatchDelay: 0 } } }
          : {}),
        logger: undefined,
      });
      await handledAll.promise;
      await runner.stop();
      const seconds = secondsSince(start);
      const cpu = process.cpuUsage(cpuStart);
      const server = await window(total);
      const left = await countJobs(utils, schema);
      if (left !== 0) throw new Error(`expected every job completed (deleted), ${left} left`);
      return {
        jobs: total,
        seconds,
        details: {
          concurrency,
          mode,
          engine: 'graphile-worker',
          cpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 1000) / 1000,
          ...server,
        },
      };
    });
}
