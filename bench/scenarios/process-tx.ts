/**
 * process-c50-tx: process-c50 where each handler writes one row to an application table through
 * `job.transaction`, so the row and the job's completion commit together (SQLite: the store's
 * connection, as when the store is opened on the application's database; PostgreSQL: a pooled
 * client in BEGIN … COMMIT). Each job then costs its own transaction instead of a share of a
 * batched completion: the figure next to process-c50 is the price of exactly-once effects.
 */
import Database from 'better-sqlite3';
import type pg from 'pg';
import { type ActiveJob, PostgresStore, Queue, type Store } from '../../src/index.js';
import type { BenchPayload } from '../payload.js';
import { expectCount, QUEUE, type Scenario } from './context.js';
import { drain } from './drain.js';
import { prefill } from './prefill.js';

const CONCURRENCY = 50;

/** Creates the application table and returns the handler's transactional write. */
async function effectWriter(store: Store): Promise<(job: ActiveJob) => Promise<unknown>> {
  if (store instanceof PostgresStore) {
    await store.ready();
    const table = `"${store.schema}".bench_effects`;
    await store.pool.query(`CREATE TABLE IF NOT EXISTS ${table} (job_id bigint NOT NULL)`);
    const insert = { name: 'bench_effect', text: `INSERT INTO ${table} (job_id) VALUES ($1)` };
    return (job) => job.transaction((client: pg.PoolClient) => client.query({ ...insert, values: [job.id] }));
  }
  const statements = new WeakMap<Database.Database, Database.Statement>();
  return (job) =>
    job.transaction((db: Database.Database) => {
      let insert = statements.get(db);
      if (!insert) {
        db.exec('CREATE TABLE IF NOT EXISTS bench_effects (job_id INTEGER NOT NULL)');
        insert = db.prepare('INSERT INTO bench_effects (job_id) VALUES (?)');
        statements.set(db, insert);
      }
      return insert.run(Number(job.id));
    });
}

/** Rows the handlers wrote (`path`: the SQLite file). */
async function effectCount(store: Store, path: string): Promise<number> {
  if (store instanceof PostgresStore) {
    const { rows } = await store.pool.query(`SELECT count(*)::int AS n FROM "${store.schema}".bench_effects`);
    return (rows[0] as { n: number }).n;
  }
  const file = new Database(path, { readonly: true });
  try {
    return file.prepare('SELECT count(*) FROM bench_effects').pluck().get() as number;
  } finally {
    file.close();
  }
}

export const processTxScenario: Scenario = async ({ db, sizes, rss }) => {
  const store = db.open();
  const queue = new Queue<BenchPayload>(QUEUE, { store });
  const total = sizes.process;
  const write = await effectWriter(store);
  rss.mark('prefill');
  await prefill(queue, total);
  await db.settle();
  rss.mark('drain');
  const result = await drain(store, total, {
    concurrency: CONCURRENCY,
    behaviour: write,
    onProgress: () => rss.sample(),
    progressEvery: Math.max(1, Math.floor(total / 20)),
  });
  rss.sample();
  const drainRss = rss.phaseSummary('drain');
  const counts = await queue.getCounts();
  expectCount('completed jobs', counts.completed, total);
  expectCount('application rows', await effectCount(store, db.path), total);
  await store.close();
  return {
    jobs: total,
    seconds: result.seconds,
    details: {
      concurrency: CONCURRENCY,
      eventLoopStallMs: result.eventLoopStallMs,
      cpuSeconds: Math.round(result.cpuSeconds * 1000) / 1000,
      rssDrainGrowthMb: drainRss.growthMb,
      ...(result.errors.length ? { workerErrors: result.errors.slice(0, 5) } : {}),
    },
  };
};
