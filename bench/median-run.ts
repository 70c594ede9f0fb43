/**
 * Combines repeated runs of one scenario: the run with the median figure (jobs/s, or p50 for
 * latency scenarios) stands for the scenario, and lists every run's figure in `details.runs`.
 * A single noisy run (VM disks, shared CPUs) can then not decide a target on its own.
 */
import type { BenchResult } from './result.js';

function figure(r: BenchResult): number {
  return r.p50Ms ?? r.jobsPerSec;
}

export function medianRun(runs: readonly BenchResult[]): BenchResult {
  const ok = runs.filter((r) => !r.error);
  if (ok.length === 0) return runs[runs.length - 1]!;
  if (runs.length === 1) return runs[0]!;
  const sorted = [...ok].sort((a, b) => figure(a) - figure(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    ...median,
    details: {
      ...median.details,
      runs: runs.map((r) => (r.error ? `error: ${r.error}` : figure(r))),
      ...(ok.length < runs.length ? { failedRuns: runs.length - ok.length } : {}),
    },
  };
}
