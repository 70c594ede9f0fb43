/**
 * The shape of one scenario's result: the JSON line a scenario process prints.
 */

export type Synchronous = 'NORMAL' | 'FULL';

/** One point of an RSS timeline. */
export interface RssPoint {
  /** Seconds since the scenario process started measuring. */
  t: number;
  /** What the scenario was doing (e.g. `prefill`, `drain`). */
  phase: string;
  rssMb: number;
}

export interface BenchResult {
  scenario: string;
  synchronous: Synchronous;
  /** `redis`, `postgres` (redrive's stores) or a peer (`bullmq`, `graphile-worker`, `pg-boss` ...); absent for SQLite. */
  store?: string;
  /** Jobs measured (samples, for latency scenarios). */
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Highest RSS of the scenario process: the larger of the 100 ms samples and the kernel's high-water mark. */
  peakRssMb: number;
  rssStartMb: number;
  rssEndMb: number;
  /** Highest of the 100 ms samples alone (timers do not fire while a loop never yields). */
  sampledPeakRssMb?: number;
  /** The machine's 1-minute load average when the scenario started (other processes skew results). */
  load1?: number;
  /** Scenario-specific figures (backlog depth, RSS timeline, missed samples, ...). */
  details?: Record<string, unknown>;
  /** Set when the scenario failed; the figures are then zero. */
  error?: string;
}

/** What a scenario measures; the runner adds the RSS figures. */
export interface Measurement {
  jobs: number;
  seconds: number;
  p50Ms?: number;
  p99Ms?: number;
  details?: Record<string, unknown>;
}
