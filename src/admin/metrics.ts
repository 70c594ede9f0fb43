/**
 * Prometheus metrics of the admin server, in a registry of its own (never prom-client's global
 * one, so two servers in one process do not collide):
 *
 * - from the store at scrape time: jobs by queue and state, paused queues, dead letters by status
 *   and domain, the age of the oldest pending dead letter, whether the store answers;
 * - from attached workers' events: processed / failed / retried / dead-lettered counters and a
 *   duration histogram per queue;
 * - from the dead-letter queue: fallback writes and lost records; from circuit breakers: their
 *   state; from the replay queue: depth, backpressure and rate-limit rejections;
 * - the store's maintenance: who leads and when each service last ran (maintenance-metrics.ts);
 * - the admin server's own requests.
 *
 * Label cardinality is bounded: at most 100 queues and 100 domains get their own label value,
 * the rest are summed under `(other)` — a value no queue name can take (queue names start with a
 * letter or a digit), so a real queue named `other` keeps its own series.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Default Node metrics that are gauges named like counters; each has a by-type gauge beside it. */
const GAUGES_NAMED_LIKE_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

import type { CircuitBreakerLike, CircuitStateName } from '../core/circuit-breaker.js';
import { DEAD_LETTER_STATUSES, type DeadLetterStatus } from '../core/dead-letter.js';
import { JOB_STATES, type JobCounts } from '../core/job.js';
import type { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import type { RedriveEvents } from '../events.js';
import type { ReplayQueue } from '../replay/replay-queue.js';
import type { Store } from '../store/store.js';
import { registerMaintenanceMetrics } from './maintenance-metrics.js';

/** Distinct label values kept per dimension before the rest collapse into {@link OTHER_LABEL}. */
export const MAX_LABEL_VALUES = 100;
/**
 * The label value of everything past {@link MAX_LABEL_VALUES}. Parenthesised so that it cannot be
 * a queue name (they start with a letter or a digit) nor a failure type of the worker.
 */
export const OTHER_LABEL = '(other)';

const BREAKER_STATES: readonly CircuitStateName[] = [
  'closed',
  'open',
  'half_open',
  'forced_open',
  'disabled',
];

/** A circuit breaker to report, with its name. */
export interface NamedBreaker {
  name: string;
  breaker: Pick<CircuitBreakerLike, 'state'>;
}

/** Something that emits worker events (a `Worker` or a `WorkerPool`). */
export interface WorkerEventSource {
  on<E extends keyof RedriveEvents>(event: E, listener: (payload: RedriveEvents[E]) => void): () => void;
}

/** Keeps the first `max` distinct values of a label; later ones map to {@link OTHER_LABEL}. */
export class LabelLimiter {
  private readonly seen = new Set<string>();
  constructor(private readonly max = MAX_LABEL_VALUES) {}
  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OTHER_LABEL;
    this.seen.add(v);
    return v;
  }
}

interface StoreSnapshot {
  up: boolean;
  /** `overflow`: the sum of the queues past {@link MAX_LABEL_VALUES} (no paused state of its own). */
  queues: { name: string; paused: boolean; counts: JobCounts; overflow?: true }[];
  deadLetters: { status: DeadLetterStatus; domain: string; count: number }[];
  oldestPendingAgeSeconds: number | null;
}

/** Options of {@link AdminMetrics}. */
export interface AdminMetricsOptions {
  store: Store;
  deadLetterQueue?: DeadLetterQueue | null;
  replayQueue?: ReplayQueue<unknown> | null;
  breakers?: readonly NamedBreaker[];
  /** Also export Node.js process metrics (CPU, memory, event loop). Default true. */
  processMetrics?: boolean;
  now?: () => number;
}

/** The metrics registry of one admin server. */
export class AdminMetrics {
  readonly registry = new Registry();
  private readonly store: Store;
  private readonly dlq: DeadLetterQueue | null;
  private readonly replayQueue: ReplayQueue<unknown> | null;
  private readonly breakers: readonly NamedBreaker[];
  private readonly now: () => number;
  private readonly queueLabels = new LabelLimiter();
  private snapshotPromise: Promise<StoreSnapshot> | undefined;

  private readonly processed: Counter<'queue'>;
  private readonly failed: Counter<'queue'>;
  private readonly retried: Counter<'queue' | 'reason'>;
  private readonly deadLettered: Counter<'queue' | 'failure_type'>;
  private readonly stalled: Counter<'queue' | 'action'>;
  private readonly duration: Histogram<'queue'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;

