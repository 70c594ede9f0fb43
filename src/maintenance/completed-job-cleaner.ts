/**
 * The completed-job cleaner: deletes completed jobs older than the retention period, every queue,
 * in bounded batches (a run deletes at most `batchSize * maxBatches` rows, so a large backlog is
 * worked off over several runs instead of one long transaction).
 */
import type { Store } from '../store/store.js';
import {
  drainBatches,
  intervalOption,
  type MaintenanceService,
  retentionOption,
  type ServiceReport,
} from './service.js';

/** Options of {@link CompletedJobCleaner}. */
export interface CompletedJobCleanerOptions {
  store: Store;
  /** Completed jobs older than this are deleted. Default 24 h. */
  retentionMs?: number;
  /** How often it runs. Default 60 000 ms. */
  intervalMs?: number;
  /** Rows per delete. Default 1000. */
  batchSize?: number;
  /** Deletes per run. Default 10. */
  maxBatches?: number;
}

/** Deletes old completed jobs. */
export class CompletedJobCleaner implements MaintenanceService {
  readonly name = 'completed-job-cleaner';
  readonly intervalMs: number;
  private readonly retentionMs: number;
  private readonly batchSize: number;
  private readonly maxBatches: number;

  constructor(private readonly options: CompletedJobCleanerOptions) {
    this.retentionMs = retentionOption('completedRetentionMs', options.retentionMs, 24 * 3600_000);
    this.intervalMs = intervalOption('cleanIntervalMs', options.intervalMs, 60_000);
    this.batchSize = intervalOption('batchSize', options.batchSize, 1000);
    this.maxBatches = intervalOption('maxBatches', options.maxBatches, 10);
  }

  async run(ctx: { now: number }): Promise<ServiceReport> {
    const before = ctx.now - this.retentionMs;
    const { store } = this.options;
    const deleted = await drainBatches(
      (limit) => store.removeJobs({ states: ['completed'], before, limit }),
      this.batchSize,
      this.maxBatches,
    );
    return { deleted };
  }
}
