/**
 * The redrive-versus-BullMQ figures of one scenario on Redis: the median throughput ratio, the
 * ratio of each pair of runs (run i of redrive against run i of BullMQ, which ran right after it
 * under about the same load), and the Redis CPU per job of each side with its ratio.
 */
import type { BenchResult } from './result.js';

/** The throughput targets: the median at least this many times BullMQ's ... */
export const BULLMQ_MEDIAN_TARGET = 3.5;
/** ... and every single paired run at least this many times. */
export const BULLMQ_PAIRED_TARGET = 3;
/** The Redis CPU target: redrive's CPU per job at most this fraction of BullMQ's. */
export const BULLMQ_CPU_SHARE_TARGET = 0.25;

/** How many of the most expensive commands the breakdown lists per side. */
const TOP_COMMANDS = 6;

export interface ComparisonFigures {
  /** Median redrive jobs/s over median BullMQ jobs/s. */
  ratio?: number;
  /** Per pair of runs, in run order (undefined where either failed). */
  pairedRatios: (number | undefined)[];
  /** Median Redis CPU microseconds per job of each side. */
  cpuPerJob?: number;
  bullmqCpuPerJob?: number;
  /** redrive's Redis CPU per job over BullMQ's. */
  cpuShare?: number;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Redis CPU microseconds per job of a run, when the run measured it. */
export function cpuPerJob(r: BenchResult): number | undefined {
  const v = r.details?.redisCpuUsPerJob;
  return typeof v === 'number' && v > 0 && !r.error ? v : undefined;
}

function medianCpu(runs: readonly BenchResult[]): number | undefined {
  return median(runs.map(cpuPerJob).filter((v): v is number => v !== undefined));
}

const round = (n: number | undefined, digits = 2) =>
  n === undefined ? undefined : Math.round(n * 10 ** digits) / 10 ** digits;

export function compare(
  mine: BenchResult,
  bull: BenchResult | undefined,
  ours: readonly BenchResult[],
  theirs: readonly BenchResult[],
): ComparisonFigures {
  const ok = (r: BenchResult | undefined): r is BenchResult => !!r && !r.error && r.jobsPerSec > 0;
  const cpu = medianCpu(ours);
  const bullCpu = medianCpu(theirs);
  return {
    ratio: ok(bull) && ok(mine) ? round(mine.jobsPerSec / bull.jobsPerSec) : undefined,
    pairedRatios: ours.map((r, i) => {
      const other = theirs[i];
      return ok(r) && ok(other) ? round(r.jobsPerSec / other.jobsPerSec) : undefined;
    }),
    cpuPerJob: cpu,
    bullmqCpuPerJob: bullCpu,
    cpuShare: cpu !== undefined && bullCpu !== undefined ? round(cpu / bullCpu, 3) : undefined,
  };
}

/** Whether the throughput targets hold: the median, and every pair. */
export function throughputMet(f: ComparisonFigures): boolean | undefined {
  if (f.ratio === undefined) return undefined;
  const pairs = f.pairedRatios;
  return (
    f.ratio >= BULLMQ_MEDIAN_TARGET &&
    pairs.length > 0 &&
    pairs.every((p) => p !== undefined && p >= BULLMQ_PAIRED_TARGET)
  );
}

/**
 * Where the server's time went in the median run of each side: the most expensive commands
 * (commands run by scripts included, so a script's time also shows under EVALSHA), as calls and
 * microseconds per job. Command times are wall time inside the server: under load they grow with
 * the machine's other work, unlike the CPU figure.
 */
export function commandBreakdown(scenario: string, runs: readonly BenchResult[]): string[] {
  const lines: string[] = [];
  for (const r of runs) {
    const commands = r.details?.redisCommands as Record<string, { calls: number; usec: number }> | undefined;
    if (!commands || r.error || r.jobs === 0) continue;
    const top = Object.entries(commands)
      .slice(0, TOP_COMMANDS)
      .map(([name, c]) => `${name} ${(c.calls / r.jobs).toPrecision(2)}x ${(c.usec / r.jobs).toFixed(1)}µs`);
    lines.push(`${scenario} ${r.store}: ${top.join(', ')}`);
  }
  return lines;
}
