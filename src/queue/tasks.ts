/**
 * Tasks: a named, typed handler bound to a queue. A task enqueues itself (`delay`, `scheduleIn`,
 * `scheduleAt`, `map`), runs in-process for tests (`run`), and several tasks share one worker
 * through a router that dispatches on the job's name.
 */
import { describeThrown } from '../core/as-error.js';
import { type Clock, systemClock } from '../core/clock.js';
import { PermanentError, RateLimitedError, ValidationError } from '../core/errors.js';
import { type StandardSchemaV1, validateWithSchema } from '../core/standard-schema.js';
import type { ActiveJob } from './active-job.js';
import { DEFAULT_MAX_ATTEMPTS, type JobOptions } from './job-options.js';
import type { BulkJob, EnqueuedJob, Queue } from './queue.js';
import type { JobHandler } from './worker.js';

/** A task's handler: the payload, and the job it came with (attempt, `signal`, …). */
export type TaskHandler<Payload, Result> = (
  payload: Payload,
  job: ActiveJob<Payload>,
) => Promise<Result> | Result;

/** The queue a task enqueues into (a {@link Queue} of any payload type). */
export type TaskQueue = Pick<Queue<unknown>, 'name' | 'add' | 'addBulk'>;

/** An error class, for {@link TaskOptions.retryOn}. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Options of {@link defineTask}. `Payload` is what the handler receives, `Input` what enqueueing
 * accepts (they differ when the schema fills defaults or converts).
 */
export interface TaskOptions<Payload, Input = Payload>
  extends Pick<JobOptions, 'priority' | 'maxAttempts' | 'timeout' | 'backoff'> {
  /**
   * Any Standard Schema v1 (zod 4, valibot, arktype, …), synchronous or asynchronous. It validates
   * payloads when they are enqueued or run (a {@link ValidationError} whose `field` is the path of
   * the first issue, whose message names every issue, and whose `details.issues` lists them) and
   * again when a worker picks the job up (an invalid stored payload is dead-lettered at once). The
   * schema's output is what gets enqueued and handled, so it must accept its own output.
   */
  schema?: StandardSchemaV1<Input, Payload>;
  /**
   * Only these errors are retried; any other error the handler throws dead-letters the job at
   * once (as a {@link PermanentError} whose `cause` is the original). Rate-limit errors always
   * keep their meaning. Default: the worker's usual classification.
   */
  retryOn?: readonly ErrorClass[] | ((error: unknown) => boolean);
  /** The clock of `run()`'s synthetic job. Default the system clock. */
  clock?: Clock;
}

/** Counters of one task in this process. */
export interface TaskStats {
  name: string;
  queue: string;
  /** Jobs this process added (new jobs only). */
  enqueued: number;
  /** Adds that matched an existing job by idempotency key. */
  deduplicated: number;
  /** Jobs this process handled to success (through a worker). */
  succeeded: number;
  /** Attempts of this task that threw in this process (through a worker). */
  failed: number;
  /** Calls of {@link Task.run}. */
  ranDirectly: number;
}

/** What a {@link TaskRouter} needs of a task. */
export interface RoutableTask {
  readonly name: string;
  readonly queue: string;
  /** Runs a claimed job of this task. */
  readonly handle: JobHandler<unknown, unknown>;
}

/** A task: see {@link defineTask}. */
export interface Task<Payload, Result = unknown> extends RoutableTask {
  /** Enqueues one job now (or as `options` say). */
  delay(payload: Payload, options?: JobOptions): Promise<EnqueuedJob>;
  /** Enqueues one job to run no sooner than `delayMs` from now. */
  scheduleIn(
    delayMs: number,
    payload: Payload,
    options?: Omit<JobOptions, 'delay' | 'runAt'>,
  ): Promise<EnqueuedJob>;
  /** Enqueues one job to run no sooner than `at`. */
  scheduleAt(
    at: Date | number,
    payload: Payload,
    options?: Omit<JobOptions, 'delay' | 'runAt'>,
  ): Promise<EnqueuedJob>;
  /** Enqueues one job per payload, atomically (all or none). */
  map(payloads: readonly Payload[], options?: Omit<JobOptions, 'idempotencyKey'>): Promise<EnqueuedJob[]>;
  /**
   * Calls the handler at once in this process, without the queue: no store, no retries, no
   * timeout. For tests and scripts. The job it receives has id `local-<n>` and attempt 1.
   */
  run(payload: Payload): Promise<Result>;
  /** Runs a claimed job of this task (give it to a Worker that serves only this task). */
  readonly handle: JobHandler<unknown, Result>;
  /** This process's counters. */
  stats(): TaskStats;
}