  constructor(options: AdminMetricsOptions) {
    this.store = options.store;
    this.dlq = options.deadLetterQueue ?? null;
    this.replayQueue = options.replayQueue ?? null;
    this.breakers = options.breakers ?? [];
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges must not end in `_total` (Prometheus reserves it for counters; promtool warns).
      // Each is the sum of the same gauge by type: sum(nodejs_active_handles) gives it back.
      for (const name of GAUGES_NAMED_LIKE_COUNTERS) this.registry.removeSingleMetric(name);
    }
    registerMaintenanceMetrics(this.registry, this.store, () => this.now());
    const self = this;

    new Gauge({
      name: 'redrive_store_up',
      help: 'Whether the store answered the last scrape (1) or not (0)',
      registers,
      async collect() {
        this.set((await self.snapshot()).up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'redrive_jobs',
      help: 'Jobs by queue and state (queues past 100 are summed as "(other)")',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const q of (await self.snapshot()).queues) {
          for (const state of JOB_STATES) this.set({ queue: q.name, state }, q.counts[state]);
        }
      },
    });
    new Gauge({
      name: 'redrive_queue_paused',
      help: 'Whether the queue is paused (1) or not (0)',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        for (const q of (await self.snapshot()).queues) {
          if (!q.overflow) this.set({ queue: q.name }, q.paused ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'redrive_dead_letters',
      help: 'Dead letters by status and domain (domains past 100 are summed as "(other)")',
      labelNames: ['status', 'domain'],
      registers,
      async collect() {
        this.reset();
        for (const cell of (await self.snapshot()).deadLetters) {
          this.set({ status: cell.status, domain: cell.domain }, cell.count);
        }
      },
    });
    new Gauge({
      name: 'redrive_dead_letter_oldest_pending_age_seconds',
      help: 'Age of the oldest pending dead letter (0 when none is pending)',
      registers,
      async collect() {
        this.set((await self.snapshot()).oldestPendingAgeSeconds ?? 0);
      },
    });

    this.processed = new Counter({
      name: 'redrive_jobs_processed_total',
      help: 'Jobs completed by attached workers',
      labelNames: ['queue'],
      registers,
    });
    this.failed = new Counter({
      name: 'redrive_jobs_failed_total',
      help: 'Failed attempts in attached workers (retried or not)',
      labelNames: ['queue'],
      registers,
    });
    this.retried = new Counter({
      name: 'redrive_jobs_retried_total',
      help: 'Jobs rescheduled by attached workers, after an error or a rate-limit response',
      labelNames: ['queue', 'reason'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'redrive_jobs_dead_lettered_total',
      help: 'Jobs attached workers moved to the dead-letter queue',
      labelNames: ['queue', 'failure_type'],
      registers,
    });
    this.stalled = new Counter({
      name: 'redrive_jobs_stalled_total',
      help: 'Expired leases found by attached workers (recovered, or dead-lettered as poison pills)',
      labelNames: ['queue', 'action'],
      registers,
    });
    this.duration = new Histogram({
      name: 'redrive_job_duration_seconds',
      help: 'Handler time of jobs completed by attached workers',
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });

    const dlq = this.dlq;
    new Counter({
      name: 'redrive_dead_letter_fallback_writes_total',
      help: 'Dead letters written to the local fallback file because the store failed',
      registers,
      collect() {
        this.reset();
        this.inc(dlq?.metrics().fallbackWrites ?? 0);
      },
    });
    new Counter({
      name: 'redrive_dead_letter_lost_total',
      help: 'Dead letters neither the store nor the fallback file accepted',
      registers,
      collect() {
        this.reset();
        this.inc(dlq?.metrics().lost ?? 0);
      },
    });

    const breakers = this.breakers;
    new Gauge({
      name: 'redrive_circuit_breaker_state',
      help: 'Circuit breaker state: 1 for the current state, 0 for the others',
      labelNames: ['breaker', 'state'],
      registers,
      collect() {
        this.reset();
        for (const { name, breaker } of breakers) {
          const current = breaker.state.name;
          for (const state of BREAKER_STATES) this.set({ breaker: name, state }, state === current ? 1 : 0);
        }
      },
    });

    const rq = this.replayQueue;
    if (rq) {
      new Gauge({
        name: 'redrive_replay_queue_depth',
        help: 'Items buffered in the replay queue',
        registers,
        collect() {
          this.set(rq.depth);
        },
      });
      new Gauge({
        name: 'redrive_replay_queue_max_depth',
        help: 'Capacity of the replay queue',
        registers,
        collect() {
          this.set(rq.maxDepth);
        },
      });
      new Gauge({
        name: 'redrive_replay_queue_backpressure_active',
        help: 'Whether the replay queue is at or above its backpressure threshold',
        registers,
        collect() {
          this.set(rq.backpressureStatus().active ? 1 : 0);
        },
      });
      new Gauge({
        name: 'redrive_replay_queue_throttle_percent',
        help: 'Backpressure of the replay queue: 0 below the threshold, 100 when full',
        registers,
        collect() {
          this.set(rq.backpressureStatus().throttlePercent);
        },
      });
      new Gauge({
        name: 'redrive_replay_queue_consumer_lag_seconds',
        help: 'Age of the oldest item in the replay queue',
        registers,
        collect() {
          this.set(rq.backpressureStatus().consumerLagSeconds);
        },
      });
      new Counter({
        name: 'redrive_replay_queue_rejected_total',
        help: 'Enqueues the replay queue refused, by reason',
        labelNames: ['reason'],
        registers,
        collect() {
          const s = rq.stats();
          this.reset();
          this.inc({ reason: 'full' }, s.rejectedFull);
          this.inc({ reason: 'rate_limited' }, s.rejectedRateLimited);
        },
      });
    }

    this.httpRequests = new Counter({
      name: 'redrive_admin_http_requests_total',
      help: 'Requests the admin server answered',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'redrive_admin_http_request_duration_seconds',
      help: 'Time the admin server took to answer',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
  }

  /** The Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    } finally {
      this.snapshotPromise = undefined;
    }
  }

  /** Counts jobs and dead letters once per scrape, however many metrics read them. */
  private snapshot(): Promise<StoreSnapshot> {
    this.snapshotPromise ??= this.readStore();
    return this.snapshotPromise;
  }

  private async readStore(): Promise<StoreSnapshot> {
    try {
      const all = await this.store.listQueues();
      const kept = all.slice(0, MAX_LABEL_VALUES);
      const queues: StoreSnapshot['queues'] = [];
      for (const q of kept) {
        queues.push({
          name: q.name,
          paused: q.paused,
          counts: await this.store.countJobs({ queue: q.name }),
        });
      }
      if (all.length > kept.length) {
        const total = await this.store.countJobs({});
        const other = { ...total };
        for (const q of queues) for (const s of JOB_STATES) other[s] -= q.counts[s];
        queues.push({ name: OTHER_LABEL, paused: false, counts: other, overflow: true });
      }

      const facets = await this.store.facetDeadLetters({});
      const domainTotals = Object.entries(facets.byDomain).sort((a, b) => b[1] - a[1]);
      const keptDomains = new Set(domainTotals.slice(0, MAX_LABEL_VALUES).map(([d]) => d));
      const cells = new Map<string, { status: DeadLetterStatus; domain: string; count: number }>();
      for (const cell of facets.cells) {
        const domain = keptDomains.has(cell.domain) ? cell.domain : OTHER_LABEL;
        const key = `${cell.status}\u0000${domain}`;
        const existing = cells.get(key);
        if (existing) existing.count += cell.count;
        else cells.set(key, { status: cell.status, domain, count: cell.count });
      }
      const stats = await this.store.getDeadLetterStats({ now: this.now() });
      return {
        up: true,
        queues,
        deadLetters: [...cells.values()].filter((c) => DEAD_LETTER_STATUSES.includes(c.status)),
        oldestPendingAgeSeconds:
          stats.oldestPendingAt === null ? null : Math.max(0, (this.now() - stats.oldestPendingAt) / 1000),
      };
    } catch {
      return { up: false, queues: [], deadLetters: [], oldestPendingAgeSeconds: null };
    }
  }

  /** Feeds the job counters and the duration histogram from a worker's (or pool's) events. */
  attachWorker(worker: WorkerEventSource): () => void {
    const q = (name: string) => this.queueLabels.value(name);
    const offs = [
      worker.on('job.completed', (e) => {
        this.processed.inc({ queue: q(e.queue) });
        this.duration.observe({ queue: q(e.queue) }, e.durationMs / 1000);
      }),
      worker.on('job.failed', (e) => this.failed.inc({ queue: q(e.queue) })),
      worker.on('job.retried', (e) => this.retried.inc({ queue: q(e.queue), reason: e.reason })),
      worker.on('job.dead_lettered', (e) =>
        this.deadLettered.inc({ queue: q(e.queue), failure_type: failureTypeLabel(e.failureType) }),
      ),
      worker.on('job.stalled', (e) => this.stalled.inc({ queue: q(e.queue), action: e.action })),
    ];
    return () => {
      for (const off of offs) off();
    };
  }
}

const FAILURE_TYPES = new Set([
  'permanent',
  'retries_exhausted',
  'poison_pill',
  'timeout',
  'rate_limit_exhausted',
]);

function failureTypeLabel(type: string): string {
  return FAILURE_TYPES.has(type) ? type : OTHER_LABEL;
}
