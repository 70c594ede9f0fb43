import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildJobDeadLetter } from '../../src/dead-letter-record/record.js';
import {
  createSeededRandom,
  type DeadLetter,
  PermanentError,
  queueReplayHandler,
  ReplayRegistry,
  StateConflictError,
  ValidationError,
} from '../../src/index.js';
import { createDlqHarness, type DlqHarness } from './helpers.js';

let h: DlqHarness;
beforeEach(() => {
  h = createDlqHarness();
});
afterEach(async () => {
  await h.cleanup();
});

let seq = 0;

/** Enqueues a job, claims it and fails it permanently (as a Worker would). Returns ids. */
async function deadLetterAJob(payload: unknown, options: { replayOf?: string; maxAttempts?: number } = {}) {
  const now = h.clock.now();
  const [inserted] = await h.store.insertJobs({
    jobs: [
      {
        queue: 'emails',
        name: 'send',
        payloadJson: JSON.stringify(payload),
        priority: 2,
        runAt: now,
        maxAttempts: options.maxAttempts ?? 5,
        timeoutMs: 1234,
        backoff: null,
        idempotencyKey: null,
        replayOf: options.replayOf ?? null,
      },
    ],
    now,
  });
  const claimed = await h.store.claimJobs({
    queue: 'emails',
    workerId: 'w',
    limit: 10,
    leaseMs: 1000,
    now,
    claimId: `c${++seq}`,
  });
  const job = claimed.find((j) => j.id === inserted!.id)!;
  const deadLetter = buildJobDeadLetter({
    queue: 'emails',
    failureType: 'permanent',
    error: new PermanentError('mailbox full'),
    workerId: 'w',
    settings: {},
    now,
    firstFailedAt: now,
    random: createSeededRandom(seq),
  });
  const result = await h.store.failJob({
    id: job.id,
    token: job.token,
    now,
    attempt: {
      attempt: 1,
      outcome: 'failed',
      startedAt: now,
      endedAt: now,
      workerId: 'w',
      message: 'mailbox full',
    },
    outcome: { kind: 'dead_letter', deadLetter },
  });
  return { jobId: job.id, deadLetterId: result.ok ? result.deadLetterId! : '' };
}

async function waitingJobs() {
  return h.store.listJobs({ queue: 'emails', states: ['waiting'], limit: 100 });
}

describe('default replay of queue jobs', () => {
  it('re-enqueues the job into its queue with a fresh attempt budget and a link back', async () => {
    const { jobId, deadLetterId } = await deadLetterAJob({ to: 'a@b.c', apiToken: 'tok' });
    const entry = await h.dlq.mustGet(deadLetterId);
    expect(entry.payload).toEqual({ to: 'a@b.c', apiToken: '[REDACTED]' });
    h.clock.advance(1000);
    const result = await h.dlq.retry(deadLetterId, { actor: 'ann' });
    expect(result).toMatchObject({ success: true, status: 'resolved', handler: 'default:queue' });
    const [job] = await waitingJobs();
    expect(job).toMatchObject({
      id: result.jobId,
      queue: 'emails',
      name: 'send',
      // The original payload, from the job row (the dead letter's copy is redacted).
      payload: { to: 'a@b.c', apiToken: 'tok' },
      attemptsMade: 0,
      maxAttempts: 5,
      priority: 2,
      timeoutMs: 1234,
      replayOf: deadLetterId,
      idempotencyKey: `redrive:replay:${deadLetterId}:1`,
    });
    expect(job!.id).not.toBe(jobId);
    expect(await h.dlq.mustGet(deadLetterId)).toMatchObject({
      replayJobId: result.jobId,
      status: 'resolved',
    });
  });

  it('a replayed job that fails again comes back with its replay count, and the chain ends in review', async () => {
    const first = await deadLetterAJob({ n: 1 });
    const r1 = await h.dlq.retry(first.deadLetterId);
    const second = await deadLetterAJob({ n: 1 }, { replayOf: first.deadLetterId });
    const e2 = await h.dlq.mustGet(second.deadLetterId);
    expect(e2).toMatchObject({ replayOf: first.deadLetterId, replayCount: 1, status: 'pending' });
    expect(r1.jobId).toBeDefined();
    await h.dlq.retry(second.deadLetterId);
    const third = await deadLetterAJob({ n: 1 }, { replayOf: second.deadLetterId });
    expect(await h.dlq.mustGet(third.deadLetterId)).toMatchObject({
      replayCount: 2,
      status: 'requires_review',
    });
    await expect(h.dlq.retry(third.deadLetterId)).rejects.toBeInstanceOf(StateConflictError);
    // Force-redrive grants a fresh budget that the chain carries on.
    const forced = await h.dlq.forceRedrive(third.deadLetterId, { actor: 'root', reason: 'fixed the quota' });
    expect(forced).toMatchObject({ success: true, replayCount: 3, maxReplays: 4 });
    const fourth = await deadLetterAJob({ n: 1 }, { replayOf: third.deadLetterId });
    expect(await h.dlq.mustGet(fourth.deadLetterId)).toMatchObject({
      replayCount: 3,
      maxReplays: 4,
      status: 'pending',
    });
  });

  it('refuses to replay a redacted copy when the original job row is gone', async () => {
    const { deadLetterId } = await deadLetterAJob({ to: 'x', password: 'p' });
    await h.store.removeJobs({ states: ['dead_lettered'], limit: 10 });
    const result = await h.dlq.retry(deadLetterId);
    expect(result).toMatchObject({ success: false, status: 'pending' });
    expect(result.error).toMatch(/redacted secrets/);
    expect(await waitingJobs()).toHaveLength(0);
  });

  it('replays the stored payload when the job row is gone and nothing was redacted', async () => {
    const { deadLetterId } = await deadLetterAJob({ to: 'x' }, { maxAttempts: 9 });
    await h.store.removeJobs({ states: ['dead_lettered'], limit: 10 });
    const custom = h.otherProcess({
      replayHandlers: new ReplayRegistry({ queueJobs: queueReplayHandler({ maxAttempts: 4, delayMs: 500 }) }),
    });
    const result = await custom.retry(deadLetterId);
    expect(result.success).toBe(true);
    const job = await h.store.getJob({ id: result.jobId! });
    expect(job).toMatchObject({
      payload: { to: 'x' },
      maxAttempts: 4,
      runAt: h.clock.now() + 500,
      state: 'scheduled',
    });
  });

  it('a queue handler takes precedence over the default; queueJobs: false disables the default', async () => {
    const { deadLetterId } = await deadLetterAJob({ to: 'x' });
    const seen: DeadLetter[] = [];
    const mine = h.otherProcess({
      replayHandlers: new ReplayRegistry().forQueue('emails', async (entry) => {
        seen.push(entry);
        return { note: 'sent through the backup provider' };
      }),
    });
    expect(await mine.retry(deadLetterId, { dryRun: true })).toMatchObject({ handler: 'queue:emails' });
    const none = h.otherProcess({ replayHandlers: new ReplayRegistry({ queueJobs: false }) });
    await expect(none.retry(deadLetterId)).rejects.toThrow(/no replay handler/);
    await mine.retry(deadLetterId);
    expect(seen).toHaveLength(1);
    expect(await waitingJobs()).toHaveLength(0);
  });

  it('validates handler options', () => {
    expect(() => queueReplayHandler({ maxAttempts: 0 })).toThrow(ValidationError);
    expect(() => new ReplayRegistry().forDomain('x', 'nope' as never)).toThrow(ValidationError);
  });
});
