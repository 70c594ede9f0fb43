/**
 * Fakes for the worker's parts: an in-memory store that records every call and answers as told,
 * claimed-job fixtures, and a WorkerContext on a FakeClock. Nothing here touches a database or the
 * real clock.
 */
import { createSeededRandom, FakeClock } from '../../../src/core/clock.js';
import type { ClaimedJob } from '../../../src/core/job.js';
import { RunningJob } from '../../../src/queue/active-job.js';
import { ProcessQuarantine } from '../../../src/queue/process-quarantine.js';
import { WorkerContext } from '../../../src/queue/worker-context.js';
import { resolveWorkerOptions, type WorkerOptions } from '../../../src/queue/worker-options.js';
import type {
  ClaimJobsParams,
  CompleteJobsParams,
  ExtendLeasesParams,
  FailJobResult,
  FailJobsParams,
  FenceResult,
  RecoverExpiredLeasesParams,
  RecoveryResult,
  ReleaseJobsParams,
  RemoveJobsParams,
} from '../../../src/store/job-store.js';
import type { Store } from '../../../src/store/store.js';

/** Lets pending microtasks and immediates run, `rounds` times. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

let nextId = 0;

/** A claimed job as a store returns it. */
export function claimedJob(overrides: Partial<ClaimedJob> = {}): ClaimedJob {
  const id = overrides.id ?? `job-${++nextId}`;
  return {
    id,
    queue: 'q',
    name: 'task',
    payload: { n: id },
    state: 'active',
    priority: 1,
    attemptsMade: 0,
    maxAttempts: 3,
    orphanCount: 0,
    suspect: false,
    rateLimitDelays: 0,
    runAt: 0,
    createdAt: 0,
    startedAt: 0,
    finishedAt: null,
    leaseExpiresAt: null,
    workerId: 'w',
    timeoutMs: null,
    backoff: null,
    idempotencyKey: null,
    result: null,
    progress: null,
    attempts: [],
    deadLetterId: null,
    replayOf: null,
    headers: null,
    token: `1:${id}`,
    ...overrides,
  };
}

/** A worker-side job (as the fetcher buffers it), claimed and allowed to start. */
export function runningJob(overrides: Partial<ClaimedJob> = {}): RunningJob {
  return new RunningJob(claimedJob(overrides));
}

/** An in-memory store that records calls; each answer can be replaced by a test. */
export function fakeStore(options: { notify?: boolean } = {}) {
  const calls = {
    claim: [] as ClaimJobsParams[],
    complete: [] as CompleteJobsParams[],
    fail: [] as FailJobsParams[],
    extend: [] as ExtendLeasesParams[],
    release: [] as ReleaseJobsParams[],
    recover: [] as RecoverExpiredLeasesParams[],
    remove: [] as RemoveJobsParams[],
    horizon: [] as number[],
  };
  const answers = {
    /** Jobs handed out by the next claims, up to each claim's limit. */
    waiting: [] as ClaimedJob[],
    /** Ids whose completion, failure or lease extension is refused as stale. */
    refused: new Set<string>(),
    recovery: { recovered: [], deadLettered: [], orphanedWhile: {} } as RecoveryResult,
    nextScheduledAt: null as number | null,
    /** When set, claims wait on it (to hold a claim in flight). */
    claimGate: undefined as Promise<void> | undefined,
    /** When set, claims fail with it (after the gate): a store that is down. */
    claimError: undefined as Error | undefined,
    /** Claims are answered in a later turn of the event loop, as a store across a network answers. */
    claimLater: false,
    /** When set, failure writes wait on it (to hold a write in flight). */
    failGate: undefined as Promise<void> | undefined,
    extendError: undefined as Error | undefined,
  };
  const fence = (id: string): FenceResult =>
    answers.refused.has(id) ? { id, ok: false, reason: 'stale_token' } : { id, ok: true };
  let watcher: (() => void) | undefined;
  const store = {
    capabilities: { notify: options.notify ?? false },
    async claimJobs(p: ClaimJobsParams): Promise<ClaimedJob[]> {
      calls.claim.push(p);
      if (answers.claimGate) await answers.claimGate;
      if (answers.claimError) throw answers.claimError;
      if (answers.claimLater) await new Promise<void>((resolve) => setImmediate(resolve));
      return answers.waiting.splice(0, p.limit);
    },
    async completeJobs(p: CompleteJobsParams): Promise<FenceResult[]> {
      calls.complete.push(p);
      return p.completions.map((c) => fence(c.id));
    },
    async failJobs(p: FailJobsParams): Promise<FailJobResult[]> {
      calls.fail.push(p);
      if (answers.failGate) await answers.failGate;
      return p.failures.map((f) => ({
        ...fence(f.id),
        ...(f.outcome.kind === 'dead_letter' ? { deadLetterId: f.outcome.deadLetter.id } : {}),
      }));
    },
    async extendLeases(p: ExtendLeasesParams): Promise<FenceResult[]> {
      calls.extend.push(p);
      if (answers.extendError) throw answers.extendError;
      return p.leases.map((l) => fence(l.id));
    },
    async releaseJobs(p: ReleaseJobsParams): Promise<FenceResult[]> {
      calls.release.push(p);
      return p.leases.map((l) => fence(l.id));
    },
    async recoverExpiredLeases(p: RecoverExpiredLeasesParams): Promise<RecoveryResult> {
      calls.recover.push(p);
      return answers.recovery;
    },
    async removeJobs(p: RemoveJobsParams): Promise<number> {
      calls.remove.push(p);
      return 0;
    },
    async advanceStartHorizon(p: { horizon: number }): Promise<void> {
      calls.horizon.push(p.horizon);
    },
    async nextScheduledAt(): Promise<number | null> {
      return answers.nextScheduledAt;
    },
    watchQueue(_queue: string, listener: () => void): () => void {
      watcher = listener;
      return () => {
        watcher = undefined;
      };
    },
  };
  return {
    store: store as unknown as Store,
    calls,
    answers,
    /** Fires the store's notify, as an enqueue in another process would. */
    notify: () => watcher?.(),
  };
}

/** A WorkerContext on a FakeClock over `store`, in state `running`. */
export function workerContext(store: Store, options: Partial<WorkerOptions> = {}, clock = new FakeClock()) {
  const random = createSeededRandom(7);
  const raw: WorkerOptions = { store, clock, random, workerId: 'w1', autorun: false, ...options };
  const ctx = new WorkerContext({
    queue: 'q',
    store,
    clock,
    random,
    options: resolveWorkerOptions(raw, random),
    raw,
    quarantineMember: { held: () => 0, wake: () => undefined },
    quarantineGate: new ProcessQuarantine(),
  });
  ctx.state = 'running';
  ctx.quarantine.gate.join(ctx.quarantine.member);
  const events: { type: string; payload: unknown }[] = [];
  for (const type of [
    'job.active',
    'job.completed',
    'job.failed',
    'job.retried',
    'job.dead_lettered',
    'job.stalled',
    'alert',
    'error',
  ] as const) {
    ctx.emitter.on(type, (payload) => events.push({ type, payload }));
  }
  return { ctx, clock, events };
}
