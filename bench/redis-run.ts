/**
 * `npm run bench -- --store redis [--quick] [--only ...] [--repeat N] [--no-bullmq]`: runs
 * enqueue-bulk and process-c50 (by default) on redrive's Redis store and then the same with BullMQ
 * on the same Redis, alternating the two so that load from other processes hits both alike; each
 * run is a fresh process, and with `--repeat N` the median run of each side counts. Prints a table
 * of both figures, their ratio against the targets (median >= 3.5x BullMQ, every paired run >= 3x)
 * and the Redis CPU per job of each side (INFO cpu over the timed part; target: redrive's at most
 * 1/4 of BullMQ's), then where the server's time went per command, and writes
 * .bench/redis-results.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { RunArgs } from './args.js';
import { loadAtStart as measureLoadAtStart } from './load.js';
import { medianRun } from './median-run.js';
import {
  BULLMQ_CPU_SHARE_TARGET,
  BULLMQ_MEDIAN_TARGET,
  BULLMQ_PAIRED_TARGET,
  type ComparisonFigures,
  commandBreakdown,
  compare,
  cpuPerJob,
  throughputMet,
} from './redis-comparison.js';
import { benchRedisUrl } from './redis-db.js';
import type { BenchResult } from './result.js';
import { type ScenarioName, scenariosOnStore } from './scenarios.js';
import { REPO_ROOT, runScenario } from './spawn-scenario.js';

/** Scenarios the Redis store runs, and those BullMQ runs too. */
const REDIS_SCENARIOS: readonly ScenarioName[] = [
  'enqueue-single',
  'enqueue-bulk',
  'process-c1',
  'process-c50',
  'latency-same',
  'fail-permanent-c50',
  'fail-retry-c50',
  'fail-permanent-c50-dl1m',
  'fail-retry-c50-dl1m',
];
const BULLMQ_SCENARIOS: ReadonlySet<ScenarioName> = new Set([
  'enqueue-single',
  'enqueue-bulk',
  'process-c1',
  'process-c50',
  'fail-permanent-c50',
  'fail-retry-c50',
]);
const DEFAULT_SCENARIOS: readonly ScenarioName[] = ['enqueue-bulk', 'process-c50'];

const int = (n: number) => Math.round(n).toLocaleString('en-US');
/** One run's figure: p50 for latency scenarios, jobs/s otherwise. */
const runFigure = (r: BenchResult) =>
  r.error ? 'err' : r.p50Ms !== undefined ? `${r.p50Ms}ms` : int(r.jobsPerSec);
/** A run's Redis CPU per job, µs. */
const runCpu = (r: BenchResult) => cpuPerJob(r)?.toFixed(1) ?? '?';
const yesNo = (met: boolean | undefined) => (met === undefined ? '' : met ? 'yes' : 'NO');

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

