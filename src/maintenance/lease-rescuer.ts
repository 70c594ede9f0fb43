/**
 * The lease rescuer: returns jobs whose lease expired (their worker crashed or hung) to their
 * queue without spending an attempt, and dead-letters the ones that keep killing the worker that
 * runs them alone (poison pills). Every queue of the store, in bounded batches.
 */
import { type Clock, intervalNow, type Random } from '../core/clock.js';
import { buildJobDeadLetter, type DeadLetterSettings } from '../dead-letter-record/record.js';
import type { RedriveEvents } from '../events.js';
import type { DeadLetterFromJob, Store } from '../store/store.js';
import { intervalOption, type MaintenanceService, type ServiceReport } from './service.js';

/** The dead letter of a poison pill: a job that lost its worker `orphanCount` times running alone. */
export function poisonPillDeadLetter(
  job: { id: string; queue: string; orphanCount: number },
  now: number,
  settings: DeadLetterSettings,
  random: Random,
): DeadLetterFromJob {
  return buildJobDeadLetter({
    queue: job.queue,
    failureType: 'poison_pill',
    error: Object.assign(
      new Error(
        `job ${job.id} lost its worker ${job.orphanCount} times while running alone in quarantine (the lease expired each time)`,
      ),
      { name: 'PoisonPillError', code: 'POISON_PILL' },
    ),
    workerId: null,
    settings,
    now,
    firstFailedAt: now,
    random,
  });
}

/** How much further the wall clock may move than the monotonic clock between two sweeps before it counts as stepped. */
const STEP_TOLERANCE_MS = 1000;

/**
 * How long sweeps hold off after the wall clock stepped forward. Leases were written on the old
 * time, so right after the step every lease looks expired, those of live workers included; each
 * live worker heartbeats within its `heartbeatMs` (5 s by default, always shorter than its lease)
 * and so moves its leases onto the new time. Only after that does an expired lease mean a lost
 * worker again.
 */
export const CLOCK_STEP_GRACE_MS = 30_000;

/** Options of {@link LeaseRescuer}. */
export interface LeaseRescuerOptions {
  store: Store;
  random: Random;
  /** How often it sweeps. Default 5000 ms. */
  intervalMs?: number;
  /** Orphanings in quarantine after which a job is dead-lettered as a poison pill. Default 3. */
  maxOrphans?: number;
  /** Most jobs recovered per run. Default 1000. */
  batchSize?: number;
  /** Dead-letter settings of the poison-pill records (redaction, domains). */
  deadLetter?: DeadLetterSettings;
  /** Told of every job recovered or dead-lettered. */
  onStalled?: (event: RedriveEvents['job.stalled']) => void;
  /**
   * The clock sweeps run on. Read from construction on, so that a process that becomes the leader
   * after a wall-clock step still sees the step at its first sweep.
   */
  clock?: Clock;
}

/** Recovers expired leases of every queue. */
export class LeaseRescuer implements MaintenanceService {
  readonly name = 'lease-rescuer';
  readonly intervalMs: number;
  private readonly maxOrphans: number;
  private readonly batchSize: number;
  /** Wall and monotonic times read together (at construction, then at each sweep), to see a step. */
  private last: { wall: number; monotonic: number } | undefined;
  /** Monotonic time until which sweeps hold off after a forward step. */
  private holdUntil = Number.NEGATIVE_INFINITY;
  /** When the last sweep wants the next one, if sooner than the interval: see {@link nextRunInMs}. */
  private nextDueInMs: number | undefined;
  /**
   * The least wait between sweeps aimed at a lease: a lease that stays expired after a sweep (one
   * the sweep left for later) must not turn the rescuer into a busy loop.
   */
  private readonly minGapMs: number;
  /**
   * The wait after a sweep that took nothing while the store still reports an expired lease (one
   * no sweep can take: a Redis index entry whose job is gone, say): doubled each time, up to the
   * interval, so such a lease costs a few early sweeps and then none.
   */
  private stuckGapMs: number;

  constructor(private readonly options: LeaseRescuerOptions) {
    this.intervalMs = intervalOption('rescueIntervalMs', options.intervalMs, 5_000);
    this.maxOrphans = intervalOption('maxOrphans', options.maxOrphans, 3);
    this.batchSize = intervalOption('batchSize', options.batchSize, 1000);
    if (options.clock) this.last = { wall: options.clock.now(), monotonic: intervalNow(options.clock) };
    this.minGapMs = Math.max(1, Math.ceil(this.intervalMs / 20));
    this.stuckGapMs = this.minGapMs;
  }

