/**
 * A failure storm on the stores that answer in a later turn (Redis, PostgreSQL), on the real
 * servers: failures are written in batches beside the claim or write in flight, so a retry can be
 * claimed again before the answer to its failure arrives. Every job must still run exactly as often
 * as its outcome says (once more per retry, never twice for one attempt), every outcome must land
 * once, and no worker may lose a lease it holds. The fake stores of the unit tests keep no order
 * between calls; these runs have the servers' own. How much the writes overlap depends on how fast
 * the local server answers (a claim often returns before a batch of failures fills), so the run
 * checks outcomes, not the overlap itself (test/queue/parts covers that with ordered fakes).
 * A second run forces the race: the answer to each failure write is held back until one of the
 * jobs it retried has been claimed again, and each retry started that early checks that the
 * heartbeats after the answer still extend its new lease.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import type { ClaimedJob } from '../../src/core/job.js';
import { Queue } from '../../src/queue/queue.js';
import { OVERLAPPED_FAILURE_BATCH } from '../../src/queue/settlements.js';
import { Worker } from '../../src/queue/worker.js';
import type {
  ExtendLeasesParams,
  FailJobResult,
  FailJobsParams,
  FenceResult,
} from '../../src/store/job-store.js';
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

/**
 * `sentinel`: one job that runs from before the storm until it has settled, so that the worker
 * always holds a lease and every heartbeat reaches the store (a heartbeat that leaves out a job
 * is then seen, not skipped).
 */
type Payload = { n: number; permanent?: true; sentinel?: true };

/**
 * `store`, with the answer to each failure write held back until one of the jobs it retried has
 * been claimed again (the write itself lands at once, so the retry is claimable). A claim that
 * finds no job releases every held answer, so a retry that fell due late cannot stall the storm.
 * A retry claimed while its failure's answer was held (`startedEarly`) waits for that answer and
 * then for two heartbeats, and is counted as `unextended` when neither extended its lease.
 */
function holdingFailureAnswers(store: Store) {
  /** Releases of held answers, by the ids of the retried jobs they wait for. */
  const held = new Map<string, () => void>();
  /** Answers delivered, by the ids of the jobs reclaimed before them. */
  const answers = new Map<string, Promise<void>>();
  const heartbeats = new Set<(ids: ReadonlySet<string>) => void>();
  const startedEarly = new Set<string>();
  const unextended: string[] = [];

  const sawClaims = (claimed: readonly ClaimedJob[]) => {
    if (claimed.length === 0) for (const release of [...held.values()]) release();
    for (const job of claimed) {
      const release = held.get(job.id);
      if (!release) continue;
      startedEarly.add(job.id);
      release();
    }
  };
  const failJobs = async (params: FailJobsParams): Promise<FailJobResult[]> => {
    const results = await store.failJobs(params);
    const retried = params.failures.filter((f) => f.outcome.kind === 'retry').map((f) => f.id);
    if (retried.length === 0) return results;
    let answered: () => void = () => {};
    const answer = new Promise<void>((resolve) => {
      answered = resolve;
    });
    await new Promise<void>((release) => {
      const releaseAll = () => {
        for (const id of retried) {
          held.delete(id);
          answers.set(id, answer);
        }
        release();
      };
      for (const id of retried) held.set(id, releaseAll);
    });
    setImmediate(answered);
    return results;
  };
  const extendLeases = async (params: ExtendLeasesParams): Promise<FenceResult[]> => {
    const ids = new Set(params.leases.map((l) => l.id));
    for (const seen of [...heartbeats]) seen(ids);
    return store.extendLeases(params);
  };
  /** After `id`'s failure answer, whether one of the next two heartbeats extends its lease. */
  const extendedAfterAnswer = async (id: string): Promise<boolean> => {
    await answers.get(id);
    return new Promise<boolean>((resolve) => {
      let beats = 0;
      const seen = (ids: ReadonlySet<string>) => {
        if (ids.has(id) || ++beats === 2) {
          heartbeats.delete(seen);
          resolve(ids.has(id));
        }
      };
      heartbeats.add(seen);
    });
  };
  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'failJobs') return failJobs;
      if (property === 'extendLeases') return extendLeases;
      if (property === 'claimJobs') {
        return async (params: Parameters<Store['claimJobs']>[0]) => {
          const claimed = await target.claimJobs(params);
          sawClaims(claimed);
          return claimed;
        };
      }
      if (property === 'completeAndClaimJobs' && target.completeAndClaimJobs) {
        return async (params: Parameters<NonNullable<Store['completeAndClaimJobs']>>[0]) => {
          const answer = await target.completeAndClaimJobs!(params);
          sawClaims(answer.claimed);
          return answer;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store: wrapped,
    startedEarly,
    unextended,
    /** For the retry of job `id`: when it started early, checks its lease after the answer. */
    async retryStarted(id: string): Promise<void> {
      if (startedEarly.has(id) && !(await extendedAfterAnswer(id))) unextended.push(id);
    },
  };
}

