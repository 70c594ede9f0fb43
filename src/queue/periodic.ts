/**
 * Periodic jobs. A scheduler computes each schedule's slots (every N ms, or a cron expression) and
 * enqueues one job per slot with the idempotency key `periodic:<name>:<slot ISO time>`, so any
 * number of processes may run the same scheduler against one store: the store keeps one job per
 * slot and the others' adds return it.
 *
 * Catch-up policy: when a scheduler starts, or wakes late (process paused, event loop blocked),
 * it enqueues only the most recent slot at or before now; older missed slots are skipped. After
 * downtime a schedule therefore runs once, not once per missed slot. `catchUp: 'none'` skips that
 * slot too, and only enqueues slots that fall due while the scheduler runs.
 */

import { Cron } from 'croner';
import { z } from 'zod';
import { asError } from '../core/as-error.js';
import { type Clock, systemClock, type TimerHandle } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { type Listener, TypedEmitter } from '../events.js';
import type { JobOptions } from './job-options.js';
import type { EnqueuedJob } from './queue.js';
import type { Task, TaskQueue } from './tasks.js';

/** One slot of a schedule, given to a payload function. */
export interface PeriodicSlot {
  /** The schedule's name. */
  name: string;
  /** The slot's time, ms since the epoch. */
  slotAt: number;
}

interface PeriodicBase<Payload> {
  /** Unique within the scheduler; part of every slot's idempotency key. */
  name: string;
  /**
   * The job's payload: a value, or a function of the slot. Default `{ schedule: name, slotAt }`.
   */
  payload?: Payload | ((slot: PeriodicSlot) => Payload);
  /** Options of each enqueued job (`idempotencyKey` is set by the scheduler). */
  jobOptions?: Omit<JobOptions, 'idempotencyKey' | 'delay' | 'runAt'>;
  /** `latest` (default): on start, enqueue the most recent slot if it is not in the store yet. `none`: do not. */
  catchUp?: 'latest' | 'none';
}

/** When a schedule fires: every `everyMs` (slots aligned to the epoch), or on a cron expression. */
export type PeriodicTiming =
  | { everyMs: number; cron?: never; timezone?: never }
  | {
      /** 5-field (minute precision) or 6-field (seconds first) cron expression. */
      cron: string;
      /** IANA time zone of the expression. Default the process's. */
      timezone?: string;
      everyMs?: never;
    };

/** What the scheduler enqueues: a task's job, or a named job in the scheduler's queue. */
export type PeriodicTarget<Payload> =
  | { task: Task<Payload, unknown>; jobName?: never }
  | {
      /** The job name. Default the schedule's name. */
      jobName?: string;
      task?: never;
    };

/** A periodic schedule for {@link PeriodicScheduler.add}. */
export type PeriodicJob<Payload = unknown> = PeriodicBase<Payload> & PeriodicTiming & PeriodicTarget<Payload>;

/** A schedule as {@link PeriodicScheduler.list} reports it. */
export interface PeriodicJobInfo {
  name: string;
  queue: string;
  jobName: string;
  everyMs: number | null;
  cron: string | null;
  timezone: string | null;
  /** The next slot after now (ms since the epoch), or null if the cron expression has none. */
  nextRunAt: number | null;
  /** The last slot this process enqueued (or found already enqueued), or null. */
  lastSlotAt: number | null;
  /** The job of that slot. */
  lastJobId: string | null;
  /** Slots this process enqueued as new jobs. */
  enqueued: number;
  /** Slots another process (or an earlier run) had already enqueued. */
  deduplicated: number;
}

/** Events of a {@link PeriodicScheduler}. */
export interface PeriodicEvents {
  /** A slot was enqueued (`created: false`: another process had enqueued it already). */
  'periodic.enqueued': { name: string; queue: string; slotAt: number; jobId: string; created: boolean };
  /** Enqueueing a slot failed; it is retried after `retryDelayMs` while it is still the latest. */
  error: { queue: string; name: string; slotAt: number; error: Error };
}

/** Options of {@link PeriodicScheduler}. */
export interface PeriodicSchedulerOptions {
  /** The queue of schedules that name no task. */
  queue?: TaskQueue;
  clock?: Clock;
  /** Delay before retrying a slot whose enqueue failed. Default 1000 ms. */
  retryDelayMs?: number;
  /** Longest single timer; longer waits re-check the time. Default 60 000 ms. */
  maxSleepMs?: number;
}

/** The slots of a schedule. */
interface SlotCalendar {
  /** The latest slot at or before `now`, or null. */
  latest(now: number): number | null;
  /** The first slot after `now`, or null. */
  next(now: number): number | null;
}

