/**
 * `npm run bench -- --store postgres [--quick] [--only ...] [--repeat N] [--no-peers]`: runs the
 * SQLite bench's scenarios on redrive's PostgreSQL store, and (unless `--no-peers`) each peer's
 * version of the same scenario on the same server, alternating redrive and the peers run by run so
 * that load from other processes hits all alike. Each run is a fresh process on a fresh schema;
 * with `--repeat N` the median run of each side counts. Prints the JSON line of every run, then a
 * table of the figures and each peer's ratio against its target, and writes
 * .bench/postgres-results.json.
 *
 * The peers and targets are data (PEERS below), so a report across stores can reuse
 * {@link comparePeers} with other tables.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { RunArgs } from './args.js';
import { loadAtStart as measureLoadAtStart } from './load.js';
import { medianRun } from './median-run.js';
import { benchPostgresUrl } from './postgres-db.js';
import type { BenchResult } from './result.js';
import { type ScenarioName, scenariosOnStore } from './scenarios.js';
import { REPO_ROOT, runScenario } from './spawn-scenario.js';

/** A peer engine: the scenarios it runs and redrive's target against it (a jobs/s factor). */
export interface Peer {
  /** The `--store` name of its scenarios in bench/scenario.ts. */
  name: string;
  scenarios: Partial<Record<ScenarioName, number | undefined>>;
}

/** The PostgreSQL peers, with the targets (redrive >= factor x the peer) where there is one. */
export const POSTGRES_PEERS: readonly Peer[] = [
  {
    name: 'graphile-worker',
    scenarios: { 'enqueue-single': 2, 'enqueue-bulk': 2, 'process-c1': undefined, 'process-c50': 10 },
  },
  { name: 'graphile-worker-batched', scenarios: { 'process-c1': undefined, 'process-c50': 1.5 } },
  {
    name: 'pg-boss',
    scenarios: {
      'enqueue-single': undefined,
      'enqueue-bulk': undefined,
      'process-c1': undefined,
      'process-c50': undefined,
    },
  },
];

/** Scenarios the PostgreSQL store runs (the SQLite bench's, minus the SQLite-specific ones). */
const POSTGRES_SCENARIOS: readonly ScenarioName[] = [
  'enqueue-single',
  'enqueue-bulk',
  'process-c1',
  'process-c50',
  'process-c50-tx',
  'latency-same',
  'latency-cross',
  'backlog-10k',
  'backlog-1m',
  'fail-permanent-c50',
  'fail-retry-c50',
];
const DEFAULT_SCENARIOS: readonly ScenarioName[] = [
  'enqueue-single',
  'enqueue-bulk',
  'process-c1',
  'process-c50',
  'latency-cross',
];

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const figure = (r: BenchResult) =>
  r.error ? 'ERROR' : r.p50Ms !== undefined ? `p50 ${r.p50Ms} ms` : `${int(r.jobsPerSec)}/s`;

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

/** One scenario's medians: redrive's and each peer's. */
export interface Comparison {
  scenario: ScenarioName;
  ours: BenchResult;
  /** Every run of redrive, in order. */
  oursRuns: BenchResult[];
  peers: { peer: Peer; result: BenchResult; runs: BenchResult[]; target: number | undefined }[];
}

/**
 * Runs `scenario` on `store` and on each peer that has it, alternately, `repeat` times; returns the
 * median of each side. Every run's JSON line goes to stdout as it finishes.
 */
export async function comparePeers(
  scenario: ScenarioName,
  store: string,
  peers: readonly Peer[],
  args: Pick<RunArgs, 'quick'> & { repeat: number },
): Promise<Comparison> {
  const ours: BenchResult[] = [];
  const theirs = new Map<Peer, BenchResult[]>();
  const active = peers.filter((p) => scenario in p.scenarios);
  for (let i = 1; i <= args.repeat; i++) {
    const label = args.repeat > 1 ? ` run ${i}/${args.repeat}` : '';
    for (const side of [store, ...active.map((p) => p.name)]) {
      process.stderr.write(`-- ${scenario} on ${side}${args.quick ? ' quick' : ''}${label}\n`);
      const run = await runScenario(scenario, 'NORMAL', args.quick, undefined, side);
      process.stdout.write(`${JSON.stringify(run)}\n`);
      if (side === store) ours.push(run);
      else {
        const peer = active.find((p) => p.name === side)!;
        theirs.set(peer, [...(theirs.get(peer) ?? []), run]);
      }
    }
  }
  return {
    scenario,
    ours: medianRun(ours),
    oursRuns: ours,
    peers: active.map((peer) => ({
      peer,
      result: medianRun(theirs.get(peer) ?? []),
      runs: theirs.get(peer) ?? [],
      target: peer.scenarios[scenario],
    })),
  };
}

/** Table rows of comparisons: one row for redrive, one per peer with its ratio and target. */
export function comparisonRows(comparisons: readonly Comparison[], storeLabel: string): string[][] {
  const rows: string[][] = [['scenario', 'engine', 'jobs', 'figure', 'redrive / peer', 'target', 'met']];
  for (const c of comparisons) {
    rows.push([c.scenario, storeLabel, c.ours.error ? '' : int(c.ours.jobs), figure(c.ours), '', '', '']);
    for (const { peer, result, target } of c.peers) {
      const latency = c.ours.p50Ms !== undefined;
      const ratio =
        !result.error && !c.ours.error && result.jobsPerSec > 0 && !latency
          ? c.ours.jobsPerSec / result.jobsPerSec
          : undefined;
      rows.push([
        '',
        peer.name,
        result.error ? '' : int(result.jobs),
        figure(result),
        ratio === undefined ? '' : `${ratio.toFixed(2)}x`,
        target === undefined ? '' : `>= ${target}x`,
        ratio === undefined || target === undefined ? '' : ratio >= target ? 'yes' : 'NO',
      ]);
    }
  }
  return rows;
}

export async function runPostgresComparison(args: RunArgs): Promise<number> {
  const scenarios = scenariosOnStore(args.only, DEFAULT_SCENARIOS, POSTGRES_SCENARIOS, 'PostgreSQL');
  const repeat = args.repeat ?? 1;
  const loadAtStart = measureLoadAtStart(' (every side alike: runs alternate)');
  const started = performance.now();
  const peers = args.peers ? POSTGRES_PEERS : [];
  const comparisons: Comparison[] = [];
  for (const scenario of scenarios)
    comparisons.push(await comparePeers(scenario, 'postgres', peers, { quick: args.quick, repeat }));
  const totalSeconds = (performance.now() - started) / 1000;
  const dir = join(REPO_ROOT, '.bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'postgres-results.json');
  const results = comparisons.flatMap((c) => [c.ours, ...c.peers.map((p) => p.result)]);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        meta: {
          date: new Date().toISOString(),
          quick: args.quick,
          repeat,
          postgres: benchPostgresUrl().replace(/\/\/([^@/]*)@/, '//***@'),
          node: process.version,
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model ?? '',
          loadavgStart: Math.round(loadAtStart * 100) / 100,
          loadavgEnd: Math.round(loadavg()[0]! * 100) / 100,
          totalSeconds: Math.round(totalSeconds),
        },
        results,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\n${pad(comparisonRows(comparisons, 'redrive (postgres)'))}\n`);
  process.stdout.write(
    `\n${results.length} results in ${totalSeconds.toFixed(0)} s on ${cpus().length} x ${cpus()[0]?.model ?? ''}, node ${process.version}, load ${loadAtStart.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}; results in ${file}\n`,
  );
  return results.some((r) => r.error) ? 1 : 0;
}
