/**
 * `redrive stats`: how many jobs each queue holds in each state.
 */
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.js';
import { emptyJobCounts, JOB_STATES, type JobCounts } from '../../core/job.js';
import type { LeaderLease } from '../../store/leader-store.js';
import { STORE_HELP } from '../common.js';
import { formatTable, printJson } from '../format.js';
import { missingStoreError, openStore, parseStoreUrl, resolveStoreUrl, storeExists } from '../store-url.js';

interface StatsOptions {
  json?: boolean;
  store?: string;
}

/** One queue's line of `redrive stats --json`. */
export interface QueueStats extends JobCounts {
  name: string;
  paused: boolean;
  total: number;
}

/** What `redrive stats --json` prints. */
export interface StatsReport {
  store: string;
  queues: QueueStats[];
  totals: JobCounts & { total: number };
  /** Who leads the store's maintenance, and when each service last ran; null while nobody leads. */
  leader: LeaderLease | null;
}

function total(counts: JobCounts): number {
  return JOB_STATES.reduce((n, state) => n + counts[state], 0);
}

/**
 * Reads the counts of every queue in the store at `url`.
 *
 * @throws CliError (exit 1) when the SQLite file does not exist, as every reading command does
 */
export async function readStats(url: string): Promise<StatsReport> {
  const location = parseStoreUrl(url);
  if (!storeExists(location)) throw missingStoreError(location);
  const totals = emptyJobCounts();
  const queues: QueueStats[] = [];
  const store = openStore(location);
  let leader: LeaderLease | null = null;
  try {
    leader = await store.getLeader({ now: systemClock.now() });
    for (const queue of await store.listQueues()) {
      const counts = await store.countJobs({ queue: queue.name });
      for (const state of JOB_STATES) totals[state] += counts[state];
      queues.push({ name: queue.name, paused: queue.paused, ...counts, total: total(counts) });
    }
  } finally {
    await store.close();
  }
  return { store: location.url, queues, totals: { ...totals, total: total(totals) }, leader };
}

/** One line on the store's maintenance: who leads, and how long ago each service last ran. */
function maintenanceLine(leader: LeaderLease | null, now: number): string {
  if (!leader) return 'maintenance: nobody leads (no worker or `redrive maintain` is running)';
  const runs = Object.entries(leader.serviceRuns)
    .map(([name, at]) => `${name} ${Math.max(0, Math.round((now - at) / 1000))}s ago`)
    .join(', ');
  return `maintenance: led by ${leader.holder} (epoch ${leader.epoch})${runs ? `; last runs: ${runs}` : ''}`;
}

/** Registers `stats` on the program. */
export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('count the jobs of every queue in each state')
    .option('--json', 'print JSON instead of a table')
    .option('--store <url>', STORE_HELP)
    .addHelpText(
      'after',
      `
A store that does not exist is an error (exit 1); it is not created.

Examples:
  redrive stats
  redrive stats --json
  redrive stats --store sqlite:/var/lib/app/jobs.db`,
    )
    .action(async (options: StatsOptions) => {
      const report = await readStats(resolveStoreUrl(options.store));
      if (options.json) {
        printJson(report);
        return;
      }
      if (report.queues.length === 0) {
        process.stdout.write(`no queues in ${report.store}\n`);
        return;
      }
      const header = ['QUEUE', 'PAUSED', ...JOB_STATES.map((s) => s.toUpperCase()), 'TOTAL'];
      const row = (name: string, paused: string, counts: JobCounts & { total: number }) => [
        name,
        paused,
        ...JOB_STATES.map((s) => counts[s]),
        counts.total,
      ];
      const rows = report.queues.map((q) => row(q.name, q.paused ? 'yes' : 'no', q));
      if (report.queues.length > 1) rows.push(row('(all)', '', report.totals));
      process.stdout.write(`${formatTable(header, rows)}\n`);
      process.stdout.write(`${maintenanceLine(report.leader, systemClock.now())}\n`);
    });
}