interface Entry {
  readonly name: string;
  readonly queue: string;
  readonly jobName: string;
  readonly everyMs: number | null;
  readonly cron: string | null;
  readonly timezone: string | null;
  readonly calendar: SlotCalendar;
  readonly catchUp: 'latest' | 'none';
  readonly enqueue: (slot: number) => Promise<EnqueuedJob>;
  timer: TimerHandle | undefined;
  firing: Promise<void> | undefined;
  lastSlot: number | null;
  lastJobId: string | null;
  skipCurrent: boolean;
  enqueued: number;
  deduplicated: number;
}

const baseSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\s]+$/, 'must not contain whitespace'),
  everyMs: z.number().int().positive().optional(),
  cron: z.string().min(1).optional(),
  timezone: z.string().min(1).optional(),
  jobName: z.string().min(1).max(200).optional(),
  catchUp: z.enum(['latest', 'none']).default('latest'),
});

function intervalCalendar(everyMs: number): SlotCalendar {
  return {
    latest: (now) => Math.floor(now / everyMs) * everyMs,
    next: (now) => Math.floor(now / everyMs) * everyMs + everyMs,
  };
}

function cronCalendar(expression: string, timezone: string | undefined, now: number): SlotCalendar {
  let cron: Cron;
  try {
    cron = new Cron(expression, { paused: true, ...(timezone === undefined ? {} : { timezone }) });
  } catch (error) {
    throw new ValidationError('cron', (error as Error).message);
  }
  try {
    cron.nextRun(new Date(now));
  } catch (error) {
    throw new ValidationError('timezone', (error as Error).message);
  }
  return {
    // previousRuns excludes a run exactly at the reference; +1 ms makes "at or before now".
    latest: (t) => cron.previousRuns(1, new Date(t + 1))[0]?.getTime() ?? null,
    next: (t) => cron.nextRun(new Date(t))?.getTime() ?? null,
  };
}

/** The idempotency key of a schedule's slot. */
export function periodicSlotKey(name: string, slotAt: number): string {
  return `periodic:${name}:${new Date(slotAt).toISOString()}`;
}

/**
 * Enqueues periodic jobs on schedule. Run the same scheduler in every process that should keep
 * the schedule alive: each slot becomes one job however many run it (see the module notes on
 * the catch-up policy). Jobs are enqueued, not run: a worker of the queue runs them.
 *
 * ```ts
 * const scheduler = new PeriodicScheduler({ queue });
 * scheduler.add({ name: 'cleanup', everyMs: 3_600_000 });
 * scheduler.add({ name: 'report', cron: '0 6 * * 1-5', timezone: 'Europe/Berlin', task: sendReport });
 * scheduler.start();
 * ```
 */
export class PeriodicScheduler {
  private readonly queue: TaskQueue | undefined;
  private readonly clock: Clock;
  private readonly retryDelayMs: number;
  private readonly maxSleepMs: number;
  private readonly entries = new Map<string, Entry>();
  private readonly emitter = new TypedEmitter<PeriodicEvents>();
  private running = false;

  constructor(options: PeriodicSchedulerOptions = {}) {
    this.queue = options.queue;
    this.clock = options.clock ?? systemClock;
    this.retryDelayMs = positive('retryDelayMs', options.retryDelayMs ?? 1000);
    this.maxSleepMs = positive('maxSleepMs', options.maxSleepMs ?? 60_000);
  }

  /** Listens to the scheduler's events; returns a function that removes the listener. */
  on<E extends keyof PeriodicEvents>(event: E, listener: Listener<PeriodicEvents, E>): () => void {
    return this.emitter.on(event, listener);
  }

  /**
   * Registers a schedule (validated; the error names the field). Added while running, it starts
   * at once. Returns the scheduler, for chaining.
   */
  add<Payload = unknown>(job: PeriodicJob<Payload>): this {
    const parsed = baseSchema.safeParse(job);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ValidationError(issue?.path.join('.') || 'job', issue?.message ?? 'invalid');
    }
    const o = parsed.data;
    if ((o.everyMs === undefined) === (o.cron === undefined)) {
      throw new ValidationError('everyMs', 'give exactly one of everyMs and cron');
    }
    if (o.timezone !== undefined && o.cron === undefined) {
      throw new ValidationError('timezone', 'applies to cron schedules only');
    }
    if (this.entries.has(o.name)) throw new ValidationError('name', `a schedule named ${o.name} exists`);
    const calendar =
      o.everyMs !== undefined
        ? intervalCalendar(o.everyMs)
        : cronCalendar(o.cron as string, o.timezone, this.clock.now());

