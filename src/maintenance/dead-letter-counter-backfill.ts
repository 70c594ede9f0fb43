/**
 * Dead-letter counter backfill: on a store that counts its older entries into the per-fingerprint
 * counters in the background (Redis, after an upgrade from a version without them), the elected
 * maintainer runs a few bounded steps per interval until every entry is counted; after that a run
 * is one read. Until it is done, top failures undercount the groups of older entries. The same walk
 * fills the search indexes of a JSON path declared later (`indexedPaths` on a process started
 * after the walk ended), so the service keeps asking on every run instead of stopping once done.
 */
import type { DeadLetterCounterBackfill } from '../store/dead-letter-store.js';
import { intervalOption, type MaintenanceService, type ServiceReport } from './service.js';

/** Options of {@link DeadLetterCounterBackfillService}. */
export interface DeadLetterCounterBackfillOptions {
  store: DeadLetterCounterBackfill;
  /** How often it runs. Default 5000 ms. */
  intervalMs?: number;
  /** Steps per run (each 250 entries in one short script). Default 40. */
  maxSteps?: number;
}

/** Counts older dead letters into the per-fingerprint counters, a bounded amount per run. */
export class DeadLetterCounterBackfillService implements MaintenanceService {
  readonly name = 'dead-letter-counter-backfill';
  readonly intervalMs: number;
  private readonly maxSteps: number;

  constructor(private readonly options: DeadLetterCounterBackfillOptions) {
    this.intervalMs = intervalOption('counterBackfillIntervalMs', options.intervalMs, 5000);
    this.maxSteps = intervalOption('maxSteps', options.maxSteps, 40);
  }

  async run(): Promise<ServiceReport> {
    const progress = await this.options.store.backfillDeadLetterCounters({ maxSteps: this.maxSteps });
    return { counted: progress.counted, examined: progress.examined, uncounted: progress.uncounted };
  }
}
