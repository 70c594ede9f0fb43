/**
 * The performance targets, and published figures of other queues for reference.
 */
import type { BenchResult } from './result.js';
import type { ScenarioName } from './scenarios.js';

export interface Target {
  /** How the target reads in the table. */
  label: string;
  /** Whether a result meets it; `ratio` is the throughput over the baseline scenario's (RATIO_BASELINES). */
  met(result: BenchResult, ratio: number | undefined): boolean | undefined;
}

const atLeast = (perSec: number): Target => ({
  label: `>= ${perSec.toLocaleString('en-US')}/s`,
  met: (r) => r.jobsPerSec >= perSec,
});

const p50Below = (ms: number): Target => ({
  label: `p50 < ${ms} ms`,
  met: (r) => (r.p50Ms === undefined ? undefined : r.p50Ms < ms),
});

/** At least `min` times the baseline scenario's throughput (see RATIO_BASELINES). */
function ratioAtLeast(min: number, baseline: string): Target {
  return {
    label: `>= ${min.toFixed(2)}x of ${baseline}`,
    met: (_r, ratio) => (ratio === undefined ? undefined : ratio >= min),
  };
}

export const TARGETS: Partial<Record<ScenarioName, Target>> = {
  'enqueue-single': atLeast(35_000),
  'enqueue-bulk': atLeast(350_000),
  'process-c1': atLeast(50_000),
  'process-c50': atLeast(100_000),
  'latency-same': p50Below(1),
  'latency-cross': p50Below(20),
  'backlog-1m': ratioAtLeast(0.9, '10k'),
  'fail-permanent-c50': atLeast(20_000),
  'fail-retry-c50': atLeast(30_000),
  'fail-permanent-c50-dl1m': ratioAtLeast(0.9, 'empty DLQ'),
  'fail-retry-c50-dl1m': ratioAtLeast(0.9, 'empty DLQ'),
};

/** Published figures, jobs/s: BullMQ 6.7 and plainjob. */
export const REFERENCES: Partial<Record<ScenarioName, { bullmq?: string; plainjob?: string }>> = {
  'enqueue-single': { bullmq: '4.5k/s', plainjob: '30.3k/s' },
  'enqueue-bulk': { bullmq: '20.6k/s', plainjob: '270k/s' },
  'process-c1': { bullmq: '3.2k/s', plainjob: '~12k/s' },
  'process-c50': { bullmq: '13.1k/s', plainjob: '~12k/s' },
};
