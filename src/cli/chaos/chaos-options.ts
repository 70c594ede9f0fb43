/**
 * Options and report of a chaos run (`redrive chaos`), with their defaults.
 */
import { type Clock, systemClock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import type { StoreLocation } from '../store-url.js';
import type { DurationSummary } from './recovery-tracker.js';

/** What a chaos run does. Only `storeUrl` is required. */
export interface ChaosRunOptions {
  /** The store, as a CLI store URL (sqlite:, redis://, postgres://). */
  storeUrl: string;
  /** Jobs enqueued. Default 10 000. */
  jobs?: number;
  /** Worker processes. Default 3. */
  workers?: number;
  /** SIGKILLs, one at a time, each followed by a restart. Default 5. */
  kills?: number;
  /** Put a TCP proxy between the workers and the store, and cut it `cuts` times. */
  proxy?: boolean;
  /** Connection cuts when `proxy` (default 3). */
  cuts?: number;
  /** Seeds the schedule of kills and cuts and the choice of failing jobs. Default: drawn from the clock. */
  seed?: number;
  /** Jobs each worker runs at once. Default 8. */
  concurrency?: number;
  /** How long each handler runs. Default 2 ms. */
  jobMs?: number;
  /** Share of jobs whose handler throws a permanent error (they must end dead-lettered). Default 0.01. */
  failRate?: number;
  /** Workers' lease. Default 2000 ms. */
  leaseMs?: number;
  /** Workers' heartbeat. Default 500 ms. */
  heartbeatMs?: number;
  /** Workers' recovery sweep interval. Default 250 ms. */
  recoveryIntervalMs?: number;
  /** Shortest gap between two kills (or two cuts); gaps are drawn from [gap, 4 x gap). Default 300 ms. */
  minGapMs?: number;
  /** Give up (and report what is left as lost) after this long. Default 60 s + 5 ms per job. */
  timeoutMs?: number;
  /** Progress lines. */
  onProgress?: (line: string) => void;
  clock?: Clock;
}

/** The options with their defaults applied. */
export type ResolvedChaosOptions = Required<Omit<ChaosRunOptions, 'onProgress' | 'clock'>> &
  Pick<ChaosRunOptions, 'onProgress' | 'clock'>;

function check(name: string, value: number, min: number, max: number, integer = true): number {
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new ValidationError(
      name,
      `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}

/** Applies defaults and checks ranges. */
export function resolveChaosOptions(options: ChaosRunOptions): ResolvedChaosOptions {
  const jobs = check('jobs', options.jobs ?? 10_000, 1, 10_000_000);
  const leaseMs = check('leaseMs', options.leaseMs ?? 2000, 100, 600_000);
  const heartbeatMs = check('heartbeatMs', options.heartbeatMs ?? 500, 10, leaseMs - 1);
  return {
    ...options,
    jobs,
    workers: check('workers', options.workers ?? 3, 1, 64),
    kills: check('kills', options.kills ?? 5, 0, 10_000),
    proxy: options.proxy ?? false,
    cuts: check('cuts', options.proxy ? (options.cuts ?? 3) : 0, 0, 10_000),
    seed: check('seed', options.seed ?? (options.clock ?? systemClock).now() % 2 ** 31, 0, 2 ** 32 - 1),
    concurrency: check('concurrency', options.concurrency ?? 8, 1, 1000),
    jobMs: check('jobMs', options.jobMs ?? 2, 0, 60_000),
    failRate: check('failRate', options.failRate ?? 0.01, 0, 1, false),
    leaseMs,
    heartbeatMs,
    recoveryIntervalMs: check('recoveryIntervalMs', options.recoveryIntervalMs ?? 250, 10, 600_000),
    minGapMs: check('minGapMs', options.minGapMs ?? 300, 1, 600_000),
    timeoutMs: check('timeoutMs', options.timeoutMs ?? 60_000 + jobs * 5, 1000, 24 * 3_600_000),
  };
}

/** What a chaos run found. `ok` is false when any check failed; `problems` says which. */
export interface ChaosReport {
  ok: boolean;
  problems: string[];
  store: string;
  kind: StoreLocation['kind'];
  /** The queue the run used (left in the store for inspection). */
  queue: string;
  seed: number;
  jobs: number;
  workers: number;
  kills: number;
  cuts: number;
  seconds: number;
  completed: number;
  deadLettered: number;
  /** Jobs whose handler throws a permanent error by design. */
  failingByDesign: number;
  /** Jobs dead-lettered after being orphaned while alone too often (not by design). */
  poisonPills: number;
  lost: number;
  completedTwice: number;
  deadLetterMismatch: number;
  /** Handler starts reported by the workers. */
  executions: number;
  /** Starts beyond the first of each job. */
  reExecutions: number;
  /** Kill to orphan returned to waiting by another worker's recovery sweep. */
  recovered: DurationSummary;
  /** The same, for kills whose recovery no connection cut overlapped: held to `boundMs`. */
  recoveredOutsideCuts: DurationSummary;
  /** Kill to orphan started again by another worker. */
  rerun: DurationSummary;
  /** lease + heartbeat: the most a recovery may take. */
  boundMs: number;
  /** SQLite `PRAGMA integrity_check`. */
  integrity?: string;
  /** Up to 10 ids of lost jobs. */
  lostSample: string[];
  /** Errors the workers reported (store errors during cuts, for instance): the 10 most frequent. */
  workerErrors: { message: string; count: number }[];
}