/**
 * Runs the storm on `store` and checks every job ran and landed exactly as its outcome says.
 * `retryStarted` runs inside each retried job's second attempt.
 */
async function stormOn(
  store: Store,
  options: { retryStarted?: (id: string) => Promise<void>; heartbeatMs?: number } = {},
): Promise<void> {
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
    async (job) => {
      const { n, permanent, sentinel } = job.payload;
      if (sentinel) {
        sentinelStarted();
        return done;
      }
      runs.set(n, (runs.get(n) ?? 0) + 1);
      if (permanent) throw new PermanentError('the order was rejected by the payment provider');
      if (job.attempt === 1) {
        throw Object.assign(new Error('upstream returned 503 Service Unavailable'), { status: 503 });
      }
      await options.retryStarted?.(job.id);
    },
    { store, concurrency: 50, pollIntervalMs: 20, heartbeatMs: options.heartbeatMs },
  );
  let sentinelStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    sentinelStarted = resolve;
  });
  const count = () => {
    if (++settled === RETRIED + DEAD) allSettled();
  };
  worker.on('job.completed', (event) => {
    if (event.name !== 'watch') count();
  });
  worker.on('job.dead_lettered', count);
  try {
    await queue.add('watch', { n: -1, sentinel: true });
    await within(10_000, started, 'the sentinel job');
    await queue.addBulk(
      Array.from({ length: RETRIED + DEAD }, (_, n) => ({
        name: 'charge',
        payload: n < RETRIED ? { n } : { n, permanent: true as const },
      })),
    );
    await within(60_000, done, 'the storm');
    await worker.close();
    const stats = worker.stats();
    expect(stats).toMatchObject({
      completed: RETRIED + 1,
      deadLettered: DEAD,
      retried: RETRIED,
      leasesLost: 0,
    });
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
    completed: RETRIED + 1,
    dead_lettered: DEAD,
    active: 0,
    waiting: 0,
  });
  const deadLetters = await store.listDeadLetters({ queue: 'storm', limit: 1, withTotal: true });
  expect(deadLetters.total).toBe(DEAD);
}

/**
 * The storm with failure answers held back: retries start before their failure's answer (checked
 * to happen), and every one of them keeps being heartbeated once that answer arrives.
 */
async function heldStormOn(store: Store): Promise<void> {
  const held = holdingFailureAnswers(store);
  await stormOn(held.store, { retryStarted: (id) => held.retryStarted(id), heartbeatMs: 10 });
  expect(held.startedEarly.size).toBeGreaterThan(0);
  expect(held.unextended).toEqual([]);
}

describe.skipIf(!redis.available)('a failure storm on Redis, failures written beside claims', () => {
  const { open } = redisStoreHarness(redis);

  it('runs each retried job twice and each dead letter once, every outcome landed once', async () => {
    await stormOn(open({ clock: 'server' }));
  }, 90_000);

  it('keeps a retry claimed again before its failure is answered running on its new lease', async () => {
    await heldStormOn(open({ clock: 'server' }));
  }, 90_000);
});

describe.skipIf(!postgres.available)('a failure storm on PostgreSQL, failures written beside claims', () => {
  const schema = new PostgresTestSchema(postgres.url, 'storm');
  afterAll(() => schema.drop());

  it('runs each retried job twice and each dead letter once, every outcome landed once', async () => {
    const store = await schema.freshStore();
    try {
      await stormOn(store);
    } finally {
      await store.close();
    }
  }, 90_000);

  it('keeps a retry claimed again before its failure is answered running on its new lease', async () => {
    const store = await schema.freshStore();
    try {
      await heldStormOn(store);
    } finally {
      await store.close();
    }
  }, 90_000);
});
