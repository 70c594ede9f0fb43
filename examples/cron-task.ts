/**
 * A cron task: a `PeriodicScheduler` enqueues a `report` job every second (a 6-field cron
 * expression, seconds first) and a worker runs it, printing one line per run. Every instance of
 * an app can run the same scheduler: each slot becomes one job, whichever process enqueues it
 * first. Stops cleanly on SIGTERM or SIGINT.
 *
 *   npx tsx examples/cron-task.ts        (DATA_DIR for the database)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PeriodicScheduler, Queue, SqliteStore, Worker } from '../src/index.js';

const dataDir = process.env.DATA_DIR ?? join(process.cwd(), 'data');
mkdirSync(dataDir, { recursive: true });
const store = new SqliteStore({ path: join(dataDir, 'cron-task.db') });
const queue = new Queue<{ slot: string }>('reports', { store });

const scheduler = new PeriodicScheduler({ queue });
scheduler.add({
  name: 'every-second-report',
  cron: '* * * * * *',
  jobName: 'report',
  payload: ({ slotAt }) => ({ slot: new Date(slotAt).toISOString() }),
});

const worker = new Worker<{ slot: string }>(
  'reports',
  async (job) => {
    console.log(`report for slot ${job.payload.slot} (job ${job.id})`);
    return { ok: true };
  },
  { store },
);

scheduler.start();
console.log('scheduled every-second-report: cron "* * * * * *" on queue reports');

async function shutdown(): Promise<void> {
  await scheduler.stop();
  await worker.close();
  await store.close();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
