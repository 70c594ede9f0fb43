/**
 * The failure storm, as when a downstream API refuses every request:
 * - `fail-permanent-c50`: every job throws a `PermanentError` and ends as a dead letter;
 * - `fail-retry-c50`: every job fails once with an HTTP 503 (retryable), is retried at once (zero
 *   backoff, two attempts) and then succeeds.
 * The `-dl1m` variants first store a large dead-letter queue (1M records, 100k with `--quick`)
 * through `insertDeadLetters`, so that the failure path pays for the indexes of a full DLQ.
 * Jobs are pre-filled, then a Worker at concurrency 50 drains them; the clock stops when the
 * handler has run for every attempt and the worker has committed every outcome.
 */
import { type JobOptions, PermanentError, Queue, type Store } from '../../src/index.js';
import { makeDeadLetter } from '../dead-letter-records.js';
import type { BenchPayload } from '../payload.js';
import { yieldToLoop } from '../wait.js';
import { expectCount, QUEUE, type Scenario, serverCpuWindow } from './context.js';
import { drain } from './drain.js';
import { prefill } from './prefill.js';

/** How the handler fails: at once for good, or once with a retryable 503. */
export type FailureKind = 'permanent' | 'retry';

/** Two attempts, retried at once: the retry scenario measures the failure path, not the backoff. */
const RETRY_JOB_OPTIONS: JobOptions = {
  maxAttempts: 2,
  backoff: { type: 'fixed', delayMs: 0, jitter: 'none' },
};

/** An error as an HTTP client would throw it for a 503 response. */
function serviceUnavailable(): Error {
  return Object.assign(new Error('upstream returned 503 Service Unavailable'), { status: 503 });
}

/**
 * Where the stored dead letters' TTL ends: after any run. The records' own TTL (72 hours after they
 * failed, early 2026) is long past, so the worker's maintainer would expire every stored entry
 * during the timed drain, and the scenario would measure retention rather than the failure path.
 */
const STORED_EXPIRES_AT = Date.UTC(2100, 0, 1);

/** Stores `count` dead letters (untimed set-up), in calls of `chunk`, none of them due to expire. */
export async function storeDeadLetters(store: Store, count: number, chunk = 5_000): Promise<void> {
  const now = Date.UTC(2026, 0, 1);
  for (let first = 0; first < count; first += chunk) {
    const n = Math.min(chunk, count - first);
    await store.insertDeadLetters({
      deadLetters: Array.from({ length: n }, (_, k) => ({
        ...makeDeadLetter(first + k),
        expiresAt: STORED_EXPIRES_AT,
      })),
      now,
    });
    await yieldToLoop();
  }
}

export function failScenario(kind: FailureKind, storedDeadLetters: 'none' | 'large'): Scenario {
  return async (ctx) => {
    const { db, sizes, rss } = ctx;
    const store = db.open();
    const stored = storedDeadLetters === 'large' ? sizes.storedDeadLetters : 0;
    let fillSeconds = 0;
    if (stored > 0) {
      rss.mark('dead-letters');
      const fillStart = performance.now();
      await storeDeadLetters(store, stored);
      fillSeconds = (performance.now() - fillStart) / 1000;
    }
    const queue = new Queue<BenchPayload>(QUEUE, {
      store,
      ...(kind === 'retry' ? { defaultJobOptions: RETRY_JOB_OPTIONS } : {}),
    });
    const total = sizes.fail;
    rss.mark('prefill');
    await prefill(queue, total);
    await db.settle();
    rss.mark('drain');
    const window = await serverCpuWindow(ctx);
    const calls = kind === 'retry' ? total * 2 : total;
    const result = await drain(store, calls, {
      concurrency: 50,
      onProgress: () => rss.sample(),
      progressEvery: Math.max(1, Math.floor(calls / 20)),
      behaviour:
        kind === 'permanent'
          ? () => {
              throw new PermanentError('the order was rejected by the payment provider');
            }
          : (job) => {
              if (job.attempt === 1) throw serviceUnavailable();
            },
      committed: (stats) => (kind === 'retry' ? stats.completed : stats.deadLettered),
      expected: total,
    });
    const server = await window(total);
    rss.sample();
    const drainRss = rss.phaseSummary('drain');
    rss.mark('close');
    const counts = await queue.getCounts();
    if (kind === 'retry') expectCount('completed jobs', counts.completed, total);
    else expectCount('dead-lettered jobs', counts.dead_lettered, total);
    const dead = await store.listDeadLetters({ limit: 1, withTotal: true });
    expectCount('dead letters', dead.total ?? -1, stored + (kind === 'permanent' ? total : 0));
    await store.close();
    return {
      jobs: total,
      seconds: result.seconds,
      details: {
        concurrency: 50,
        attempts: calls,
        storedDeadLetters: stored,
        ...(stored > 0 ? { fillSeconds: Math.round(fillSeconds * 10) / 10 } : {}),
        eventLoopStallMs: result.eventLoopStallMs,
        cpuSeconds: Math.round(result.cpuSeconds * 1000) / 1000,
        ...(result.mainThreadCpuSeconds === undefined
          ? {}
          : {
              mainThreadCpuSeconds: Math.round(result.mainThreadCpuSeconds * 1000) / 1000,
              storeCpuSeconds: Math.round(result.storeCpuSeconds * 1000) / 1000,
            }),
        rssDrainStartMb: drainRss.startMb,
        rssDrainEndMb: drainRss.endMb,
        rssDrainGrowthMb: drainRss.growthMb,
        ...server,
        ...(result.errors.length ? { workerErrors: result.errors.slice(0, 5) } : {}),
      },
    };
  };
}