    const task = job.task;
    if (task !== undefined && (typeof task.delay !== 'function' || typeof task.name !== 'string')) {
      throw new ValidationError('task', 'must be a task created by defineTask');
    }
    const queue = this.queue;
    if (!task && !queue)
      throw new ValidationError('queue', 'give the scheduler a queue, or the schedule a task');
    const jobName = task ? task.name : (o.jobName ?? o.name);
    const payloadOf = (slotAt: number): Payload => {
      const { payload } = job;
      if (payload === undefined) return { schedule: o.name, slotAt } as Payload;
      return typeof payload === 'function'
        ? (payload as (slot: PeriodicSlot) => Payload)({ name: o.name, slotAt })
        : payload;
    };
    const entry: Entry = {
      name: o.name,
      queue: task ? task.queue : (queue as TaskQueue).name,
      jobName,
      everyMs: o.everyMs ?? null,
      cron: o.cron ?? null,
      timezone: o.timezone ?? null,
      calendar,
      catchUp: o.catchUp,
      enqueue: (slotAt) => {
        const options = { ...job.jobOptions, idempotencyKey: periodicSlotKey(o.name, slotAt) };
        return task
          ? task.delay(payloadOf(slotAt), options)
          : (queue as TaskQueue).add(jobName, payloadOf(slotAt), options);
      },
      timer: undefined,
      firing: undefined,
      lastSlot: null,
      lastJobId: null,
      skipCurrent: o.catchUp === 'none',
      enqueued: 0,
      deduplicated: 0,
    };
    this.entries.set(o.name, entry);
    if (this.running) this.fire(entry);
    return this;
  }

  /** Unregisters a schedule; returns whether it existed. Jobs already enqueued stay. */
  remove(name: string): boolean {
    const entry = this.entries.get(name);
    if (!entry) return false;
    if (entry.timer) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    this.entries.delete(name);
    return true;
  }

  /** Starts every schedule: enqueues the latest slot (catch-up), then each slot as it falls due. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const entry of this.entries.values()) {
      entry.skipCurrent = entry.catchUp === 'none';
      this.fire(entry);
    }
  }

  /** Stops scheduling and waits for enqueues in flight. Can be started again. */
  async stop(): Promise<void> {
    this.running = false;
    const firing: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      if (entry.timer) this.clock.clearTimeout(entry.timer);
      entry.timer = undefined;
      if (entry.firing) firing.push(entry.firing);
    }
    await Promise.all(firing);
  }

  /** Whether the scheduler is started. */
  get isRunning(): boolean {
    return this.running;
  }

  /** The registered schedules with their next run times, in registration order. */
  list(): PeriodicJobInfo[] {
    const now = this.clock.now();
    return [...this.entries.values()].map((e) => ({
      name: e.name,
      queue: e.queue,
      jobName: e.jobName,
      everyMs: e.everyMs,
      cron: e.cron,
      timezone: e.timezone,
      nextRunAt: e.calendar.next(now),
      lastSlotAt: e.lastSlot,
      lastJobId: e.lastJobId,
      enqueued: e.enqueued,
      deduplicated: e.deduplicated,
    }));
  }

  private fire(entry: Entry): void {
    entry.timer = undefined;
    if (!this.running || entry.firing || this.entries.get(entry.name) !== entry) return;
    entry.firing = this.enqueueDue(entry).then((failed) => {
      entry.firing = undefined;
      this.arm(entry, failed);
    });
  }

  /** Enqueues the latest due slot if this process has not yet; resolves true if that failed. */
  private async enqueueDue(entry: Entry): Promise<boolean> {
    const slot = entry.calendar.latest(this.clock.now());
    if (slot === null || (entry.lastSlot !== null && slot <= entry.lastSlot)) return false;
    if (entry.skipCurrent) {
      entry.skipCurrent = false;
      entry.lastSlot = slot;
      return false;
    }
    try {
      const job = await entry.enqueue(slot);
      entry.lastSlot = Math.max(slot, entry.lastSlot ?? slot);
      entry.lastJobId = job.id;
      if (job.created) entry.enqueued++;
      else entry.deduplicated++;
      this.emitter.emit('periodic.enqueued', {
        name: entry.name,
        queue: entry.queue,
        slotAt: slot,
        jobId: job.id,
        created: job.created,
      });
      return false;
    } catch (error) {
      this.emitter.emit('error', {
        queue: entry.queue,
        name: entry.name,
        slotAt: slot,
        error: asError(error),
      });
      return true;
    }
  }

  private arm(entry: Entry, failed: boolean): void {
    entry.skipCurrent = false;
    if (!this.running || this.entries.get(entry.name) !== entry) return;
    const now = this.clock.now();
    let delay: number;
    if (failed) {
      delay = this.retryDelayMs;
    } else {
      const latest = entry.calendar.latest(now);
      if (latest !== null && (entry.lastSlot === null || latest > entry.lastSlot)) {
        delay = 0; // a slot fell due while enqueueing
      } else {
        const next = entry.calendar.next(now);
        delay = next === null ? this.maxSleepMs : next - now;
      }
    }
    entry.timer = this.clock.setTimeout(() => this.fire(entry), Math.min(delay, this.maxSleepMs));
  }
}

function positive(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ValidationError(field, 'must be a positive integer');
  return value;
}
