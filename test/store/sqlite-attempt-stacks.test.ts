/**
 * The SQLite store keeps a retried attempt's stack apart from the job's attempts: the row's
 * `attempts` and what a claim reads hold the attempt without it, and every read of the job and the
 * job's dead letter return the whole history. The frames of a stack are stored once for every job
 * that threw them (migration 19), each counted by the jobs naming them; a deleted job takes its
 * references off, and frames go with their last job. Jobs of a database from before either
 * migration (stacks inline, or whole in the per-job stacks table of migration 13) read as before,
 * also once retried again after the upgrade.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import type { AttemptRecord, ClaimedJob } from '../../src/core/job.js';
import {
  asClaimed,
  claim,
  deadLetterFromJob,
  failedAttempt,
  insertAndClaim,
  mustGet,
  newJob,
  T0,
} from '../../src/store/conformance/fixtures.js';
import { migrateSqliteSchema } from '../../src/store/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function freshPath(): string {
  dir = mkdtempSync(join(tmpdir(), 'redrive-attempt-stacks-'));
  return join(dir, 'jobs.db');
}

/** The job's `attempts` and stack references as stored, and its row of whole stacks (migration 13). */
function stored(
  path: string,
  id: string,
): { attempts: string | null; refs: string | null; stacks: string | null } {
  const raw = new Database(path, { readonly: true });
  try {
    return raw
      .prepare(
        `SELECT attempts, attempt_stack_refs AS refs,
                (SELECT stacks FROM redrive_job_attempt_stacks WHERE job_id = j.id) AS stacks
           FROM redrive_jobs j WHERE id = ?`,
      )
      .get(Number(id)) as { attempts: string | null; refs: string | null; stacks: string | null };
  } finally {
    raw.close();
  }
}

/** The stored frames and how many references each counts, in id order. */
function framesRows(path: string): { frames: string; refs: number }[] {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.prepare('SELECT frames, refs FROM redrive_job_stack_frames ORDER BY id').all() as {
      frames: string;
      refs: number;
    }[];
  } finally {
    raw.close();
  }
}

const framesOf = (n: number) => `\n    at call (/app/src/api.ts:${n}:7)`;
const stackOf = (n: number) => `Error: upstream returned 503 (${n})${framesOf(n)}`;

it('keeps retried stacks out of the row and the claim, and returns the whole history on reads', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    const first = await insertAndClaim(store, { now: T0, job: { maxAttempts: 3 } });
    const a1 = failedAttempt(first, T0 + 1, { stack: stackOf(1) });
    await store.failJob({
      id: first.id,
      token: first.token,
      attempt: a1,
      outcome: { kind: 'retry', runAt: T0 + 1 },
      now: T0 + 1,
    });
    const [second] = await claim(store, { now: T0 + 2 });
    const a2 = failedAttempt(second!, T0 + 3, { outcome: 'rate_limited', stack: stackOf(2) });
    await store.failJob({
      id: first.id,
      token: second!.token,
      attempt: a2,
      outcome: { kind: 'rate_limited', runAt: T0 + 3 },
      now: T0 + 3,
    });
    const row = stored(path, first.id);
    expect(row.attempts).not.toContain('/app/src/api.ts');
    expect(row.stacks).toBeNull();
    expect(framesRows(path)).toEqual([
      { frames: framesOf(1), refs: 1 },
      { frames: framesOf(2), refs: 1 },
    ]);

    const [third] = await claim(store, { now: T0 + 4 });
    expect(third!.attempts).toEqual([asClaimed(a1), asClaimed(a2)]);
    expect((await mustGet(store, first.id)).attempts).toEqual([a1, a2]);
    expect((await store.listJobs({ limit: 10 }))[0]!.attempts).toEqual([a1, a2]);

    const a3 = failedAttempt(third!, T0 + 5, { errorClass: 'PermanentError', stack: undefined });
    await store.failJob({
      id: first.id,
      token: third!.token,
      attempt: a3,
      outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-1', T0 + 5) },
      now: T0 + 5,
    });
    // The dead-lettering attempt shows the dead letter's own stack, kept once on the entry.
    expect((await store.getDeadLetter({ id: 'dl-1' }))?.attempts).toEqual([
      a1,
      a2,
      { ...a3, stack: deadLetterFromJob('dl-1', T0 + 5).errorStack },
    ]);
    expect((await mustGet(store, first.id)).attempts).toEqual([a1, a2, a3]);

    // The job's stacks go with it: a job given its id later starts with none.
    expect(await store.removeJobsById({ ids: [first.id] })).toBe(1);
    expect(framesRows(path)).toEqual([]);
  } finally {
    await store.close();
  }
});

