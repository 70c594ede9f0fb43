/**
 * The benchmark harness: `npm run bench -- [--quick] [--only <scenario>] [--repeat N]
 * [--full | --no-full | --sync NORMAL|FULL]` (`--help` lists the options).
 *
 * Runs every scenario (or those of `--only`), each in a fresh process (`--repeat N` runs: the
 * median counts; backlog scenarios default to 3) on a fresh SQLite database
 * in the OS temp directory, at synchronous=NORMAL; then the same at FULL when `--full` (or
 * BENCH_FULL=1) is given, or by default when the NORMAL pass took under 3 minutes. Prints each
 * scenario's JSON line as it finishes, then a table against the targets; writes everything to
 * .bench/results.json (the previous file is kept as .bench/results.prev.json and compared with in
 * the `vs prev` column when it was a run of the same size).
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type RunArgs, USAGE } from './args.js';
import { loadAtStart as measureLoadAtStart } from './load.js';
import { medianRun } from './median-run.js';
import { runPostgresComparison } from './postgres-run.js';
import { runRedisComparison } from './redis-run.js';
import type { BenchResult, Synchronous } from './result.js';
import { type ScenarioName, selectScenarios } from './scenarios.js';
import { REPO_ROOT, runScenario } from './spawn-scenario.js';
import { baselineRatio, formatNotes, formatTable } from './table.js';

/** Without --full/--no-full, FULL runs when the NORMAL pass took less than this (total stays ~6 min). */
const AUTO_FULL_BUDGET_S = 180;

interface ResultsFile {
  meta: Record<string, unknown> & { quick: boolean };
  results: BenchResult[];
}

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
}

function readPrevious(path: string, quick: boolean): BenchResult[] | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const file = JSON.parse(readFileSync(path, 'utf8')) as ResultsFile;
    return file.meta?.quick === quick ? file.results : undefined;
  } catch {
    return undefined;
  }
}

/** Backlog figures are compared with each other, so each is the median of several runs by default. */
const DEFAULT_BACKLOG_REPEAT = 3;

async function runPass(
  scenarios: readonly ScenarioName[],
  synchronous: Synchronous,
  args: RunArgs,
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const scenario of scenarios) {
    const repeat = args.repeat ?? (scenario.startsWith('backlog') ? DEFAULT_BACKLOG_REPEAT : 1);
    const runs: BenchResult[] = [];
    for (let i = 1; i <= repeat; i++) {
      const label = repeat > 1 ? ` run ${i}/${repeat}` : '';
      process.stderr.write(`-- ${scenario} (${synchronous})${args.quick ? ' quick' : ''}${label}\n`);
      const run = await runScenario(scenario, synchronous, args.quick);
      runs.push(run);
      process.stdout.write(`${JSON.stringify(run)}\n`);
    }
    results.push(medianRun(runs));
  }
  return results;
}

async function main(): Promise<number> {
  let args: RunArgs;
  let scenarios: ScenarioName[];
  try {
    args = parseArgs(process.argv.slice(2));
    scenarios = selectScenarios(args.only);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    if (!(error as Error).message.includes('usage:')) process.stderr.write(USAGE);
    return 2;
  }
  if (args.store === 'redis') return runRedisComparison(args);
  if (args.store === 'postgres') return runPostgresComparison(args);

  const loadAtStart = measureLoadAtStart();
  const started = performance.now();
  const runNormal = args.sync !== 'FULL';
  const results = runNormal ? await runPass(scenarios, 'NORMAL', args) : [];
  const normalSeconds = (performance.now() - started) / 1000;
  const runFull =
    args.sync === undefined ? (args.full ?? normalSeconds < AUTO_FULL_BUDGET_S) : args.sync === 'FULL';
  if (runFull) results.push(...(await runPass(scenarios, 'FULL', args)));
  else if (args.sync === undefined) {
    process.stderr.write(
      `-- skipping synchronous=FULL (${args.full === false ? 'disabled' : `NORMAL pass took ${normalSeconds.toFixed(0)} s`}; pass --full to force)\n`,
    );
  }
  const totalSeconds = (performance.now() - started) / 1000;

  for (const result of results) {
    const ratio = baselineRatio(results, result);
    if (ratio !== undefined) result.details = { ...result.details, ratioVsBaseline: ratio };
  }

  const dir = join(REPO_ROOT, '.bench');
  const file = join(dir, 'results.json');
  const previousFile = join(dir, 'results.prev.json');
  mkdirSync(dir, { recursive: true });
  if (existsSync(file)) renameSync(file, previousFile);
  const previous = readPrevious(previousFile, args.quick);
  const cpu = cpus();
  const output: ResultsFile = {
    meta: {
      date: new Date().toISOString(),
      quick: args.quick,
      passes: [...(runNormal ? ['NORMAL'] : []), ...(runFull ? ['FULL'] : [])],
      repeat: args.repeat ?? `1 (backlog: ${DEFAULT_BACKLOG_REPEAT})`,
      totalSeconds: Math.round(totalSeconds),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? '',
      loadavgStart: Math.round(loadAtStart * 100) / 100,
      loadavgEnd: Math.round(loadavg()[0]! * 100) / 100,
      tmpdir: tmpdir(),
      commit: git('rev-parse', '--short', 'HEAD'),
      uncommittedSrc: git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean),
    },
    results,
  };
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);

  process.stdout.write(`\n${formatTable(results, previous)}\n`);
  const notes = formatNotes(results);
  if (notes.length > 0) process.stdout.write(`\n${notes.map((n) => `* ${n}`).join('\n')}\n`);
  const dirty = output.meta.uncommittedSrc as string[];
  process.stdout.write(
    `\n${results.length} runs in ${totalSeconds.toFixed(0)} s on ${output.meta.cpus} x ${output.meta.cpuModel}, ` +
      `node ${process.version}, commit ${output.meta.commit}${dirty.length ? ` + uncommitted src changes (${dirty.length} files)` : ''}; ` +
      `results in ${file}\n`,
  );
  return results.some((r) => r.error) ? 1 : 0;
}

process.exitCode = await main();
