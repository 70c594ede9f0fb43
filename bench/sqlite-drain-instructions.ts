/**
 * Main-thread instructions per job of a Worker draining a SQLite queue, counted by callgrind (the
 * load of the machine does not change the count, unlike timings on a busy host):
 *
 *   npx tsx bench/sqlite-drain-instructions.ts seed <dir> <jobs> [--kind success|retry|permanent]
 *   valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=<out> \
 *     node --import tsx bench/sqlite-drain-instructions.ts drain <dir> <jobs> [--kind ...] [--concurrency 50]
 *
 * `seed` fills `<dir>/seed-<kind>-<jobs>.db` with `<jobs>` waiting jobs (the benchmark's payload,
 * two attempts with no backoff for `retry`) outside valgrind. `drain` copies it and drains it with a
 * Worker whose handler does what the `fail-*-c50` and `process-*` scenarios' handlers do. Run
 * `drain` with two job counts and divide the difference of the main thread's totals by the
 * difference of the counts: starting Node, opening the store and warming up cancel out.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type JobOptions, PermanentError, Queue, SqliteStore } from '../src/index.js';
import type { BenchPayload } from './payload.js';
import { QUEUE } from './scenarios/context.js';
import { drain } from './scenarios/drain.js';
import { prefill } from './scenarios/prefill.js';
import { settle } from './settle.js';

// As the benchmark runs with BENCH_SOURCE_MAPS=0: the stored stacks are formatted without source maps.
process.setSourceMapsEnabled(false);
const [mode, dir, jobsText, ...args] = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const kind = option('kind', 'retry');
const jobs = Number(jobsText);
if ((mode !== 'seed' && mode !== 'drain') || !dir || !(jobs > 0)) {
  throw new Error('usage: sqlite-drain-instructions.ts seed|drain <dir> <jobs> [--kind K] [--concurrency N]');
}
const seedPath = join(dir, `seed-${kind}-${jobs}.db`);
const RETRY: JobOptions = { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 0, jitter: 'none' } };

if (mode === 'seed') {
  mkdirSync(dir, { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(seedPath + suffix, { force: true });
  const store = new SqliteStore({ path: seedPath });
  const queue = new Queue<BenchPayload>(QUEUE, {
    store,
    ...(kind === 'retry' ? { defaultJobOptions: RETRY } : {}),
  });
  await prefill(queue, jobs);
  await store.close();
  await settle(seedPath, 0);
  console.log(`seeded ${jobs} into ${seedPath}`);
} else {
  if (!existsSync(seedPath)) throw new Error(`no seed: ${seedPath}`);
  const path = join(dir, `run-${process.pid}.db`);
  copyFileSync(seedPath, path);
  const store = new SqliteStore({ path });
  const calls = kind === 'retry' ? jobs * 2 : jobs;
  const result = await drain(store, calls, {
    concurrency: Number(option('concurrency', '50')),
    behaviour:
      kind === 'permanent'
        ? () => {
            throw new PermanentError('the order was rejected by the payment provider');
          }
        : kind === 'retry'
          ? (job) => {
              if (job.attempt === 1)
                throw Object.assign(new Error('upstream returned 503 Service Unavailable'), { status: 503 });
            }
          : undefined,
    committed: (stats) => (kind === 'permanent' ? stats.deadLettered : stats.completed),
    expected: jobs,
  });
  await store.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  console.log(JSON.stringify({ kind, jobs, seconds: result.seconds, errors: result.errors.slice(0, 3) }));
}
