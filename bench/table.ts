/**
 * The summary table: every result against its target and the reference figures, formatted with
 * padEnd (no table library).
 */
import type { BenchResult } from './result.js';
import { isScenario, RATIO_BASELINES } from './scenarios.js';
import { REFERENCES, TARGETS } from './targets.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number | undefined) => (n === undefined ? '?' : n < 10 ? n.toFixed(2) : n.toFixed(1));

/**
 * A scenario's throughput over its baseline's (backlog-1m over backlog-10k, a `-dl1m` failure
 * scenario over the same without stored dead letters) at the same `synchronous`.
 */
export function baselineRatio(results: readonly BenchResult[], result: BenchResult): number | undefined {
  const baseline = isScenario(result.scenario) ? RATIO_BASELINES[result.scenario] : undefined;
  if (!baseline || result.error) return undefined;
  const base = results.find(
    (r) => r.scenario === baseline && r.synchronous === result.synchronous && r.store === result.store,
  );
  if (!base || base.error || base.jobsPerSec === 0) return undefined;
  return Math.round((result.jobsPerSec / base.jobsPerSec) * 1000) / 1000;
}

/**
 * Jobs per second of this process's CPU time during the drain: on a busy shared machine the wall
 * clock mostly measures the other processes, this figure much less (SQLite work is in-process).
 */
function perCpuSecond(r: BenchResult): string {
  const cpu = r.details?.cpuSeconds;
  return typeof cpu === 'number' && cpu > 0 && !r.error ? int(r.jobs / cpu) : '';
}

/** The figure a scenario is judged by: p50 for latency, jobs/s otherwise. */
function primary(r: BenchResult): { value: number; higherIsBetter: boolean } {
  return r.p50Ms === undefined
    ? { value: r.jobsPerSec, higherIsBetter: true }
    : { value: r.p50Ms, higherIsBetter: false };
}

function versus(r: BenchResult, previous: readonly BenchResult[] | undefined): string {
  const prev = previous?.find((p) => p.scenario === r.scenario && p.synchronous === r.synchronous);
  if (!prev || prev.error || r.error) return '';
  const now = primary(r).value;
  const before = primary(prev).value;
  if (!before) return '';
  const change = ((now - before) / before) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(0)}%`;
}

function row(r: BenchResult, all: readonly BenchResult[], previous: readonly BenchResult[] | undefined) {
  const name = isScenario(r.scenario) ? r.scenario : undefined;
  const target = name ? TARGETS[name] : undefined;
  const ref = name ? REFERENCES[name] : undefined;
  const ratio = baselineRatio(all, r);
  let result: string;
  if (r.error) result = 'ERROR';
  else if (r.p50Ms !== undefined) result = `p50 ${ms(r.p50Ms)} / p99 ${ms(r.p99Ms)} ms`;
  else if (ratio !== undefined) result = `${int(r.jobsPerSec)}/s (${ratio.toFixed(2)}x)`;
  else result = `${int(r.jobsPerSec)}/s`;
  const met = r.error ? 'ERROR' : target ? target.met(r, ratio) : undefined;
  return [
    r.scenario,
    r.synchronous,
    r.error ? '' : int(r.jobs),
    r.error ? '' : r.seconds.toFixed(2),
    result,
    target?.label ?? (Object.values(RATIO_BASELINES).includes(r.scenario as never) ? '(baseline)' : ''),
    met === undefined ? '' : met === true ? 'yes' : met === false ? 'NO' : met,
    r.error ? '' : `${r.peakRssMb.toFixed(0)} MB`,
    r.error ? '' : `${r.rssStartMb.toFixed(0)}->${r.rssEndMb.toFixed(0)}`,
    r.load1 === undefined ? '' : r.load1.toFixed(1),
    perCpuSecond(r),
    versus(r, previous),
    ref?.bullmq ?? '',
    ref?.plainjob ?? '',
  ];
}

const HEADER = [
  'scenario',
  'sync',
  'jobs',
  'seconds',
  'result',
  'target',
  'met',
  'peak RSS',
  'RSS MB start->end',
  'load',
  'jobs/CPU-s',
  'vs prev',
  'BullMQ 6.7',
  'plainjob',
];

export function formatTable(results: readonly BenchResult[], previous?: readonly BenchResult[]): string {
  const rows = [HEADER, ...results.map((r) => row(r, results, previous))];
  const widths = HEADER.map((_, col) => Math.max(...rows.map((cells) => cells[col]!.length)));
  const numeric = new Set([2, 3, 7, 9, 10]);
  const line = (cells: string[]) =>
    cells
      .map((cell, col) => (numeric.has(col) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/** Notes worth reading below the table: failures, worker errors, loop stalls, RSS growth. */
export function formatNotes(results: readonly BenchResult[]): string[] {
  const notes: string[] = [];
  for (const r of results) {
    const tag = `${r.scenario} (${r.synchronous})`;
    if (r.error) notes.push(`${tag}: failed: ${r.error}`);
    const d = r.details ?? {};
    if (Array.isArray(d.workerErrors))
      notes.push(`${tag}: worker errors/alerts: ${d.workerErrors.join(' | ')}`);
    if (typeof d.missed === 'number' && d.missed > 0) notes.push(`${tag}: ${d.missed} samples never started`);
    if (typeof d.eventLoopStallMs === 'number' && d.eventLoopStallMs >= 100) {
      notes.push(`${tag}: timers could not run for ${int(d.eventLoopStallMs)} ms during the drain`);
    }
    if (typeof d.backlog === 'number') {
      notes.push(
        `${tag}: RSS during drain ${d.rssDrainStartMb} -> ${d.rssDrainEndMb} MB (max ${d.rssDrainMaxMb}, ${int(d.backlog)} waiting behind)`,
      );
    } else if (typeof d.rssDrainGrowthMb === 'number' && d.rssDrainGrowthMb >= 50) {
      notes.push(
        `${tag}: RSS grew ${d.rssDrainStartMb} -> ${d.rssDrainEndMb} MB during the drain of ${int(r.jobs)} jobs`,
      );
    }
  }
  return notes;
}
