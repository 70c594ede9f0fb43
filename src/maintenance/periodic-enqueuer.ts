/**
 * The periodic-task enqueuer as a maintenance service: the application's `PeriodicScheduler`
 * runs only while this process leads, so a schedule is kept by one process at a time (each slot
 * is also idempotent by key, so a handover never enqueues a slot twice).
 */
import type { PeriodicScheduler } from '../queue/periodic.js';
import { intervalOption, type MaintenanceService, type ServiceReport } from './service.js';

/** Options of {@link PeriodicEnqueuer}. */
export interface PeriodicEnqueuerOptions {
  scheduler: PeriodicScheduler;
  /** How often its status is reported. Default 60 000 ms. */
  intervalMs?: number;
}

/** Starts the scheduler while leading, stops it otherwise. */
export class PeriodicEnqueuer implements MaintenanceService {
  readonly name = 'periodic-enqueuer';
  readonly intervalMs: number;

  constructor(private readonly options: PeriodicEnqueuerOptions) {
    this.intervalMs = intervalOption('periodicIntervalMs', options.intervalMs, 60_000);
  }

  async leadershipChanged(leading: boolean): Promise<void> {
    if (leading) this.options.scheduler.start();
    else await this.options.scheduler.stop();
  }

  async run(): Promise<ServiceReport> {
    // Started on leadership; starting again is a no-op, and covers a scheduler stopped by hand.
    this.options.scheduler.start();
    let enqueued = 0;
    let deduplicated = 0;
    for (const s of this.options.scheduler.list()) {
      enqueued += s.enqueued;
      deduplicated += s.deduplicated;
    }
    return { schedules: this.options.scheduler.list().length, enqueued, deduplicated };
  }
}
