/**
 * Dead-letter retention as a maintenance service: expires open entries past their TTL, archives
 * resolved and expired ones after the retention period, purges archived ones after it, returns
 * abandoned replays, and counts SLA breaches — the dead-letter queue's own retention operations
 * (src/dlq/retention.ts), run on a schedule instead of when the application remembers to.
 */
import type { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import { intervalOption, type MaintenanceService, type ServiceReport } from './service.js';

/** Options of {@link DeadLetterRetention}. */
export interface DeadLetterRetentionOptions {
  /** The dead-letter queue whose settings (TTLs, retention days, SLA) apply. */
  deadLetters: DeadLetterQueue;
  /** How often it runs. Default 60 000 ms. */
  intervalMs?: number;
  /** Purge archived entries past the retention period. Default true. */
  purge?: boolean;
}

/** Runs dead-letter retention. */
export class DeadLetterRetention implements MaintenanceService {
  readonly name = 'dead-letter-retention';
  readonly intervalMs: number;

  constructor(private readonly options: DeadLetterRetentionOptions) {
    this.intervalMs = intervalOption('deadLetterIntervalMs', options.intervalMs, 60_000);
  }

  async run(): Promise<ServiceReport> {
    const dlq = this.options.deadLetters;
    const released = await dlq.releaseStuckReplays();
    const expired = await dlq.expire();
    const archived = await dlq.archiveOlderThan();
    const purged = this.options.purge === false ? 0 : await dlq.purgeArchived();
    const sla = await dlq.slaBreached({ limit: 0 });
    const slaBreaches = sla.breaches.reduce((sum, b) => sum + b.count, 0);
    return { released, expired, archived, purged, slaBreaches };
  }
}