export async function runRedisComparison(args: RunArgs): Promise<number> {
  const scenarios = scenariosOnStore(args.only, DEFAULT_SCENARIOS, REDIS_SCENARIOS, 'Redis');
  const repeat = args.repeat ?? 1;
  const loadAtStart = measureLoadAtStart(' (both sides alike: runs alternate)');
  const started = performance.now();
  const results: BenchResult[] = [];
  const rows: string[][] = [
    [
      'scenario',
      'jobs',
      'redrive (redis)',
      'BullMQ',
      'ratio',
      'paired runs',
      `met (>= ${BULLMQ_MEDIAN_TARGET}x, each >= ${BULLMQ_PAIRED_TARGET}x)`,
      'Redis CPU µs/job (redrive | BullMQ)',
      `CPU share (<= ${BULLMQ_CPU_SHARE_TARGET})`,
      'runs jobs/s (redrive | BullMQ)',
      'runs CPU µs/job',
    ],
  ];
  const breakdown: string[] = [];
  const summaries: (ComparisonFigures & { scenario: ScenarioName })[] = [];
  for (const scenario of scenarios) {
    const ours: BenchResult[] = [];
    const theirs: BenchResult[] = [];
    const withBullmq = args.bullmq && BULLMQ_SCENARIOS.has(scenario);
    for (let i = 1; i <= repeat; i++) {
      const label = repeat > 1 ? ` run ${i}/${repeat}` : '';
      process.stderr.write(`-- ${scenario} on redis${args.quick ? ' quick' : ''}${label}\n`);
      const run = await runScenario(scenario, 'NORMAL', args.quick, undefined, 'redis');
      process.stdout.write(`${JSON.stringify(run)}\n`);
      ours.push(run);
      if (withBullmq) {
        process.stderr.write(`-- ${scenario} by BullMQ${args.quick ? ' quick' : ''}${label}\n`);
        const other = await runScenario(scenario, 'NORMAL', args.quick, undefined, 'bullmq');
        process.stdout.write(`${JSON.stringify(other)}\n`);
        theirs.push(other);
      }
    }
    const mine = medianRun(ours);
    const bull = withBullmq ? medianRun(theirs) : undefined;
    results.push(mine, ...(bull ? [bull] : []));
    const figure = (r: BenchResult) =>
      r.error ? 'ERROR' : r.p50Ms !== undefined ? `p50 ${r.p50Ms} ms` : `${int(r.jobsPerSec)}/s`;
    const f = compare(mine, bull, ours, theirs);
    summaries.push({ scenario, ...f });
    const cpu = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(1));
    rows.push([
      scenario,
      mine.error ? '' : int(mine.jobs),
      figure(mine),
      bull ? figure(bull) : '',
      f.ratio === undefined ? '' : `${f.ratio.toFixed(2)}x`,
      bull ? f.pairedRatios.map((p) => (p === undefined ? 'err' : `${p.toFixed(2)}x`)).join(' ') : '',
      bull ? yesNo(throughputMet(f)) : '',
      `${cpu(f.cpuPerJob)}${bull ? ` | ${cpu(f.bullmqCpuPerJob)}` : ''}`,
      f.cpuShare === undefined
        ? ''
        : `${f.cpuShare.toFixed(3)} ${yesNo(f.cpuShare <= BULLMQ_CPU_SHARE_TARGET)}`,
      `${ours.map(runFigure).join(' ')}${theirs.length ? ` | ${theirs.map(runFigure).join(' ')}` : ''}`,
      `${ours.map(runCpu).join(' ')}${theirs.length ? ` | ${theirs.map(runCpu).join(' ')}` : ''}`,
    ]);
    breakdown.push(...commandBreakdown(scenario, [mine, ...(bull ? [bull] : [])]));
  }
  const totalSeconds = (performance.now() - started) / 1000;
  const dir = join(REPO_ROOT, '.bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'redis-results.json');
  let redisVersion = '';
  try {
    redisVersion =
      execFileSync('redis-cli', ['-u', benchRedisUrl(), 'info', 'server'], { encoding: 'utf8' })
        .split('\n')
        .find((l) => l.startsWith('redis_version:'))
        ?.slice('redis_version:'.length)
        .trim() ?? '';
  } catch {
    // redis-cli missing: leave the version out
  }
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        meta: {
          date: new Date().toISOString(),
          quick: args.quick,
          repeat,
          redis: benchRedisUrl(),
          redisVersion,
          node: process.version,
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model ?? '',
          loadavgStart: Math.round(loadAtStart * 100) / 100,
          loadavgEnd: Math.round(loadavg()[0]! * 100) / 100,
          totalSeconds: Math.round(totalSeconds),
        },
        comparisons: summaries,
        results,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\n${pad(rows)}\n`);
  if (breakdown.length) {
    process.stdout.write(
      `\nWhere Redis time goes (median run; per job: calls and server µs per command, script commands included in EVALSHA too):\n${breakdown.map((l) => `  ${l}`).join('\n')}\n`,
    );
  }
  process.stdout.write(
    `\n${results.length} results in ${totalSeconds.toFixed(0)} s (load average ${loadAtStart.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}) on ${cpus().length} x ${cpus()[0]?.model ?? ''}, node ${process.version}, Redis ${redisVersion || '?'} at ${benchRedisUrl()}; results in ${file}\n`,
  );
  return results.some((r) => r.error) ? 1 : 0;
}
