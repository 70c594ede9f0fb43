/**
 * `npm run bench:peers -- [--quick] [--repeat N] [--stores sqlite,redis,postgres] [--only <scenario>,...]`:
 * redrive on each store against its peers on the same server: plainjob (SQLite), BullMQ (the same
 * Redis), graphile-worker, with its defaults and batched, and pg-boss (the same PostgreSQL).
 * Scenarios enqueue-single, enqueue-bulk, process-c1 and process-c50, each run in a fresh process,
 * alternating the systems run by run (comparePeers) so that load from other processes hits all
 * alike; the median and range of `--repeat` runs (default 3) and redrive's ratio per scenario.
 * Writes bench/results/<date>-<machine>.md with the machine, the load, the versions and the
 * durability settings of every system, and prints it.
 *
 * `--reuse <file>` (repeatable) takes the runs of a scenario from the JSON lines an earlier
 * invocation printed, where that file has runs of every system of the scenario, instead of running
 * it again: a long report can be finished in parts (say, PostgreSQL with fewer repeats).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { medianRun } from './median-run.js';
import { describeSystems, load1, machine, packageVersion } from './peers-environment.js';
import { type Comparison, comparePeers, type Peer, POSTGRES_PEERS } from './postgres-run.js';
import type { BenchResult } from './result.js';
import { isScenario, type ScenarioName } from './scenarios.js';
import { REPO_ROOT } from './spawn-scenario.js';

const SCENARIOS: readonly ScenarioName[] = ['enqueue-single', 'enqueue-bulk', 'process-c1', 'process-c50'];
const ALL = Object.fromEntries(SCENARIOS.map((s) => [s, undefined]));

/** Per store: redrive's `--store` name, its label, and its peers. */
const STORES: Record<string, { label: string; peers: readonly Peer[] }> = {
  sqlite: { label: 'SQLite', peers: [{ name: 'plainjob', scenarios: ALL }] },
  redis: { label: 'Redis', peers: [{ name: 'bullmq', scenarios: ALL }] },
  postgres: { label: 'PostgreSQL', peers: POSTGRES_PEERS },
};

const USAGE = `usage: npm run bench:peers -- [--quick] [--repeat N] [--stores sqlite,redis,postgres] [--only <scenario>,...]
  --quick     sizes divided by 10
  --repeat N  runs per system and scenario (default 3; the median counts, the range is shown)
  --stores    which stores (default all three; a store that does not answer is skipped and named)
  --only      scenarios among ${SCENARIOS.join(', ')}
  --reuse F   take a scenario's runs from the JSON lines of an earlier run's output F (repeatable)
  --no-run    with --reuse: run nothing, report what F holds (a scenario it lacks is named as not run)
`;

interface PeerArgs {
  quick: boolean;
  repeat: number;
  stores: string[];
  scenarios: ScenarioName[];
  reuse: string[];
  /** Only assemble the report from `reuse`; a scenario without runs there is listed as not run. */
  noRun: boolean;
}

function parse(argv: readonly string[]): PeerArgs {
  const args: PeerArgs = {
    quick: false,
    repeat: 3,
    stores: Object.keys(STORES),
    scenarios: [...SCENARIOS],
    reuse: [],
    noRun: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--quick') args.quick = true;
    else if (arg === '--repeat') {
      args.repeat = Number(value());
      if (!Number.isInteger(args.repeat) || args.repeat < 1)
        throw new Error('--repeat needs a positive integer');
    } else if (arg === '--stores') {
      args.stores = value().split(',');
      for (const s of args.stores) if (!STORES[s]) throw new Error(`unknown store ${s}\n${USAGE}`);
    } else if (arg === '--only') {
      const names = value().split(',');
      for (const n of names)
        if (!isScenario(n) || !SCENARIOS.includes(n)) throw new Error(`unknown scenario ${n}\n${USAGE}`);
      args.scenarios = names as ScenarioName[];
    } else if (arg === '--reuse') args.reuse.push(value());
    else if (arg === '--no-run') args.noRun = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return args;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

function range(runs: readonly BenchResult[]): string {
  const ok = runs.filter((r) => !r.error).map((r) => r.jobsPerSec);
  const failed = runs.length - ok.length;
  const span = ok.length ? `${int(Math.min(...ok))}–${int(Math.max(...ok))} (${ok.length})` : '';
  return failed ? `${span}${span ? ', ' : ''}${failed} failed` : span;
}

/** Runs printed by earlier invocations, by `scenario|system`, in the order they ran. */
function readRuns(files: readonly string[]): Map<string, BenchResult[]> {
  const runs = new Map<string, BenchResult[]>();
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const r = JSON.parse(line) as BenchResult;
      const key = `${r.scenario}|${r.store ?? 'sqlite'}`;
      runs.set(key, [...(runs.get(key) ?? []), r]);
    }
  }
  return runs;
}

/** The comparison from earlier runs, when they hold every system of the scenario. */
function reused(
  runs: ReadonlyMap<string, BenchResult[]>,
  scenario: ScenarioName,
  store: string,
  peers: readonly Peer[],
): Comparison | undefined {
  const active = peers.filter((p) => scenario in p.scenarios);
  const ours = runs.get(`${scenario}|${store}`);
  const theirs = active.map((p) => runs.get(`${scenario}|${p.name}`));
  if (!ours || theirs.some((t) => !t)) return undefined;
  return {
    scenario,
    ours: medianRun(ours),
    oursRuns: ours,
    peers: active.map((peer, i) => ({
      peer,
      result: medianRun(theirs[i]!),
      runs: theirs[i]!,
      target: peer.scenarios[scenario],
    })),
  };
}