it('reads the inline stacks of a database from before the migration, and keeps new ones apart', async () => {
  // A job retried by a release that kept the stack inline: a database built by migrations 1-12.
  const path = freshPath();
  const old = new Database(path);
  migrateSqliteSchema(old, path, SQLITE_MIGRATIONS.slice(0, 12));
  old.close();
  const before = new SqliteStore({ path, pollIntervalMs: 0 });
  const inline: AttemptRecord = {
    attempt: 1,
    outcome: 'failed',
    startedAt: T0,
    endedAt: T0 + 1,
    workerId: 'w1',
    errorClass: 'Error',
    message: 'upstream returned 503 (1)',
    stack: stackOf(1),
  };
  let id: string;
  try {
    id = (await insertAndClaim(before, { now: T0, job: { maxAttempts: 3 } })).id;
  } finally {
    await before.close();
  }
  const raw = new Database(path);
  raw
    .prepare(
      "UPDATE redrive_jobs SET state = 'waiting', attempts_made = 1, attempts = ?, claim_token = NULL WHERE id = ?",
    )
    .run(JSON.stringify([inline]), Number(id));
  raw.close();

  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect((await mustGet(store, id)).attempts).toEqual([inline]);
    const [again] = await claim(store, { now: T0 + 2 });
    expect(again!.attempts).toEqual([inline]);
    const a2 = failedAttempt(again!, T0 + 3, { stack: stackOf(2) });
    await store.failJob({
      id,
      token: again!.token,
      attempt: a2,
      outcome: { kind: 'retry', runAt: T0 + 3 },
      now: T0 + 3,
    });
    expect(stored(path, id).stacks).toBeNull();
    expect(framesRows(path)).toEqual([{ frames: framesOf(2), refs: 1 }]);
    expect((await mustGet(store, id)).attempts).toEqual([inline, a2]);
  } finally {
    await store.close();
  }
});

it('gives back a stack whose message holds a lone surrogate exactly as it was stored', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    const job = await insertAndClaim(store, { now: T0, job: { maxAttempts: 3 } });
    // A message cut inside an emoji: its high surrogate has lost its pair.
    const message = 'upstream said \ud83d';
    const kept = failedAttempt(job, T0 + 1, { message, stack: `Error: ${message}${framesOf(1)}` });
    await store.failJob({
      id: job.id,
      token: job.token,
      attempt: kept,
      outcome: { kind: 'retry', runAt: T0 + 1 },
      now: T0 + 1,
    });
    // The same message under another head (a subclass's name): the head is kept in the reference.
    const [again] = await claim(store, { now: T0 + 2 });
    const named = failedAttempt(again!, T0 + 3, {
      message,
      stack: `UpstreamError: ${message}${framesOf(1)}`,
    });
    await store.failJob({
      id: job.id,
      token: again!.token,
      attempt: named,
      outcome: { kind: 'retry', runAt: T0 + 3 },
      now: T0 + 3,
    });
    expect((await mustGet(store, job.id)).attempts).toEqual([kept, named]);
  } finally {
    await store.close();
  }
});

it('stores the frames of a storm once, counts the jobs naming them, and drops them with the last', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    await store.insertJobs({ jobs: Array.from({ length: 6 }, (_, i) => newJob({ payload: i })), now: T0 });
    const jobs = await claim(store, { now: T0, limit: 6 });
    expect(jobs).toHaveLength(6);
    const message = (i: number) => `upstream returned 503 for order ${i}`;
    const attempts = jobs.map((job, i) => {
      const overrides: Partial<AttemptRecord> = {
        message: message(i),
        stack: `Error: ${message(i)}${framesOf(1)}`,
      };
      // A head that is not the attempt's `errorClass: message` (the class renamed after the stack
      // was taken), and a stack without frames.
      if (i === 4) overrides.errorClass = 'UpstreamError';
      if (i === 5) overrides.stack = 'Error: no frames here';
      return failedAttempt(job, T0 + 1, overrides);
    });
    const results = await store.failJobs({
      failures: jobs.map((job, i) => ({
        id: job.id,
        token: job.token,
        attempt: attempts[i]!,
        outcome: { kind: 'retry', runAt: T0 + 1 },
      })),
      now: T0 + 1,
    });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(framesRows(path)).toEqual([{ frames: framesOf(1), refs: 5 }]);
    // The default head is left out of the row; another head is kept there.
    expect(stored(path, jobs[0]!.id).refs).toBe('{"0":[1]}');
    expect(stored(path, jobs[4]!.id).refs).toBe(`{"0":[1,${JSON.stringify(`Error: ${message(4)}`)}]}`);

    // Job 0 fails again from the same place, in a second batch: one job, two references.
    const [again] = await claim(store, { now: T0 + 2, limit: 1 });
    expect(again!.id).toBe(jobs[0]!.id);
    const second = failedAttempt(again!, T0 + 3, {
      message: message(0),
      stack: `Error: ${message(0)}${framesOf(1)}`,
    });
    await store.failJob({
      id: again!.id,
      token: again!.token,
      attempt: second,
      outcome: { kind: 'retry', runAt: T0 + 3 },
      now: T0 + 3,
    });
    expect(framesRows(path)).toEqual([{ frames: framesOf(1), refs: 6 }]);

    for (let i = 0; i < jobs.length; i++) {
      expect((await mustGet(store, jobs[i]!.id)).attempts).toEqual(
        i === 0 ? [attempts[0], second] : [attempts[i]],
      );
    }
    expect((await store.listJobs({ limit: 10 })).map((job) => job.attempts)).toEqual([
      [attempts[0], second],
      ...attempts.slice(1).map((a) => [a]),
    ]);

    expect(await store.removeJobsById({ ids: [jobs[0]!.id, jobs[1]!.id] })).toBe(2);
    expect(framesRows(path)).toEqual([{ frames: framesOf(1), refs: 3 }]);
    expect((await mustGet(store, jobs[2]!.id)).attempts).toEqual([attempts[2]]);
    expect(await store.removeJobsById({ ids: jobs.slice(2).map((j) => j.id) })).toBe(4);
    expect(framesRows(path)).toEqual([]);
  } finally {
    await store.close();
  }
});

