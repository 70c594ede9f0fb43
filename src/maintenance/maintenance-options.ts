/**
 * The maintenance every redrive process runs by default (unless it says `maintenance: false`):
 * which services, their intervals and retention periods, and how to build the maintainer.
 *
 * | service | default interval | what it does |
 * |---|---|---|
 * | lease-rescuer | 5 s | expired leases back to waiting; poison pills to the DLQ |
 * | completed-job-cleaner | 60 s | completed jobs older than 24 h deleted |
 * | dead-letter-retention | 60 s | expire, archive, purge, stuck replays, SLA breach count |
 * | audit-retention | 1 h | audit entries older than 90 days deleted |
 * | periodic-enqueuer | 60 s | the given PeriodicScheduler runs on the leader only |
 * | dead-letter-counter-backfill | 5 s | (Redis) older dead letters counted into top failures' counters |
 *
 * No store needs a scheduled-job promoter: each promotes due jobs in the claim step itself.
 */
import type { Clock, Random } from '../core/clock.js';
import type { DeadLetterSettings } from '../dead-letter-record/record.js';
import { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import type { PeriodicScheduler } from '../queue/periodic.js';
import { hasCounterBackfill } from '../store/dead-letter-store.js';
import type { Store } from '../store/store.js';
import { AuditRetention } from './audit-retention.js';
import { CompletedJobCleaner } from './completed-job-cleaner.js';
import { DeadLetterCounterBackfillService } from './dead-letter-counter-backfill.js';
import { DeadLetterRetention } from './dead-letter-retention.js';
import { LeaseRescuer } from './lease-rescuer.js';
import { Maintainer } from './maintainer.js';
import { PeriodicEnqueuer } from './periodic-enqueuer.js';
import type { MaintenanceService } from './service.js';

/** Settings of a process's maintenance (every field optional). */
export interface MaintenanceOptions {
  /** This candidate's id in the leadership lease. */
  candidate?: string;
  /** Leadership lease: a dead leader is replaced within this. Default 15 000 ms. */
  leaseMs?: number;
  /** How often the leader renews and standbys try. Default a third of `leaseMs`. */
  renewIntervalMs?: number;
  /** Lease rescuer interval. Default 5000 ms. */
  rescueIntervalMs?: number;
  /** Orphanings in quarantine after which a job is a poison pill. Default 3. */
  maxOrphans?: number;
  /** Dead-letter settings of poison-pill records. */
  deadLetter?: DeadLetterSettings;
  /** Completed jobs are deleted after this. Default 24 h; `false` keeps them (no cleaner). */
  completedRetentionMs?: number | false;
  /** Completed-job cleaner interval. Default 60 000 ms. */
  cleanIntervalMs?: number;
  /**
   * The dead-letter queue whose retention settings apply (TTL, `retentionDays`, SLA). Default: one
   * with default settings on the same store; `false` runs no dead-letter retention.
   */
  deadLetters?: DeadLetterQueue | false;
  /** Dead-letter retention interval. Default 60 000 ms. */
  deadLetterIntervalMs?: number;
  /** Audit entries are deleted after this. Default 90 days; `false` keeps them. */
  auditRetentionMs?: number | false;
  /** Audit retention interval. Default 3 600 000 ms. */
  auditIntervalMs?: number;
  /** Periodic schedules to keep, on the leader only. */
  periodic?: PeriodicScheduler;
  /** Further services of the application's own. */
  services?: readonly MaintenanceService[];
}

/** Builds the services {@link MaintenanceOptions} asks for. */
export function createMaintenanceServices(
  store: Store,
  options: MaintenanceOptions,
  deps: {
    clock: Clock;
    random: Random;
    onStalled?: ConstructorParameters<typeof LeaseRescuer>[0]['onStalled'];
  },
): MaintenanceService[] {
  const services: MaintenanceService[] = [
    new LeaseRescuer({
      store,
      random: deps.random,
      clock: deps.clock,
      ...(options.rescueIntervalMs !== undefined ? { intervalMs: options.rescueIntervalMs } : {}),
      ...(options.maxOrphans !== undefined ? { maxOrphans: options.maxOrphans } : {}),
      ...(options.deadLetter ? { deadLetter: options.deadLetter } : {}),
      ...(deps.onStalled ? { onStalled: deps.onStalled } : {}),
    }),
  ];
  if (options.completedRetentionMs !== false) {
    services.push(
      new CompletedJobCleaner({
        store,
        ...(options.completedRetentionMs !== undefined ? { retentionMs: options.completedRetentionMs } : {}),
        ...(options.cleanIntervalMs !== undefined ? { intervalMs: options.cleanIntervalMs } : {}),
      }),
    );
  }
  if (options.deadLetters !== false) {
    const deadLetters =
      options.deadLetters ?? new DeadLetterQueue({ store, clock: deps.clock, random: deps.random });
    services.push(
      new DeadLetterRetention({
        deadLetters,
        ...(options.deadLetterIntervalMs !== undefined ? { intervalMs: options.deadLetterIntervalMs } : {}),
      }),
    );
  }
  if (options.auditRetentionMs !== false) {
    services.push(
      new AuditRetention({
        store,
        ...(options.auditRetentionMs !== undefined ? { retentionMs: options.auditRetentionMs } : {}),
        ...(options.auditIntervalMs !== undefined ? { intervalMs: options.auditIntervalMs } : {}),
      }),
    );
  }
  if (hasCounterBackfill(store)) services.push(new DeadLetterCounterBackfillService({ store }));
  if (options.periodic) services.push(new PeriodicEnqueuer({ scheduler: options.periodic }));
  services.push(...(options.services ?? []));
  return services;
}

/** A maintainer for `store` running the services {@link MaintenanceOptions} asks for (not started). */
export function createMaintainer(
  store: Store,
  options: MaintenanceOptions = {},
  deps: { clock: Clock; random: Random },
): Maintainer {
  let maintainer: Maintainer | undefined;
  const services = createMaintenanceServices(store, options, {
    ...deps,
    onStalled: (event) => maintainer?.emitStalled(event),
  });
  maintainer = new Maintainer({
    store,
    services,
    clock: deps.clock,
    random: deps.random,
    ...(options.candidate !== undefined ? { candidate: options.candidate } : {}),
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    ...(options.renewIntervalMs !== undefined ? { renewIntervalMs: options.renewIntervalMs } : {}),
  });
  return maintainer;
}