function perCpu(r: BenchResult): string {
  const cpu = r.details?.cpuSeconds;
  return typeof cpu === 'number' && cpu > 0 && !r.error ? int(r.jobs / cpu) : '';
}

const median = (r: BenchResult) => (r.error ? `error: ${r.error.slice(0, 60)}` : `${int(r.jobsPerSec)}/s`);

function storeTable(comparisons: readonly Comparison[]): string {
  const rows = [
    '| scenario | system | jobs | median jobs/s | range | redrive ÷ system | redrive jobs/CPU-s |',
    '|---|---|--:|--:|--:|--:|--:|',
  ];
  for (const c of comparisons) {
    rows.push(
      `| ${c.scenario} | **redrive** | ${int(c.ours.jobs)} | ${median(c.ours)} | ${range(c.oursRuns)} | | ${perCpu(c.ours)} |`,
    );
    for (const p of c.peers) {
      const ratio =
        !p.result.error && !c.ours.error && p.result.jobsPerSec > 0
          ? `${(c.ours.jobsPerSec / p.result.jobsPerSec).toFixed(2)}x`
          : '';
      rows.push(
        `| | ${p.peer.name} | ${int(p.result.jobs)} | ${median(p.result)} | ${range(p.runs)} | ${ratio} | |`,
      );
    }
  }
  return rows.join('\n');
}

async function main(): Promise<number> {
  let args: PeerArgs;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const started = new Date();
  const loadStart = load1();
  const host = machine();
  const { lines, unreachable } = await describeSystems(args.stores);
  const previous = readRuns(args.reuse);
  const sections: string[] = [];
  const loads: number[] = [loadStart];
  let failed = false;
  for (const store of args.stores) {
    const { label, peers } = STORES[store]!;
    if (unreachable.has(store)) {
      sections.push(`### ${label}\n\nnot run: ${unreachable.get(store)}`);
      continue;
    }
    const comparisons: Comparison[] = [];
    const notRun: ScenarioName[] = [];
    for (const scenario of args.scenarios) {
      const earlier = reused(previous, scenario, store, peers);
      if (!earlier && args.noRun) {
        notRun.push(scenario);
        continue;
      }
      const c =
        earlier ?? (await comparePeers(scenario, store, peers, { quick: args.quick, repeat: args.repeat }));
      comparisons.push(c);
      for (const r of [...c.oursRuns, ...c.peers.flatMap((p) => p.runs)]) {
        if (r.load1 !== undefined) loads.push(r.load1);
        failed ||= r.error !== undefined;
      }
    }
    const missing = notRun.length ? `\n\nNot run: ${notRun.join(', ')}.` : '';
    sections.push(`### ${label}\n\n${storeTable(comparisons)}${missing}`);
  }
  const minutes = (Date.now() - started.getTime()) / 60_000;
  const date = started.toISOString().slice(0, 10);
  // The options that shaped the figures; the files given to --reuse are local paths, not for a report.
  const shown = process.argv
    .slice(2)
    .filter((a, i, all) => a !== '--reuse' && all[i - 1] !== '--reuse' && a !== '--no-run');
  const report = `# Peer benchmark, ${date}

\`npm run bench:peers${shown.length ? ` -- ${shown.join(' ')}` : ''}\`${args.reuse.length ? ' (assembled with --reuse from the output of earlier runs)' : ''}: redrive ${packageVersion('redrive')} on each store
against its peers on the same server, ~100-byte payloads, no-op handlers. Each system runs each
scenario ${args.repeat} times (a report finished in parts with --reuse may hold more or fewer: the number of runs follows each range) in a fresh process on a fresh database (SQLite file, Redis prefix,
PostgreSQL schema), the systems alternating run by run; the median run counts and the range spans
all runs.${args.quick ? ' Sizes divided by 10 (`--quick`).' : ''}

- **enqueue-single**: one job per awaited call; **enqueue-bulk**: calls of 1,000 jobs;
- **process-c1 / process-c50**: a pre-filled queue drained at concurrency 1 / 50, enqueue excluded;
- **redrive jobs/CPU-s**: jobs per CPU-second of redrive's own process while it drains (the
  database server's CPU not included), a figure a loaded machine stretches far less than wall time.

Machine: ${host.description}. Load average (1 min) ${Math.min(...loads)}–${Math.max(...loads)} during the
run (${args.noRun ? 'assembled from earlier runs' : `started at ${loadStart}; ${minutes.toFixed(0)} minutes`}). The machine was shared: wall-clock
figures of every system are lower than on an idle one, alike for all since runs alternate.

## Systems

| store | system | version | durability |
|---|---|---|---|
${lines.map((l) => `| ${l.store} | ${l.system} | ${l.version} | ${l.durability} |`).join('\n')}

## Results

${sections.join('\n\n')}
`;
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date}-${host.label}.md`);
  writeFileSync(file, report);
  process.stdout.write(`\n${report}\nwritten to ${file}\n`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