it('reads the whole stacks of a database from before the shared frames, also once retried again', async () => {
  // A job retried by a release that kept each job's stacks whole in their own table (migration 13).
  const path = freshPath();
  const old = new Database(path);
  migrateSqliteSchema(old, path, SQLITE_MIGRATIONS.slice(0, 18));
  old.close();
  const before = new SqliteStore({ path, pollIntervalMs: 0 });
  const whole = failedAttempt(await insertAndClaim(before, { now: T0, job: { maxAttempts: 3 } }), T0 + 1, {
    stack: stackOf(1),
  });
  const { stack: _stack, ...withoutStack } = whole;
  const id = (await before.listJobs({ limit: 1 }))[0]!.id;
  await before.close();
  const raw = new Database(path);
  raw
    .prepare(
      "UPDATE redrive_jobs SET state = 'waiting', attempts_made = 1, attempts = ?, claim_token = NULL WHERE id = ?",
    )
    .run(JSON.stringify([withoutStack]), Number(id));
  raw
    .prepare('INSERT INTO redrive_job_attempt_stacks (job_id, stacks) VALUES (?, ?)')
    .run(Number(id), JSON.stringify({ 0: stackOf(1) }));
  raw.close();

  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    expect((await mustGet(store, id)).attempts).toEqual([whole]);
    const [again] = await claim(store, { now: T0 + 2 });
    expect(again!.attempts).toEqual([asClaimed(whole)]);
    const a2 = failedAttempt(again!, T0 + 3, { stack: stackOf(2) });
    await store.failJob({
      id,
      token: again!.token,
      attempt: a2,
      outcome: { kind: 'retry', runAt: T0 + 3 },
      now: T0 + 3,
    });
    expect(framesRows(path)).toEqual([{ frames: framesOf(2), refs: 1 }]);
    expect((await mustGet(store, id)).attempts).toEqual([whole, a2]);

    const [third] = await claim(store, { now: T0 + 4 });
    const a3 = failedAttempt(third!, T0 + 5, { errorClass: 'PermanentError', stack: undefined });
    await store.failJob({
      id,
      token: third!.token,
      attempt: a3,
      outcome: { kind: 'dead_letter', deadLetter: deadLetterFromJob('dl-old', T0 + 5) },
      now: T0 + 5,
    });
    expect((await store.getDeadLetter({ id: 'dl-old' }))?.attempts).toEqual([
      whole,
      a2,
      { ...a3, stack: deadLetterFromJob('dl-old', T0 + 5).errorStack },
    ]);
    expect(await store.removeJobsById({ ids: [id] })).toBe(1);
    expect(framesRows(path)).toEqual([]);
    expect(stored(path, id)).toBeUndefined();
  } finally {
    await store.close();
  }
});

it('counts no reference for a failure the fence refuses, and keeps no frames only it named', async () => {
  const path = freshPath();
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  try {
    await store.insertJobs({ jobs: [1, 2, 3].map((payload) => newJob({ payload })), now: T0 });
    const [a, b, c] = await claim(store, { now: T0, limit: 3 });
    const retry = { kind: 'retry', runAt: T0 + 1 } as const;
    const failure = (job: ClaimedJob, token: string, n: number) => ({
      id: job.id,
      token,
      attempt: failedAttempt(job, T0 + 1, { stack: stackOf(n) }),
      outcome: retry,
    });
    // Stale tokens: one with the frames of the written failure, one with frames of its own.
    const results = await store.failJobs({
      failures: [failure(a!, a!.token, 1), failure(b!, 'stale', 1), failure(c!, 'stale', 2)],
      now: T0 + 1,
    });
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'stale_token', 'stale_token']);
    expect(framesRows(path)).toEqual([{ frames: framesOf(1), refs: 1 }]);
    for (const job of [b!, c!]) {
      expect(stored(path, job.id).refs).toBeNull();
      expect((await mustGet(store, job.id)).attempts).toEqual([]);
    }
  } finally {
    await store.close();
  }
});