function validate<Payload>(
  schema: StandardSchemaV1<unknown, Payload> | undefined,
  value: unknown,
  field: string,
): Promise<Payload> {
  return schema ? validateWithSchema(schema, value, field) : Promise.resolve(value as Payload);
}

function retryable(retryOn: NonNullable<TaskOptions<unknown>['retryOn']>, error: unknown): boolean {
  if (typeof retryOn === 'function') return retryOn(error);
  return retryOn.some((cls) => error instanceof cls);
}

/**
 * Defines a task: `name` is the job name in `queue`; `options` (priority, attempts, timeout,
 * backoff) are the defaults of every job it enqueues, and each call may override them. With a
 * `schema` (any Standard Schema), payloads are validated and their types inferred from it.
 *
 * ```ts
 * const sendEmail = defineTask(queue, 'send-email', async ({ to }: { to: string }, job) => {
 *   await mailer.send(to, { signal: job.signal });
 * }, { priority: 'high', maxAttempts: 5 });
 *
 * await sendEmail.delay({ to: 'a@example.com' });
 * await sendEmail.scheduleIn(60_000, { to: 'b@example.com' });
 * new Worker(queue.name, createTaskRouter([sendEmail, resizeImage]), { store });
 * ```
 */
export function defineTask<Payload, Result = unknown, Input = Payload>(
  queue: TaskQueue,
  name: string,
  handler: TaskHandler<Payload, Result>,
  options: TaskOptions<Payload, Input> = {},
): Task<Input, Result> {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new ValidationError('name', 'must be a non-empty string of at most 200 characters');
  }
  if (typeof handler !== 'function') throw new ValidationError('handler', 'must be a function');
  if (!queue || typeof queue.add !== 'function') throw new ValidationError('queue', 'a Queue is required');
  const { schema, retryOn, clock = systemClock, ...jobDefaults } = options;
  const queueName = queue.name;
  const counters = { enqueued: 0, deduplicated: 0, succeeded: 0, failed: 0, ranDirectly: 0 };
  let localRuns = 0;

  const count = (job: EnqueuedJob): EnqueuedJob => {
    if (job.created) counters.enqueued++;
    else counters.deduplicated++;
    return job;
  };
  const add = async (payload: Input, jobOptions: JobOptions | undefined): Promise<EnqueuedJob> => {
    const value = await validate(schema, payload, 'payload');
    return count(await queue.add(name, value, { ...jobDefaults, ...jobOptions }));
  };

  const handle: JobHandler<unknown, Result> = async (job) => {
    try {
      const payload = await validate(schema, job.payload, 'payload');
      const result = await handler(payload, job as ActiveJob<Payload>);
      counters.succeeded++;
      return result;
    } catch (error) {
      counters.failed++;
      if (
        retryOn === undefined ||
        error instanceof RateLimitedError ||
        error instanceof ValidationError ||
        retryable(retryOn, error)
      ) {
        throw error;
      }
      const message = error instanceof Error ? `${error.name}: ${error.message}` : describeThrown(error);
      throw new PermanentError(`task ${name} does not retry this error (retryOn): ${message}`, {
        cause: error,
      });
    }
  };

  return {
    name,
    queue: queueName,
    handle,
    delay: (payload, jobOptions) => add(payload, jobOptions),
    scheduleIn: (delayMs, payload, jobOptions) => add(payload, { ...jobOptions, delay: delayMs }),
    scheduleAt: (at, payload, jobOptions) => add(payload, { ...jobOptions, runAt: at }),
    async map(payloads, jobOptions) {
      if (!Array.isArray(payloads)) throw new ValidationError('payloads', 'must be an array');
      const values = await Promise.all(
        payloads.map((payload, i) => validate(schema, payload, `payloads[${i}]`)),
      );
      const entries: BulkJob<unknown>[] = values.map((value) => ({
        name,
        payload: value,
        options: { ...jobDefaults, ...jobOptions },
      }));
      return (await queue.addBulk(entries)).map(count);
    },
    async run(payload) {
      const value = await validate(schema, payload, 'payload');
      counters.ranDirectly++;
      const controller = new AbortController();
      const job: ActiveJob<Payload> = {
        id: `local-${++localRuns}`,
        queue: queueName,
        name,
        payload: value,
        attempt: 1,
        maxAttempts: jobDefaults.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        orphanCount: 0,
        createdAt: clock.now(),
        replayOf: null,
        headers: null,
        token: 'local',
        signal: controller.signal,
        transaction: () =>
          Promise.reject(
            new ValidationError(
              'transaction',
              `task ${name} was run directly, outside a worker: there is no job to complete in a transaction`,
            ),
          ),
        // Run directly there is no stored job to record progress on, and nobody listening for it.
        updateProgress: () => Promise.resolve(),
      };
      return handler(value, job);
    },
    stats: () => ({ name, queue: queueName, ...counters }),
  };
}

