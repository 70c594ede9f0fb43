/**
 * `redrive chaos`: proves on the user's own store that killed workers and cut connections lose no
 * job and complete none twice (src/cli/chaos/). Exit 0 when every check passed, 1 otherwise.
 */
import type { Command } from 'commander';
import type { ChaosReport } from '../chaos/chaos-options.js';
import { runChaos } from '../chaos/run-chaos.js';
import { nonNegativeInt, positiveInt, STORE_HELP } from '../common.js';
import { formatTable, printJson } from '../format.js';
import { resolveStoreUrl } from '../store-url.js';

interface ChaosCommandOptions {
  store?: string;
  jobs: number;
  workers: number;
  kills: number;
  proxy?: boolean;
  cuts?: number;
  seed?: number;
  concurrency: number;
  jobMs: number;
  leaseMs: number;
  heartbeatMs: number;
  json?: boolean;
}

const ms = (value: number | null) => (value === null ? '-' : `${value} ms`);

/** The report as a two-column table, problems last. */
export function formatChaosReport(r: ChaosReport): string {
  const rows: [string, string | number][] = [
    ['store', r.store],
    ['queue', r.queue],
    ['seed', r.seed],
    ['jobs', r.jobs],
    ['workers / kills / cuts', `${r.workers} / ${r.kills} / ${r.cuts}`],
    ['seconds', r.seconds],
    ['completed', r.completed],
    ['dead-lettered', `${r.deadLettered} (${r.failingByDesign} by design, ${r.poisonPills} poison pills)`],
    ['lost', r.lost],
    ['completed twice', r.completedTwice],
    ['dead-letter mismatches', r.deadLetterMismatch],
    ['executions', r.executions],
    ['re-executions', r.reExecutions],
    [
      'kill -> orphan recovered',
      `p50 ${ms(r.recovered.p50Ms)}, max ${ms(r.recovered.maxMs)} (${r.recovered.count} jobs)`,
    ],
    [
      '  ... with no cut overlapping',
      `max ${ms(r.recoveredOutsideCuts.maxMs)} (${r.recoveredOutsideCuts.count} jobs; bound ${r.boundMs} ms)`,
    ],
    [
      'kill -> orphan running again',
      `p50 ${ms(r.rerun.p50Ms)}, max ${ms(r.rerun.maxMs)} (${r.rerun.count} jobs)`,
    ],
  ];
  if (r.integrity !== undefined) rows.push(['integrity_check', r.integrity]);
  const errors = r.workerErrors.reduce((n, e) => n + e.count, 0);
  if (errors > 0) rows.push(['worker errors', `${errors} (most frequent: ${r.workerErrors[0]!.message})`]);
  rows.push(['verdict', r.ok ? 'ok' : `FAILED: ${r.problems.join('; ')}`]);
  return formatTable(['CHECK', 'RESULT'], rows);
}

/** Registers `chaos` on the program. */
export function registerChaos(program: Command): void {
  program
    .command('chaos')
    .description('kill workers (and cut their store connections) while they work; check that no job is lost')
    .option('--store <url>', STORE_HELP)
    .option('--jobs <n>', 'jobs to enqueue', positiveInt(10_000_000), 10_000)
    .option('--workers <n>', 'worker processes', positiveInt(64), 3)
    .option('--kills <n>', 'SIGKILLs of a random worker, each followed by a restart', nonNegativeInt, 5)
    .option('--proxy', 'run the workers through a local TCP proxy and cut it at random moments')
    .option('--cuts <n>', 'connection cuts with --proxy (default 3)', nonNegativeInt)
    .option('--seed <n>', 'seed of the schedule of kills and cuts (default: drawn; printed)', nonNegativeInt)
    .option('--concurrency <n>', 'jobs each worker runs at once', positiveInt(1000), 8)
    .option('--job-ms <n>', 'how long each handler runs', nonNegativeInt, 2)
    .option('--lease-ms <n>', "workers' lease", positiveInt(600_000), 2000)
    .option('--heartbeat-ms <n>', "workers' heartbeat", positiveInt(600_000), 500)
    .option('--json', 'print one JSON object instead of a table')
    .addHelpText(
      'after',
      `
Enqueues the jobs on a fresh queue (chaos-<seed>-<time>, left in the store for inspection) while
worker processes run them; SIGKILLs random workers at random moments (seeded) and restarts them;
with --proxy, also resets or stalls their store connections. Then checks the store: every job
completed or dead-lettered exactly once, none lost; counts re-executions; times each orphan from
the kill to its recovery (must stay under lease + heartbeat unless a cut overlapped it) and to its
next start; and for SQLite
runs PRAGMA integrity_check. 1 % of the jobs fail by design and must end dead-lettered.
Exit 0 when every check passed, 1 otherwise. Point it at a scratch database.

Examples:
  redrive chaos --store sqlite:/tmp/chaos.db
  redrive chaos --store redis://127.0.0.1:6379 --jobs 100000 --proxy
  redrive chaos --store postgres://postgres@127.0.0.1:5432/test?schema=chaos --json
  redrive chaos --store sqlite:/tmp/chaos.db --seed 1234     replays a run's schedule`,
    )
    .action(async (options: ChaosCommandOptions) => {
      const report = await runChaos({
        storeUrl: resolveStoreUrl(options.store),
        jobs: options.jobs,
        workers: options.workers,
        kills: options.kills,
        proxy: options.proxy ?? false,
        ...(options.cuts === undefined ? {} : { cuts: options.cuts }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        concurrency: options.concurrency,
        jobMs: options.jobMs,
        leaseMs: options.leaseMs,
        heartbeatMs: options.heartbeatMs,
        onProgress: (line) => process.stderr.write(`chaos: ${line}\n`),
      });
      if (options.json) printJson(report);
      else process.stdout.write(`${formatChaosReport(report)}\n`);
      if (!report.ok) process.exitCode = 1;
    });
}
