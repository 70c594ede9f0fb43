/**
 * What a maintenance service is: one piece of store housekeeping that the elected maintainer runs
 * on its own interval. A service holds no timer of its own; the maintainer schedules it, checks its
 * leadership epoch before each run, and records when it last ran.
 */
import type { Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';

/** What a run did: counts by what was changed (e.g. `{ recovered: 2, deadLettered: 1 }`). */
export type ServiceReport = Record<string, number>;

/** One housekeeping task of the elected maintainer. */
export interface MaintenanceService {
  /** A stable name (`lease-rescuer`, `completed-job-cleaner`, …): the key of its status and metrics. */
  readonly name: string;
  /** How often it runs while this process leads. */
  readonly intervalMs: number;
  /** Runs once; bounded (a batch or a few), so a deposed leader's last run is short. */
  run(ctx: { now: number; clock: Clock }): Promise<ServiceReport>;
  /**
   * After a run: how soon it wants the next one, when that is sooner than `intervalMs` (the lease
   * rescuer aims at the next lease expiry). Undefined keeps the interval.
   */
  nextRunInMs?(): number | undefined;
  /** Called when this process gains (true) or loses (false) leadership, for services that keep state. */
  leadershipChanged?(leading: boolean): Promise<void> | void;
}

/** Checks a retention option: a non-negative integer of milliseconds. */
export function retentionOption(field: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) {
    throw new ValidationError(field, `must be a non-negative integer (milliseconds), got ${String(value)}`);
  }
  return v;
}

/**
 * Runs a bounded delete up to `maxBatches` times, stopping at the first batch that is not full;
 * returns the total. A large backlog is worked off over several runs, never in one long one.
 */
export async function drainBatches(
  step: (limit: number) => Promise<number>,
  batchSize: number,
  maxBatches: number,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await step(batchSize);
    total += n;
    if (n < batchSize) break;
  }
  return total;
}

/** Checks an interval option: a positive integer of milliseconds. */
export function intervalOption(field: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) {
    throw new ValidationError(field, `must be a positive integer (milliseconds), got ${String(value)}`);
  }
  return v;
}