/**
 * Tasks served by one worker, by job name. All tasks of a registry belong to one queue (a worker
 * serves one queue); registering a second task of the same name is an error.
 */
export class TaskRegistry {
  private readonly tasks = new Map<string, RoutableTask>();
  private queueName: string | undefined;

  /** @param tasks initial tasks */
  constructor(tasks: Iterable<RoutableTask> = []) {
    for (const task of tasks) this.register(task);
  }

  /** Adds a task. Throws {@link ValidationError} for a duplicate name or a task of another queue. */
  register(task: RoutableTask): this {
    if (!task || typeof task.handle !== 'function' || typeof task.name !== 'string') {
      throw new ValidationError('task', 'must be a task created by defineTask');
    }
    if (this.queueName !== undefined && task.queue !== this.queueName) {
      throw new ValidationError(
        'task',
        `task ${task.name} belongs to queue ${task.queue}, but this registry serves ${this.queueName}`,
      );
    }
    if (this.tasks.has(task.name)) {
      throw new ValidationError('task', `a task named ${task.name} is already registered`);
    }
    this.queueName = task.queue;
    this.tasks.set(task.name, task);
    return this;
  }

  /** The queue the registered tasks belong to, if any is registered. */
  get queue(): string | undefined {
    return this.queueName;
  }

  /** The task named `name`, if registered. */
  get(name: string): RoutableTask | undefined {
    return this.tasks.get(name);
  }

  /** Names of the registered tasks, in registration order. */
  names(): string[] {
    return [...this.tasks.keys()];
  }

  /**
   * The job handler that runs each job with the task of its name. A job whose name no task has
   * fails with a {@link PermanentError} (code `PERMANENT_FAILURE`, `details.name`), so it is
   * dead-lettered at once instead of retried. Tasks registered later are served too.
   */
  readonly handler: JobHandler<unknown, unknown> = (job) => {
    const task = this.tasks.get(job.name);
    if (!task) {
      throw new PermanentError(
        `no task named ${JSON.stringify(job.name)} is registered for queue ${job.queue} (known: ${this.names().join(', ') || 'none'})`,
        { details: { name: job.name, queue: job.queue } },
      );
    }
    return task.handle(job);
  };
}

/**
 * A job handler that dispatches on `job.name` to the given tasks, so one worker serves many
 * tasks; an unknown name fails with a {@link PermanentError}. See {@link TaskRegistry}.
 */
export function createTaskRouter(tasks: Iterable<RoutableTask> | TaskRegistry): JobHandler<unknown, unknown> {
  return (tasks instanceof TaskRegistry ? tasks : new TaskRegistry(tasks)).handler;
}
