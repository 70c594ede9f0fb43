/**
 * Builders shared by the store conformance suite. Everything goes through the `Store` interface
 * and every time is passed explicitly (no real clock), so the same cases run on every backend.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import type { NewDeadLetter } from '../../core/dead-letter.js';
import type { AttemptRecord, ClaimedJob, Job } from '../../core/job.js';
import type { DeadLetterFromJob, NewJob, Store } from '../store.js';

/** Creates a fresh, empty store; `cleanup` closes it and removes whatever it left behind. */
export type StoreFactory = () => Promise<{ store: Store; cleanup(): Promise<void> }>;

/** The suite's epoch: every `now` is an offset from it. */
export const T0 = Date.UTC(2026, 0, 1);

/**
 * Registers `beforeEach`/`afterEach` hooks that give each test a fresh store; returns a getter.
 * Call it inside a `describe`.
 */
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

/** A job with defaults: queue `q`, normal priority, due at {@link T0}. */
export function newJob(overrides: Partial<NewJob> & { payload?: unknown } = {}): NewJob {
  const { payload, ...rest } = overrides;
  return {
    queue: 'q',
    name: 'job',
    payloadJson: JSON.stringify(payload ?? {}),
    priority: 1,
    runAt: T0,
    maxAttempts: 3,
    timeoutMs: null,
    backoff: null,
    idempotencyKey: null,
    replayOf: null,
    ...rest,
  };
}

/**
 * A fresh claim id (each claim must use a new one; the fencing token derives from it). Random, not
 * counted, because test files running in parallel may share one Redis or PostgreSQL server.
 */
export function freshClaimId(): string {
  return `claim-${randomUUID()}`;
}

/** Claims with sensible defaults; `now` must be given. */
export function claim(
  store: Store,
  params: {
    queue?: string;
    now: number;
    limit?: number;
    leaseMs?: number;
    workerId?: string;
    starts?: { firstSeq: number; horizon: number };
    quarantine?: boolean;
  },
): Promise<ClaimedJob[]> {
  return store.claimJobs({
    queue: params.queue ?? 'q',
    workerId: params.workerId ?? 'w1',
    limit: params.limit ?? 10,
    leaseMs: params.leaseMs ?? 30_000,
    now: params.now,
    claimId: freshClaimId(),
    ...(params.starts ? { starts: params.starts } : {}),
    ...(params.quarantine ? { quarantine: true } : {}),
  });
}

/** Inserts jobs and returns their ids (all must be created). */
export async function insert(store: Store, jobs: NewJob[], now = T0): Promise<string[]> {
  const results = await store.insertJobs({ jobs, now });
  return results.map((r) => r.id);
}

/** Inserts one job and claims it; returns the claimed job. */
export async function insertAndClaim(
  store: Store,
  params: {
    job?: Partial<NewJob> & { payload?: unknown };
    now?: number;
    leaseMs?: number;
    workerId?: string;
  } = {},
): Promise<ClaimedJob> {
  const now = params.now ?? T0;
  const job = newJob({ runAt: now, ...params.job });
  await store.insertJobs({ jobs: [job], now });
  const claimed = await claim(store, {
    queue: job.queue,
    now,
    limit: 1,
    leaseMs: params.leaseMs ?? 30_000,
    workerId: params.workerId ?? 'w1',
  });
  if (claimed.length !== 1) throw new Error(`expected to claim one job, got ${claimed.length}`);
  return claimed[0]!;
}

/** A failed attempt record for a claimed job. */
export function failedAttempt(job: ClaimedJob, endedAt: number, overrides: Partial<AttemptRecord> = {}) {
  return {
    attempt: job.attemptsMade + 1,
    outcome: 'failed',
    startedAt: job.startedAt ?? endedAt,
    endedAt,
    workerId: job.workerId,
    errorClass: 'Error',
    errorCode: 'E_BOOM',
    message: 'boom',
    stack: 'Error: boom\n    at handler (job.ts:1:1)',
    ...overrides,
  } satisfies AttemptRecord;
}

/**
 * An attempt as a claim returns it: a claim may leave out the stack of an earlier attempt (see
 * `ClaimedJob`), so a claimed job's history is matched without it; reads return it whole.
 */
export function asClaimed(attempt: AttemptRecord): Omit<AttemptRecord, 'stack'> {
  const { stack: _stack, ...rest } = attempt;
  return rest;
}

/** The caller's half of a dead letter (the store adds queue, job, payload and attempts). */
export function deadLetterFromJob(id: string, now: number, overrides: Partial<DeadLetterFromJob> = {}) {
  return {
    id,
    domain: 'billing',
    failureType: 'permanent',
    entityType: 'invoice',
    entityId: 'inv-1',
    userId: 'user-7',
    errorClass: 'PermanentError',
    errorCode: 'E_PERM',
    errorMessage: 'card declined',
    errorStack: 'PermanentError: card declined\n    at charge (billing.ts:3:9)',
    fingerprint: 'fp-1',
    fingerprintVersion: 1,
    snapshot: { balance: 10 },
    requestData: { amount: 5 },
    responseData: { status: 402 },
    metadata: { region: 'eu' },
    nextActionHint: 'fix the card',
    recommendedAction: 'inspect_and_fix',
    workerId: 'w1',
    handlerVersion: 'v1',
    maxReplays: 2,
    firstFailedAt: now - 1000,
    deadLetteredAt: now,
    expiresAt: now + 3_600_000,
    ...overrides,
  } satisfies DeadLetterFromJob;
}

/** A complete standalone dead letter (for `insertDeadLetters`). */
export function standaloneDeadLetter(id: string, now: number, overrides: Partial<NewDeadLetter> = {}) {
  return {
    ...deadLetterFromJob(id, now),
    queue: 'q',
    jobId: null,
    jobName: 'job',
    payload: { imported: true },
    attempts: [],
    ...overrides,
  } satisfies NewDeadLetter;
}

/** Reads a job that must exist. */
export async function mustGet(store: Store, id: string): Promise<Job> {
  const job = await store.getJob({ id });
  if (!job) throw new Error(`job ${id} is missing`);
  return job;
}

/** An audit entry with defaults, recorded at `at`. */
export function auditEntry(actor: string, at: number, deadLetterId: string | null = null, details = {}) {
  return {
    deadLetterId,
    action: 'note',
    actor,
    reason: null,
    ticket: null,
    at,
    beforeStatus: null,
    afterStatus: null,
    beforeGeneration: null,
    afterGeneration: null,
    details,
  };
}