  /**
   * After a sweep of every queue: the time until the earliest lease still running expires (from
   * the store, where it can tell), so that the next sweep finds a dead worker's jobs the moment
   * their lease runs out rather than up to an interval later; right away (after `minGapMs`) when
   * the sweep was full and more may be waiting. Live workers keep renewing their leases, so this
   * is rarely sooner than the interval while every worker is alive.
   */
  nextRunInMs(): number | undefined {
    return this.nextDueInMs;
  }

  /**
   * Sweeps once (every queue, or only `queue`). Given a clock, it recovers nothing for
   * {@link CLOCK_STEP_GRACE_MS} after seeing the wall clock step forward (reported as
   * `heldForClockStep`), so a step cannot expire every live lease at once.
   */
  async run(ctx: { now: number; clock?: Clock }, queue?: string): Promise<ServiceReport> {
    const { now } = ctx;
    const clock = ctx.clock ?? this.options.clock;
    this.nextDueInMs = undefined;
    if (clock && this.heldForClockStep(now, intervalNow(clock))) {
      return { recovered: 0, deadLettered: 0, heldForClockStep: 1 };
    }
    const { store, random, deadLetter, onStalled } = this.options;
    const result = await store.recoverExpiredLeases({
      now,
      ...(queue !== undefined ? { queue } : {}),
      maxOrphans: this.maxOrphans,
      limit: this.batchSize,
      deadLetterFor: (job) => poisonPillDeadLetter(job, now, deadLetter ?? {}, random),
    });
    if (onStalled) {
      const queues = await this.queuesOf(result.recovered, result.deadLettered);
      for (const jobId of result.recovered) {
        const orphanedWhile = result.orphanedWhile[jobId] ?? 'running';
        onStalled({ queue: queues.get(jobId) ?? queue ?? '', jobId, action: 'recovered', orphanedWhile });
      }
      for (const { jobId, deadLetterId } of result.deadLettered) {
        const orphanedWhile = result.orphanedWhile[jobId] ?? 'quarantine';
        const q = queues.get(jobId) ?? queue ?? '';
        onStalled({ queue: q, jobId, action: 'dead_lettered', deadLetterId, orphanedWhile });
      }
    }
    const recovered = result.recovered.length;
    const deadLettered = result.deadLettered.length;
    const report: ServiceReport = { recovered, deadLettered };
    if (queue === undefined) {
      const aim = await this.untilNextExpiry(now, recovered + deadLettered);
      this.nextDueInMs = aim === 'failed' ? undefined : aim;
      // The sweep is done and reported; a failed question only means the interval, said here.
      if (aim === 'failed') report.nextLeaseExpiryFailed = 1;
    }
    return report;
  }

  /** See {@link nextRunInMs}; undefined (the interval) when the store cannot tell or no job is running. */
  private async untilNextExpiry(now: number, swept: number): Promise<number | undefined | 'failed'> {
    if (swept >= this.batchSize) return this.minGapMs;
    const { store } = this.options;
    if (!store.nextLeaseExpiry) return undefined;
    let ms: number | null;
    try {
      ms = await store.nextLeaseExpiry({ now });
    } catch {
      return 'failed';
    }
    if (ms === null) return undefined;
    if (ms > 0 || swept > 0) {
      this.stuckGapMs = this.minGapMs;
      // One past the expiry: a lease counts as expired once it is strictly earlier than the sweep's now.
      return Math.max(this.minGapMs, ms + 1);
    }
    const gap = this.stuckGapMs;
    this.stuckGapMs = Math.min(this.intervalMs, gap * 2);
    return gap;
  }

  /** Whether this sweep falls in the grace after a forward step of the wall clock. */
  private heldForClockStep(wall: number, monotonic: number): boolean {
    const last = this.last;
    this.last = { wall, monotonic };
    if (last && wall - last.wall - (monotonic - last.monotonic) > STEP_TOLERANCE_MS) {
      this.holdUntil = monotonic + CLOCK_STEP_GRACE_MS;
    }
    return monotonic < this.holdUntil;
  }

  /** The queue of each job (the recovery result names jobs only); looked up only when someone listens. */
  private async queuesOf(
    recovered: readonly string[],
    deadLettered: readonly { jobId: string }[],
  ): Promise<Map<string, string>> {
    const ids = [...recovered, ...deadLettered.map((d) => d.jobId)];
    // Together: each lookup is a round trip on a network store, and the events wait for all of them.
    const jobs = await Promise.all(ids.map((id) => this.options.store.getJob({ id })));
    const out = new Map<string, string>();
    jobs.forEach((job, i) => {
      if (job) out.set(ids[i]!, job.queue);
    });
    return out;
  }
}
