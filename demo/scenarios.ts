/**
 * What the demo's jobs do. Each job carries a `behaviour` chosen by the producer, so the handler
 * fails in a realistic, reproducible way: a flaky downstream (503, ECONNRESET) that recovers after
 * a retry or two, a downstream that stays down, a request that can never succeed (422, a
 * PermanentError), a rate limit (429 with Retry-After), or a call that hangs past its timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type ActiveJob, type JobOptions, PermanentError, type PriorityName } from '../src/index.js';

/** How a job behaves when it runs. */
export type Behaviour =
  /** Succeeds on the first attempt. */
  | { kind: 'ok' }
  /** Fails with a retryable error on the first `failures` attempts, then succeeds. */
  | { kind: 'flaky'; failures: number; error: 'http_503' | 'econnreset' }
  /** Always fails with a retryable error: dead-lettered once its attempts are spent. */
  | { kind: 'down' }
  /** Can never succeed: dead-lettered at once. */
  | { kind: 'invalid'; error: 'http_422' | 'permanent' }
  /** Answers 429 with `Retry-After: 1` once (rescheduled without spending an attempt), then succeeds. */
  | { kind: 'rate_limited' }
  /** Hangs past the job timeout on the first `hangs` attempts. */
  | { kind: 'slow'; hangs: number };

/** A demo queue: its worker settings and the jobs the producer adds to it. */
export interface DemoQueue {
  name: string;
  /** Jobs added per second. */
  rate: number;
  concurrency: number;
  /** Defaults for every job of the queue. */
  jobOptions: JobOptions;
  /** Handler time of a successful attempt, in ms: [min, max]. */
  workMs: [number, number];
  /** A new job: its name, payload and options. */
  nextJob: (seq: number) => { name: string; payload: DemoPayload; options: JobOptions };
}

/** Every demo payload names its behaviour. */
export interface DemoPayload {
  behaviour: Behaviour;
  [key: string]: unknown;
}

/** An HTTP error as most clients throw them: redrive classifies it by `status`. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

function between(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/** Draws a behaviour: mostly fine, some flaky, a few broken. `slow` only where jobs have a timeout. */
function drawBehaviour(options: { slow: boolean; rateLimited: boolean }): Behaviour {
  const r = Math.random();
  if (r < 0.12) return { kind: 'flaky', failures: between(1, 2), error: pick(['http_503', 'econnreset']) };
  if (r < 0.14) return { kind: 'down' };
  if (r < 0.18) return { kind: 'invalid', error: pick(['http_422', 'permanent']) };
  if (options.rateLimited && r < 0.21) return { kind: 'rate_limited' };
  if (options.slow && r < 0.24) return { kind: 'slow', hangs: Math.random() < 0.7 ? 1 : 99 };
  return { kind: 'ok' };
}

/** A delay for about one job in ten, so the `scheduled` column has something in it. */
function maybeDelay(): JobOptions {
  return Math.random() < 0.1 ? { delay: between(1000, 5000) } : {};
}

/** The demo's queues. */
export const DEMO_QUEUES: readonly DemoQueue[] = [
  {
    name: 'emails',
    rate: 20,
    concurrency: 8,
    jobOptions: { maxAttempts: 4, timeout: 2000 },
    workMs: [10, 60],
    nextJob: (seq) => {
      const template = pick(['welcome', 'receipt', 'receipt', 'password-reset', 'newsletter']);
      const priority: PriorityName =
        template === 'password-reset' ? 'high' : template === 'newsletter' ? 'low' : 'normal';
      return {
        name: `send-${template}`,
        payload: {
          to: `user${seq % 997}@example.com`,
          template,
          behaviour: drawBehaviour({ slow: false, rateLimited: false }),
        },
        options: { priority, ...maybeDelay() },
      };
    },
  },
  {
    name: 'webhooks',
    rate: 15,
    concurrency: 16,
    jobOptions: { maxAttempts: 4, timeout: 800 },
    workMs: [20, 150],
    nextJob: (seq) => {
      const event = pick(['order.paid', 'order.shipped', 'invoice.created', 'customer.updated']);
      return {
        name: 'deliver-webhook',
        payload: {
          endpoint: `https://hooks.example.com/tenant-${seq % 13}`,
          event,
          behaviour: drawBehaviour({ slow: true, rateLimited: true }),
        },
        options: { priority: event === 'order.paid' ? 'high' : 'normal', ...maybeDelay() },
      };
    },
  },
  {
    name: 'reports',
    rate: 3,
    concurrency: 2,
    jobOptions: { maxAttempts: 3, timeout: 1500 },
    workMs: [150, 500],
    nextJob: (seq) => {
      const kind = pick(['daily-sales', 'inventory', 'churn']);
      return {
        name: `build-${kind}`,
        payload: { reportId: `r-${seq}`, kind, behaviour: drawBehaviour({ slow: true, rateLimited: false }) },
        options: { priority: pick(['normal', 'low'] as const), ...maybeDelay() },
      };
    },
  },
];

function retryableError(kind: 'http_503' | 'econnreset'): Error {
  if (kind === 'http_503') return new HttpError(503, 'upstream answered 503 Service Unavailable');
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** Builds the handler of a demo queue. */
export function createHandler(queue: DemoQueue): (job: ActiveJob<DemoPayload>) => Promise<{ ok: true }> {
  return async (job) => {
    const behaviour = job.payload.behaviour;
    const work = between(queue.workMs[0], queue.workMs[1]);
    switch (behaviour.kind) {
      case 'flaky':
        await sleep(work / 2, undefined, { signal: job.signal });
        if (job.attempt <= behaviour.failures) throw retryableError(behaviour.error);
        break;
      case 'down':
        await sleep(work / 2, undefined, { signal: job.signal });
        throw retryableError('http_503');
      case 'invalid':
        await sleep(work / 4, undefined, { signal: job.signal });
        if (behaviour.error === 'http_422') {
          throw new HttpError(
            422,
            'upstream answered 422 Unprocessable Entity: "endpoint" is not a valid URL',
          );
        }
        throw new PermanentError(`${job.name}: the payload refers to a record that no longer exists`);
      case 'rate_limited':
        // Only the first attempt is rate-limited; a rate-limit pause does not spend an attempt.
        if (job.attempt === 1 && firstVisit(job.id)) {
          throw new HttpError(429, 'upstream answered 429 Too Many Requests', { 'retry-after': '1' });
        }
        break;
      case 'slow':
        if (job.attempt <= behaviour.hangs) {
          // Hangs until the job's timeout aborts the signal; the worker records a timeout.
          await sleep(60_000, undefined, { signal: job.signal });
        }
        break;
      case 'ok':
        break;
    }
    await sleep(work, undefined, { signal: job.signal });
    return { ok: true };
  };
}

/** Rate-limited jobs keep `attempt === 1` when rescheduled, so remember which ones were already limited. */
const limited = new Set<string>();
function firstVisit(jobId: string): boolean {
  if (limited.delete(jobId)) return false;
  limited.add(jobId);
  return true;
}
