/**
 * `npm start`: redrive on an embedded SQLite database under ./data/. A producer adds jobs to three
 * queues at a steady rate; workers run them, and some fail the way real jobs fail: transiently
 * (retried with backoff, then succeed), permanently (dead-lettered at once), by timing out, or by
 * being rate-limited. The admin server serves the dashboard on 127.0.0.1:7878 (or the next free
 * port) with a random admin token; its URL is printed. Live stats are redrawn every second;
 * Ctrl-C shuts down gracefully.
 *
 *   npm start                         run until Ctrl-C
 *   npm start -- --duration 20        run 20 s, then shut down and print a summary
 *   npm start -- --fresh              start from an empty database
 *   npm start -- --db ./data/x.db     use another database file
 *   npm start -- --port 9000          serve the dashboard from port 9000 (or the next free one)
 *   npm start -- --no-dashboard       no admin server
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Queue, SqliteStore, Worker } from '../src/index.js';
import { type DemoAdmin, startDemoAdmin } from './admin.js';
import { liveFrame, plainLines, summary } from './render.js';
import { createHandler, DEMO_QUEUES, type DemoPayload } from './scenarios.js';
import { DemoStats } from './stats.js';

const USAGE = `usage: npm start -- [--duration <seconds>] [--db <path>] [--fresh] [--port <port>] [--no-dashboard]

  --duration <seconds>  stop after this long, shut down gracefully and print a summary
  --db <path>           database file (default ./data/demo.db)
  --fresh               delete the database file first
  --port <port>         dashboard port (default 7878, or the next free one)
  --no-dashboard        do not start the admin server and dashboard
  --help                show this help`;

/** Producer ticks per second. */
const TICKS_PER_SECOND = 10;
/** How long shutdown waits for running jobs before releasing them to the next run. */
const SHUTDOWN_TIMEOUT_MS = 5000;

interface DemoArgs {
  durationMs: number | undefined;
  path: string;
  fresh: boolean;
  port: number;
  dashboard: boolean;
}

function parseDemoArgs(argv: string[]): DemoArgs {
  let values: {
    duration?: string;
    db?: string;
    fresh?: boolean;
    port?: string;
    'no-dashboard'?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        duration: { type: 'string' },
        db: { type: 'string' },
        fresh: { type: 'boolean' },
        port: { type: 'string' },
        'no-dashboard': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    const seconds = Number(values.duration);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      fail(`--duration must be a positive number of seconds, got ${JSON.stringify(values.duration)}`, 2);
    }
    durationMs = Math.round(seconds * 1000);
  }
  const port = values.port === undefined ? 7878 : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    fail(`--port must be a port number, got ${JSON.stringify(values.port)}`, 2);
  }
  return {
    durationMs,
    path: values.db ?? './data/demo.db',
    fresh: values.fresh ?? false,
    port,
    dashboard: values['no-dashboard'] !== true,
  };
}

function fail(message: string, code: number): never {
  console.error(`demo: ${message}`);
  process.exit(code);
}

