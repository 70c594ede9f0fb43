/**
 * A failure storm on the stores that answer in a later turn (Redis, PostgreSQL), on the real
 * servers: failures are written in batches beside the claim or write in flight, so a retry can be
 * claimed again before the answer to its failure arrives. Every job must still run exactly as often
 * as its outcome says (once more per retry, never twice for one attempt), every outcome must land
 * once, and no worker may lose a lease it holds. The fake stores of the unit tests keep no order
 * between calls; these runs have the servers' own. How much the writes overlap depends on how fast
 * the local server answers (a claim often returns before a batch of failures fills), so the run
 * checks outcomes, not the overlap itself (test/queue/parts covers that with ordered fakes).
 */
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { Queue } from '../../src/queue/queue.js';
import { OVERLAPPED_FAILURE_BATCH } from '../../src/queue/settlements.js';
import { Worker } from '../../src/queue/worker.js';
import type { Store } from '../../src/store/store.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService, redisService } from '../support/services.js';
import { redisStoreHarness, within } from './redis-store-harness.js';

const redis = await redisService();
const postgres = await postgresService();

/** Jobs that fail once (a 503) and then succeed: more than two overlapped batches' worth. */
const RETRIED = OVERLAPPED_FAILURE_BATCH * 3;
/** Jobs that always fail with a permanent error (dead letters). */
const DEAD = OVERLAPPED_FAILURE_BATCH + 100;

type Payload = { n: number; permanent?: true };

/** Runs the storm on `store` and checks every job ran and landed exactly as its outcome says. */
async function stormOn(store: Store): Promise<void> {
  const queue = new Queue<Payload>('storm', {
    store,
    defaultJobOptions: { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 0, jitter: 'none' } },
  });
  const runs = new Map<number, number>();
  let settled = 0;
  let allSettled: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  const worker = new Worker<Payload>(
    'storm',
    (job) => {
      const { n, permanent } = job.payload;
      runs.set(n, (runs.get(n) ?? 0) + 1);
      if (permanent) throw new PermanentError('the order was rejected by the payment provider');
      if (job.attempt === 1) {
        throw Object.assign(new Error('upstream returned 503 Service Unavailable'), { status: 503 });
      }
    },
    { store, concurrency: 50, pollIntervalMs: 20 },
  );
  const count = () => {
    if (++settled === RETRIED + DEAD) allSettled();
  };
  worker.on('job.completed', count);
  worker.on('job.dead_lettered', count);
  try {
    await queue.addBulk(
      Array.from({ length: RETRIED + DEAD }, (_, n) => ({
        name: 'charge',
        payload: n < RETRIED ? { n } : { n, permanent: true as const },
      })),
    );
    await within(60_000, done, 'the storm');
    const stats = worker.stats();
    expect(stats).toMatchObject({ completed: RETRIED, deadLettered: DEAD, retried: RETRIED, leasesLost: 0 });
  } finally {
    await worker.close();
    await queue.close();
  }
  const ranTwice = [...runs].filter(([n, times]) => n < RETRIED && times === 2).length;
  const ranOnce = [...runs].filter(([n, times]) => n >= RETRIED && times === 1).length;
  expect({ jobs: runs.size, ranTwice, ranOnce }).toEqual({
    jobs: RETRIED + DEAD,
    ranTwice: RETRIED,
    ranOnce: DEAD,
  });
  expect(await store.countJobs({ queue: 'storm' })).toMatchObject({
    completed: RETRIED,
    dead_lettered: DEAD,
    active: 0,
    waiting: 0,
  });
  const deadLetters = await store.listDeadLetters({ queue: 'storm', limit: 1, withTotal: true });
  expect(deadLetters.total).toBe(DEAD);
}

describe.skipIf(!redis.available)('a failure storm on Redis, failures written beside claims', () => {
  const { open } = redisStoreHarness(redis);

  it('runs each retried job twice and each dead letter once, every outcome landed once', async () => {
    await stormOn(open({ clock: 'server' }));
  }, 90_000);
});

describe.skipIf(!postgres.available)('a failure storm on PostgreSQL, failures written beside claims', () => {
  const schema = new PostgresTestSchema(postgres.url, 'storm');

  it('runs each retried job twice and each dead letter once, every outcome landed once', async () => {
    const store = await schema.freshStore();
    try {
      await stormOn(store);
    } finally {
      await store.close();
      await schema.drop();
    }
  }, 90_000);
});
