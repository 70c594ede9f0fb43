/**
 * Builders for the dead-letter conformance cases (self-contained: times are explicit offsets from
 * {@link T0}, everything goes through the `Store` interface).
 */
import { afterEach, beforeEach } from 'vitest';
import type { NewDeadLetter } from '../../src/core/dead-letter.js';
import type { AttemptRecord, ClaimedJob } from '../../src/core/job.js';
import type { NewJob, Store } from '../../src/store/store.js';
import { deadLetterFromJob } from './fixtures.js';

/** Creates a fresh, empty store; `cleanup` closes it and removes whatever it left behind. */
export type StoreFactory = () => Promise<{ store: Store; cleanup(): Promise<void> }>;

/** The suite's epoch. */
export const T0 = Date.UTC(2026, 0, 1);

/** Gives each test of the enclosing `describe` a fresh store; returns a getter. */
export function useFreshStore(factory: StoreFactory): () => Store {
  let current: { store: Store; cleanup(): Promise<void> } | undefined;
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    const c = current;
    current = undefined;
    await c?.cleanup();
  });
  return () => {
    if (!current) throw new Error('no store: useFreshStore hooks did not run');
    return current.store;
  };
}

let claimSeq = 0;

/** Inserts one job (queue `q`) and claims it. */
export async function insertAndClaim(
  store: Store,
  params: { job?: Partial<NewJob> & { payload?: unknown }; now?: number; leaseMs?: number } = {},
): Promise<ClaimedJob> {
  const now = params.now ?? T0;
  const { payload, ...rest } = params.job ?? {};
  const job: NewJob = {
    queue: 'q',
    name: 'job',
    payloadJson: JSON.stringify(payload ?? {}),
    priority: 1,
    runAt: now,
    maxAttempts: 3,
    timeoutMs: null,
    backoff: null,
    idempotencyKey: null,
    replayOf: null,
    ...rest,
  };
  await store.insertJobs({ jobs: [job], now });
  const claimed = await store.claimJobs({
    queue: job.queue,
    workerId: 'w1',
    limit: 1,
    leaseMs: params.leaseMs ?? 30_000,
    now,
    claimId: `dl-claim-${++claimSeq}`,
  });
  if (claimed.length !== 1) throw new Error(`expected to claim one job, got ${claimed.length}`);
  return claimed[0]!;
}

/** A failed attempt record for a claimed job. */
export function failedAttempt(job: ClaimedJob, endedAt: number): AttemptRecord {
  return {
    attempt: job.attemptsMade + 1,
    outcome: 'failed',
    startedAt: job.startedAt ?? endedAt,
    endedAt,
    workerId: job.workerId,
    errorClass: 'Error',
    message: 'boom',
  };
}

/** The caller's half of a job's dead letter, shared with the job conformance cases. */
export { deadLetterFromJob };

/** A complete standalone dead letter. */
export function standaloneDeadLetter(
  id: string,
  now: number,
  overrides: Partial<NewDeadLetter> = {},
): NewDeadLetter {
  return {
    ...deadLetterFromJob(id, now),
    queue: 'q',
    jobId: null,
    jobName: 'job',
    payload: { imported: true },
    attempts: [],
    ...overrides,
  };
}