const args = parseDemoArgs(process.argv.slice(2));
if (args.fresh) {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${args.path}${suffix}`, { force: true });
}

let store: SqliteStore;
try {
  store = new SqliteStore({ path: args.path });
} catch (error) {
  fail((error as Error).message, 1);
}

const stats = new DemoStats(DEMO_QUEUES.map((q) => q.name));
const queues = DEMO_QUEUES.map(
  (q) => new Queue<DemoPayload>(q.name, { store, defaultJobOptions: q.jobOptions }),
);
const workers = DEMO_QUEUES.map((q) => {
  const worker = new Worker<DemoPayload>(q.name, createHandler(q), {
    store,
    concurrency: q.concurrency,
    // Short backoffs so retries show up within seconds: 200 ms, 400 ms, 800 ms (±20 %).
    backoff: { type: 'exponential', delayMs: 200 },
    shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
    deadLetter: { handlerVersion: 'demo' },
  });
  stats.attach(worker);
  return worker;
});

let stopping = false;

// ---- admin server and dashboard --------------------------------------------------------------

let admin: DemoAdmin | undefined;
if (args.dashboard) {
  try {
    admin = await startDemoAdmin({ store, queues: DEMO_QUEUES, workers, port: args.port });
  } catch (error) {
    console.error(`demo: the dashboard could not start (${(error as Error).message}); running without it`);
  }
}
if (admin) {
  console.log(`redrive dashboard: ${admin.dashboardUrl}`);
  console.log(`  admin token: ${admin.token}   metrics: ${admin.url}metrics (Authorization: Bearer <token>)`);
}

// ---- producer ------------------------------------------------------------------------------

let seq = 0;
const owed = DEMO_QUEUES.map(() => 0);
const producer = setInterval(() => {
  DEMO_QUEUES.forEach((q, i) => {
    owed[i]! += q.rate / TICKS_PER_SECOND;
    const queue = queues[i]!;
    while (owed[i]! >= 1) {
      owed[i]! -= 1;
      const job = q.nextJob(seq++);
      queue.add(job.name, job.payload, job.options).then(
        () => stats.recordAdded(q.name, 1),
        (error: Error) => console.error(`demo: could not add a job to ${q.name}: ${error.message}`),
      );
    }
  });
}, 1000 / TICKS_PER_SECOND);

// ---- live view -----------------------------------------------------------------------------

const tty = process.stdout.isTTY === true;
const startedAt = performance.now();
let drawnLines = 0;

function draw(lines: string[]): void {
  const width = process.stdout.columns || 120;
  const clipped = lines.map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
  const up = drawnLines > 0 ? `\x1b[${drawnLines}F` : '';
  process.stdout.write(`${up}\x1b[J${clipped.join('\n')}\n`);
  drawnLines = clipped.length;
}

let sampling = false;
const view = setInterval(() => {
  if (stopping || sampling) return;
  sampling = true;
  stats
    .sample(store)
    .then((snapshots) => {
      if (stopping) return;
      const elapsedMs = performance.now() - startedAt;
      if (tty) {
        draw(
          liveFrame({
            path: args.path,
            elapsedMs,
            durationMs: args.durationMs,
            snapshots,
            stats,
            dashboardUrl: admin?.dashboardUrl,
          }),
        );
      } else for (const line of plainLines(elapsedMs, snapshots)) console.log(line);
    })
    .catch((error: Error) => console.error(`demo: could not read stats: ${error.message}`))
    .finally(() => {
      sampling = false;
    });
}, 1000);

if (tty) process.stdout.write('\x1b[?25l');
const showCursor = () => {
  if (tty) process.stdout.write('\x1b[?25h');
};
process.on('exit', showCursor);

// ---- shutdown ------------------------------------------------------------------------------

async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(producer);
  clearInterval(view);
  if (durationTimer) clearTimeout(durationTimer);
  const running = workers.reduce((n, w) => n + w.stats().running, 0);
  console.log(
    `\n${reason}: stopping the producer and waiting for ${running} running job(s) (up to ${SHUTDOWN_TIMEOUT_MS / 1000} s)…`,
  );
  let code = 0;
  try {
    // Workers stop claiming, hand prefetched jobs back, and let running ones finish (or release them).
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(queues.map((q) => q.close()));
    await admin?.close();
    const snapshots = await stats.sample(store);
    await store.close();
    const elapsedMs = performance.now() - startedAt;
    for (const line of summary({ path: args.path, elapsedMs, snapshots, stats, reason })) console.log(line);
  } catch (error) {
    console.error(`demo: shutdown failed: ${(error as Error).message}`);
    code = 1;
  }
  process.exit(code);
}

const durationTimer =
  args.durationMs === undefined
    ? undefined
    : setTimeout(() => void shutdown(`stopped after --duration ${args.durationMs! / 1000}`), args.durationMs);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      console.error(`demo: ${signal} again, exiting without waiting (leases expire and jobs run again)`);
      process.exit(130);
    }
    void shutdown(`${signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)'}`);
  });
}

if (!tty) {
  console.log(
    `redrive demo on ${args.path}: ${DEMO_QUEUES.map((q) => `${q.name} ${q.rate} jobs/s`).join(', ')}` +
      (args.durationMs === undefined ? '; Ctrl-C stops gracefully' : `; for ${args.durationMs / 1000} s`),
  );
}
