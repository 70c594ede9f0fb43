/**
 * Audit-trail retention: deletes dead-letter audit entries older than the retention period
 * (default 90 days), oldest first, in bounded batches. The audit trail records operator actions
 * (force-redrives, resolutions, purges); it is kept long enough to answer "who did this", not forever.
 */
import type { Store } from '../store/store.js';
import {
  drainBatches,
  intervalOption,
  type MaintenanceService,
  retentionOption,
  type ServiceReport,
} from './service.js';

/** The default audit retention: 90 days. */
export const DEFAULT_AUDIT_RETENTION_MS = 90 * 86_400_000;

/** Options of {@link AuditRetention}. */
export interface AuditRetentionOptions {
  store: Store;
  /** Entries older than this are deleted. Default 90 days. */
  retentionMs?: number;
  /** How often it runs. Default 3 600 000 ms (hourly). */
  intervalMs?: number;
  /** Entries per delete. Default 1000. */
  batchSize?: number;
  /** Deletes per run. Default 10. */
  maxBatches?: number;
}

/** Deletes old audit entries. */
export class AuditRetention implements MaintenanceService {
  readonly name = 'audit-retention';
  readonly intervalMs: number;
  private readonly retentionMs: number;
  private readonly batchSize: number;
  private readonly maxBatches: number;

  constructor(private readonly options: AuditRetentionOptions) {
    this.retentionMs = retentionOption('auditRetentionMs', options.retentionMs, DEFAULT_AUDIT_RETENTION_MS);
    this.intervalMs = intervalOption('auditIntervalMs', options.intervalMs, 3_600_000);
    this.batchSize = intervalOption('batchSize', options.batchSize, 1000);
    this.maxBatches = intervalOption('maxBatches', options.maxBatches, 10);
  }

  async run(ctx: { now: number }): Promise<ServiceReport> {
    const before = ctx.now - this.retentionMs;
    const { store } = this.options;
    const deleted = await drainBatches(
      async (limit) => (await store.purgeAudit({ before, limit })).deleted,
      this.batchSize,
      this.maxBatches,
    );
    return { deleted };
  }
}
